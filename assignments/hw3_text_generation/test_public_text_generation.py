"""Public tests for HW3. Run them with `pytest` in this folder.

They check the lecture's recipe on small texts: segments, one-hot vectors, the model's size and
logits against torch's own nn.LSTM and nn.Linear holding the same weights, temperature sampling,
and generation. The autograder runs these tests too, plus hidden ones that check more cases (other
lengths and steps, short texts, the last time step, the distribution at several temperatures, the
sliding window, that your model learns).
"""

import numpy as np
import pytest
import torch
from torch import nn

from rnnkit_testing import assert_array, assert_close, assert_tuple

TEXT = "Recurrent neural networks are artificial neural networks that use sequential data."


@pytest.mark.points(2)
def test_lecture_segments(student):
    """make_segments: 40-character segments every 3 characters, each with its next character"""
    segments, next_chars = assert_tuple(student.make_segments(TEXT, maxlen=40, step=3), 2, "make_segments",
                                        hint="Return (segments, next_chars).")
    starts = range(0, len(TEXT) - 40, 3)
    if list(segments) != [TEXT[i:i + 40] for i in starts] or list(next_chars) != [TEXT[i + 40] for i in starts]:
        raise AssertionError(
            "the segments or their next characters are not the lecture's: a segment starts every step "
            "characters, as long as a character follows it."
        )


@pytest.mark.points(1)
def test_vectorize_one_hot(student):
    """vectorize: X (n, maxlen, V) float32 one-hot and y (n,) int64 indices"""
    chars, char_to_idx = student.build_vocab(TEXT)
    segments = [TEXT[0:8], TEXT[3:11]]
    X, y = assert_tuple(student.vectorize(segments, [TEXT[8], TEXT[11]], char_to_idx), 2, "vectorize")
    assert_array(X, "X", shape=(2, 8, len(chars)))
    assert_array(y, "y", shape=(2,))
    expected = np.zeros((2, 8, len(chars)), dtype=np.float32)
    for i, segment in enumerate(segments):
        for t, char in enumerate(segment):
            expected[i, t, chars.index(char)] = 1
    if X.dtype != np.float32 or not np.array_equal(X, expected):
        raise AssertionError("X should be float32 one-hot vectors: a 1 at each character's index, 0 elsewhere.")
    if y.dtype != np.int64 or list(y) != [chars.index(TEXT[8]), chars.index(TEXT[11])]:
        raise AssertionError("y should hold the int64 indices of the next characters.")


@pytest.mark.points(2)
def test_lecture_model_size(student):
    """CharLSTM: the lecture's model (V = 57, 128 units) has 103,097 parameters"""
    count = student.make("CharLSTM", 57, hidden_size=128).parameter_count()
    if count != 103_097:
        raise AssertionError(f"CharLSTM(57, 128) has {count} parameters: one LSTM layer on the one-hot inputs, then one Linear layer.")


@pytest.mark.points(2)
def test_logits_match_torch(student, rng):
    """CharLSTM.forward: logits match torch's LSTM and Linear with the same weights"""
    V, H = 12, 8
    lstm, fc = nn.LSTM(V, H, batch_first=True), nn.Linear(H, V)
    state = {f"lstm.{k}": v.detach().numpy() for k, v in lstm.state_dict().items()}
    state.update({f"fc.{k}": v.detach().numpy() for k, v in fc.state_dict().items()})
    model = student.make("CharLSTM", V, hidden_size=H)
    model.load_state(state)
    X = torch.zeros(3, 5, V)
    X[torch.arange(3)[:, None], torch.arange(5)[None, :], torch.tensor(rng.integers(0, V, size=(3, 5)))] = 1.0
    with torch.no_grad():
        expected = fc(lstm(X)[0][:, -1]).numpy()
    assert_close(model.call("forward", X), expected, "logits", rtol=1e-4, atol=1e-5,
                 hint="Apply fc to the LSTM's output at the last time step; return logits, not probabilities.")


@pytest.mark.points(1)
def test_sample_next_follows_probs(student):
    """sample_next: at temperature 1 the draws follow probs, and a zero is never drawn"""
    probs = np.array([0.1, 0.0, 0.6, 0.3])
    values = [student.sample_next(probs, 1.0, np.random.default_rng(seed)) for seed in range(400)]
    counts = np.bincount(values, minlength=4) / len(values)
    if counts[1] > 0 or np.abs(counts - probs).sum() > 0.16:
        raise AssertionError("at temperature 1 the draws should follow probs (and never pick a probability of 0).")


@pytest.mark.points(1)
def test_generate_length_and_repeatable(student):
    """generate: `length` characters of the vocabulary, the same for the same rng seed"""
    chars, char_to_idx = student.build_vocab(TEXT)
    model = student.make("CharLSTM", len(chars), hidden_size=16)
    texts = [student.generate(model, TEXT[:20], 15, char_to_idx, chars, temperature=1.0,
                              rng=np.random.default_rng(3)) for _ in range(2)]
    if not isinstance(texts[0], str) or len(texts[0]) != 15 or not set(texts[0]) <= set(chars):
        raise AssertionError("generate should return exactly `length` new characters from the vocabulary.")
    if texts[0] != texts[1]:
        raise AssertionError("the same rng seed should give the same text: draw with the rng argument.")
