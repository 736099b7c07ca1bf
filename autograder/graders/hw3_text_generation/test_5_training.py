"""Hidden grader: the student's CharLSTM learns, trained by the given loop in the sandbox."""

import pytest
import torch

import hw3_reference as ref


@pytest.mark.points(2)
def test_loss_falls_on_a_tiny_corpus(student):
    """CharLSTM: trained a few seconds on a tiny corpus, its loss falls by half"""
    chars, char_to_idx = ref.vocab(ref.TINY_CORPUS)
    segments, next_chars = ref.segments(ref.TINY_CORPUS, 10, 2)
    X = torch.tensor(ref.one_hot(segments, char_to_idx))
    y = torch.tensor([char_to_idx[c] for c in next_chars])
    model = student.make("CharLSTM", len(chars), hidden_size=32)
    losses = student.train(model, X, y, epochs=15, batch_size=32, lr=0.02)
    first, last = sum(losses[:3]) / 3, sum(losses[-3:]) / 3
    if not last < 0.5 * first:
        raise AssertionError(
            "the model does not learn: its loss did not fall by half in 15 epochs. Check that forward "
            "returns logits from the last time step and that every layer's parameters are submodules."
        )
