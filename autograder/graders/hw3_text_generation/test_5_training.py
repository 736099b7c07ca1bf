"""Hidden grader: the student's CharLSTM learns, trained by the given loop in the sandbox.

The grader measures for itself: the model starts from the grader's weights (so the loss before
training is known here), and after training the loss is computed here from the logits the
student's model gives on the grader's data. Whatever the training loop reports is ignored."""

import numpy as np
import pytest
import torch

from . import hw3_reference as ref
from rnnkit_testing import StudentCodeError, assert_tensor

# Five epochs at lr 0.05 (the given loop's 30 Adam steps) take the grader's model from a loss of
# 2.54 to 0.38-0.57 (six shuffling seeds), a ratio of 0.15-0.23 against the verdict's 0.5; a model
# whose LSTM does not learn (only fc trained) stays at 0.79 of its loss, one epoch at 0.87.
EPOCHS, LR = 5, 0.05


@pytest.mark.points(2)
def test_loss_falls_on_a_tiny_corpus(student):
    """training: CharLSTM trained by the given loop on a tiny corpus, its loss (measured by the grader) falls by half"""
    chars, char_to_idx = ref.vocab(ref.TINY_CORPUS)
    segments, next_chars = ref.segments(ref.TINY_CORPUS, 10, 2)
    X = ref.one_hot(segments, char_to_idx)
    y = np.array([char_to_idx[c] for c in next_chars], dtype=np.int64)
    state = ref.random_state(np.random.default_rng(0), len(chars), 32, scale=0.1)
    before = ref.cross_entropy(ref.logits(state, X), y)
    model = ref.student_model_holding(student, state)
    try:  # what the loop reports is not read
        student.train(model, torch.tensor(X), torch.tensor(y), epochs=EPOCHS, batch_size=32, lr=LR)
    except StudentCodeError as error:
        message, _, trace = str(error).partition(" raised ")
        hint = (". forward must return logits that keep their computation graph (nothing detached, no "
                "no-grad block), so that the loss can be backpropagated.") if "grad" in trace else ""
        raise AssertionError(
            f"training the model with the given loop raised {trace}{hint}\n\n"
            f"Where (your code, most recent call last):\n{error.student_traceback}".rstrip()
        ) from None
    logits = assert_tensor(model.call("forward", torch.tensor(X)), "the trained model's logits",
                           shape=(len(X), len(chars)))
    if not np.all(np.isfinite(logits)):
        raise AssertionError("after training, the model's logits hold NaN or infinity: the training diverged.")
    after = ref.cross_entropy(logits, y)
    if not (after <= 0.5 * before):
        raise AssertionError(
            f"the model does not learn: after {EPOCHS} epochs of the given training loop its cross-entropy on the "
            "training data did not fall by half. The loop updates the parameters of the model's submodules "
            "(lstm and fc) and calls its forward: the logits must come from those layers."
        )
