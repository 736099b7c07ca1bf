"""Hidden graders for CharLSTM: its layers (established by loading the grader's own weights into
it, strictly, and running its lstm and fc on the grader's data), and its logits."""

import numpy as np
import pytest
import torch

from . import hw3_reference as ref
from rnnkit_testing import StudentCodeError, assert_close, assert_tensor, assert_tuple

FORWARD_HINT = "The logits are fc applied to the LSTM's output at the last time step, with no softmax."
FORWARD_SLIPS = {  # a variant of the reference's logits -> what the slip is
    "first_step": "the logits are read at the first time step: apply fc to the LSTM's output at the last "
                  "time step of each segment.",
    "softmax": "forward returns probabilities: return the raw scores (logits); the loss and generate apply "
               "softmax themselves.",
    "log_softmax": "forward returns log-probabilities: return the raw scores (logits); the loss and "
                   "generate apply softmax themselves.",
}


def model_with(student, state, default_size=False):
    """The student's CharLSTM holding ``state`` (loaded strictly: the same names and shapes);
    ``default_size``: built without hidden_size."""
    V, H = state["fc.weight"].shape
    model = student.make("CharLSTM", V) if default_size else student.make("CharLSTM", V, hidden_size=H)
    try:
        model.load_state(state)
    except StudentCodeError as error:
        raise AssertionError(
            f"CharLSTM({V}, hidden_size={H}) cannot take the weights of one nn.LSTM named lstm that "
            f"reads the {V} one-hot inputs directly (no embedding layer) and one nn.Linear named fc, "
            f"{ref.torch_param_count(V, H):,} parameters in all: {load_error(error)}"
        ) from None
    return model


def load_error(error):
    """What torch said when the weights would not load: the keys missing, unexpected or of another size."""
    lines = [line.strip() for line in str(error).splitlines()[1:] if line.strip()]
    return " ".join(lines)[:400] or str(error)[:400]


def one_hot_batch(rng, n, maxlen, V):
    X = np.zeros((n, maxlen, V), dtype=np.float32)
    X[np.arange(n)[:, None], np.arange(maxlen)[None, :], rng.integers(0, V, size=(n, maxlen))] = 1.0
    return X


@pytest.mark.points(1)
@pytest.mark.parametrize("V,H", [(10, 16), (31, 8)])
def test_other_sizes(student, rng, V, H):
    """CharLSTM: takes exactly the weights of an LSTM named lstm and a Linear named fc, for other sizes"""
    model_with(student, ref.random_state(rng, V, H))


@pytest.mark.points(1)
def test_hidden_size_default(student, rng):
    """CharLSTM: hidden_size defaults to the lecture's 128 units"""
    state = ref.random_state(rng, 20, 128)
    model_with(student, state)  # 128 units asked for explicitly first: a failure there is not the default's
    try:
        model_with(student, state, default_size=True)
    except AssertionError:
        raise AssertionError("CharLSTM(vocab_size) without hidden_size should have the lecture's 128 units.") from None


@pytest.mark.points(2)
def test_lstm_and_fc_layers(student, rng):
    """CharLSTM: its lstm reads (n, maxlen, V) batches (batch first) and its fc scores every character"""
    state = ref.random_state(rng, 9, 6)
    model = model_with(student, state)
    X = one_hot_batch(rng, 3, 7, 9)
    outputs = assert_tuple(model.call("lstm", torch.tensor(X)), 2, "model.lstm(X)",
                           hint="lstm should be an nn.LSTM: it returns (outputs, (h, c)).")[0]
    assert_tensor(outputs, "the LSTM's outputs", shape=(3, 7, 6))
    if not np.allclose(outputs, ref.lstm_outputs(state, X), rtol=1e-4, atol=1e-5):
        if np.allclose(outputs, ref.lstm_outputs(state, X, batch_first=False), rtol=1e-4, atol=1e-5):
            raise AssertionError("the LSTM reads X as (maxlen, n, V): build it with batch_first=True.")
        raise AssertionError("the LSTM's outputs differ from torch's nn.LSTM with the same weights.")
    hidden = rng.normal(size=(4, 6)).astype(np.float32)
    scores = assert_tensor(model.call("fc", torch.tensor(hidden)), "fc's scores", shape=(4, 9))
    assert_close(scores, ref.fc_outputs(state, hidden), "fc's scores", rtol=1e-4, atol=1e-5,
                 hint="fc should be the Linear layer from the hidden units to one score per character.")


def check_logits(student, state, X):
    logits = assert_tensor(student_model(student, state).call("forward", torch.tensor(X)), "logits",
                           shape=(len(X), state["fc.weight"].shape[0]), hint="One row of V scores per segment.")
    expected = ref.logits(state, X)
    if not np.allclose(logits, expected, rtol=1e-4, atol=1e-5):
        for variant, message in FORWARD_SLIPS.items():
            if np.allclose(logits, ref.logits_variant(state, X, variant), rtol=1e-4, atol=1e-5):
                raise AssertionError(message)
    assert_close(logits, expected, "logits", rtol=1e-4, atol=1e-5, hint=FORWARD_HINT)


def student_model(student, state):
    V, H = state["fc.weight"].shape
    model = student.make("CharLSTM", V, hidden_size=H)
    model.load_state(state)  # CharLSTM's own tests say why a model cannot take the weights
    return model


@pytest.mark.points(3)
def test_logits_match(student, rng):
    """CharLSTM.forward: logits (n, V) equal torch's LSTM and Linear with the same weights"""
    segments, _ = ref.segments(ref.TINY_CORPUS, 12, 5)
    chars, char_to_idx = ref.vocab(ref.TINY_CORPUS)
    check_logits(student, ref.random_state(rng, len(chars), 16), ref.one_hot(segments[:6], char_to_idx))


@pytest.mark.points(1)
def test_last_time_step(student, rng):
    """CharLSTM.forward: the prediction is read at the last time step of the segment"""
    chars, char_to_idx = ref.vocab(ref.TINY_CORPUS)
    # The same first characters, different last ones.
    check_logits(student, ref.random_state(rng, len(chars), 8), ref.one_hot(["the cat", "the rat"], char_to_idx))
