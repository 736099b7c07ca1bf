"""Hidden graders for CharLSTM: its layers, its parameter count, and its logits."""

import numpy as np
import pytest
import torch

import hw3_reference as ref
from rnnkit_testing import assert_array, assert_close

NAMES = {"lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0", "fc.weight", "fc.bias"}
FORWARD_HINT = (
    "Run the LSTM over the whole segment (batch_first) and apply fc to its output at the last time "
    "step only; return the raw scores (logits), no softmax."
)


@pytest.mark.points(2)
def test_lecture_parameter_count(student):
    """CharLSTM: 103,097 parameters for V = 57 and 128 hidden units (the lecture's model)"""
    count = student.make("CharLSTM", 57, hidden_size=128).parameter_count()
    if count != ref.torch_param_count(57, 128):
        raise AssertionError(
            f"CharLSTM(57, 128) has {count} parameters: expected one LSTM layer of 128 units reading "
            "the 57 one-hot inputs directly (no embedding layer), then one Linear layer to 57 scores."
        )


@pytest.mark.points(1)
def test_layer_names(student):
    """CharLSTM: one LSTM layer named lstm and a Linear layer named fc"""
    names = set(student.make("CharLSTM", 10, hidden_size=16).state())
    if names != NAMES:
        raise AssertionError(
            f"the model's weights are {sorted(names)}; expected exactly {sorted(NAMES)}: keep the "
            "names lstm and fc, one LSTM layer and one Linear layer."
        )


@pytest.mark.points(1)
@pytest.mark.parametrize("V,H", [(10, 16), (31, 8)])
def test_other_sizes(student, V, H):
    """CharLSTM: the parameter count for other sizes"""
    count = student.make("CharLSTM", V, hidden_size=H).parameter_count()
    if count != ref.torch_param_count(V, H):
        raise AssertionError(f"CharLSTM({V}, {H}) has {count} parameters; use vocab_size and hidden_size as given.")


def student_logits(student, state, X):
    V, H = state["fc.weight"].shape
    model = student.make("CharLSTM", V, hidden_size=H)
    model.load_state(state)
    return model.call("forward", torch.tensor(X))


@pytest.mark.points(3)
def test_logits_match(student, rng):
    """CharLSTM.forward: logits (n, V) equal torch's LSTM and Linear with the same weights"""
    segments, _ = ref.segments(ref.TINY_CORPUS, 12, 5)
    chars, char_to_idx = ref.vocab(ref.TINY_CORPUS)
    state = ref.random_state(rng, len(chars), 16)
    X = ref.one_hot(segments[:6], char_to_idx)
    logits = student_logits(student, state, X)
    assert_array(logits, "logits", shape=(6, len(chars)), hint="One row of V scores per segment.")
    expected = ref.logits(state, X)
    if np.allclose(np.exp(logits).sum(axis=1), 1.0, atol=1e-4) or np.allclose(logits.sum(axis=1), 1.0, atol=1e-4):
        raise AssertionError("forward returns (log-)probabilities: return the raw logits; the loss and generate apply softmax themselves.")
    assert_close(logits, expected, "logits", rtol=1e-4, atol=1e-5, hint=FORWARD_HINT)


@pytest.mark.points(1)
def test_last_time_step(student, rng):
    """CharLSTM.forward: the prediction is read at the last time step of the segment"""
    chars, char_to_idx = ref.vocab(ref.TINY_CORPUS)
    state = ref.random_state(rng, len(chars), 8)
    X = ref.one_hot(["the cat", "the rat"], char_to_idx)  # the same first characters, different last ones
    logits = student_logits(student, state, X)
    assert_array(logits, "logits", shape=(2, len(chars)))
    if np.allclose(logits[0], logits[1], atol=1e-6):
        raise AssertionError(
            "two segments that differ only in their later characters get the same logits: take the "
            "LSTM's output at the last time step, not the first."
        )
    assert_close(logits, ref.logits(state, X), "logits", rtol=1e-4, atol=1e-5, hint=FORWARD_HINT)
