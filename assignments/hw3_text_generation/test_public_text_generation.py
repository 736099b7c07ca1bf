"""Public tests for HW3. Run them with `pytest` in this folder.

They check the lecture's recipe on small texts: the vocabulary, segments, one-hot vectors, the
model's layers and logits against torch's own nn.LSTM and nn.Linear holding the same weights,
temperature sampling, and generation. The autograder runs these tests too, plus hidden ones that
check more cases (other lengths and steps, short texts, the defaults, the last time step, the
distribution at several temperatures, the sliding window, that your model learns).
"""

import numpy as np
import pytest
import torch
from torch import nn

from rnnkit_testing import (
    StudentCodeError, assert_close, assert_dict, assert_int, assert_str, assert_str_list, assert_tensor,
    assert_tuple,
)

TEXT = "Recurrent neural networks are artificial neural networks that use sequential data."
CHARS = sorted(set(TEXT))
CHAR_TO_IDX = {char: index for index, char in enumerate(CHARS)}
SEGMENT_HINT = "A segment starts every step characters, as long as a character follows it."


def torch_model(V, H):
    """torch's own LSTM and Linear, and their weights by the names CharLSTM must use."""
    torch.manual_seed(V * 1000 + H)
    lstm, fc = nn.LSTM(V, H, batch_first=True), nn.Linear(H, V)
    state = {f"lstm.{k}": v.detach().numpy() for k, v in lstm.state_dict().items()}
    state.update({f"fc.{k}": v.detach().numpy() for k, v in fc.state_dict().items()})
    return lstm, fc, state


def load_weights(model, state, V, H):
    """Give the student's model torch's weights; a model that cannot take them fails here."""
    try:
        model.load_state(state)
    except StudentCodeError as error:
        raise AssertionError(
            f"CharLSTM({V}, hidden_size={H}) cannot take the weights of one nn.LSTM named lstm that reads "
            f"the {V} one-hot inputs directly (no embedding layer) and one nn.Linear named fc: "
            f"{load_error(error)}"
        ) from None


def load_error(error):
    """What torch said when the weights would not load: the keys missing, unexpected or of another size."""
    lines = [line.strip() for line in str(error).splitlines()[1:] if line.strip()]
    return " ".join(lines)[:400] or str(error)[:400]


def one_hot(rng, n, T, V):
    X = torch.zeros(n, T, V)
    X[torch.arange(n)[:, None], torch.arange(T)[None, :], torch.tensor(rng.integers(0, V, size=(n, T)))] = 1.0
    return X


@pytest.mark.points(1)
def test_vocab(student):
    """build_vocab: the sorted distinct characters of a sentence, and each one's index"""
    chars, char_to_idx = assert_tuple(student.build_vocab(TEXT), 2, "build_vocab", hint="Return (chars, char_to_idx).")
    chars = assert_str_list(chars, "chars")
    char_to_idx = assert_dict(char_to_idx, "char_to_idx", value_type=int)
    if sorted(chars) != CHARS:
        raise AssertionError("chars should hold each distinct character of the text exactly once.")
    if chars != CHARS:
        raise AssertionError("chars should be sorted, so that the same text always gives the same indices.")
    if char_to_idx != CHAR_TO_IDX:
        raise AssertionError("char_to_idx[c] should be the position of c in chars.")


@pytest.mark.points(2)
def test_lecture_segments(student):
    """make_segments: 40-character segments every 3 characters, each with its next character"""
    for length in (len(TEXT), 41, 44):
        text = TEXT[:length]
        segments, next_chars = assert_tuple(student.make_segments(text, maxlen=40, step=3), 2, "make_segments",
                                            hint="Return (segments, next_chars).")
        segments = assert_str_list(segments, "segments")
        next_chars = assert_str_list(next_chars, "next_chars")
        starts = range(0, len(text) - 40, 3)
        if len(segments) != len(starts):
            raise AssertionError(
                f"a text of {length} characters gives {len(segments)} segments of 40 characters every 3, "
                f"expected {len(starts)}. {SEGMENT_HINT}"
            )
        if segments != [text[i:i + 40] for i in starts] or next_chars != [text[i + 40] for i in starts]:
            raise AssertionError(
                f"the segments of a text of {length} characters or their next characters are not the "
                f"lecture's. {SEGMENT_HINT}"
            )


@pytest.mark.points(1)
def test_vectorize_one_hot(student):
    """vectorize: X (n, maxlen, V) float32 one-hot and y (n,) int64 indices"""
    segments = [TEXT[0:8], TEXT[3:11]]
    X, y = assert_tuple(student.vectorize(segments, [TEXT[8], TEXT[11]], CHAR_TO_IDX), 2, "vectorize",
                        hint="Return (X, y).")
    V = len(CHARS)
    assert_tensor(X, "X", shape=(2, 8, V), dtype=np.float32,
                  hint="One row per segment, one step per character, one column per character of the vocabulary.")
    assert_tensor(y, "y", shape=(2,), dtype=np.int64, hint="y holds one index per segment, not a one-hot vector.")
    expected = np.zeros((2, 8, V), dtype=np.float32)
    for i, segment in enumerate(segments):
        for t, char in enumerate(segment):
            expected[i, t, CHAR_TO_IDX[char]] = 1
    if not np.array_equal(X, expected):
        raise AssertionError("X should hold one-hot vectors: a 1 at each character's index, 0 elsewhere.")
    if list(y) != [CHAR_TO_IDX[TEXT[8]], CHAR_TO_IDX[TEXT[11]]]:
        raise AssertionError("y should hold the indices of the next characters.")


@pytest.mark.points(2)
def test_lecture_model_layers(student, rng):
    """CharLSTM: the lecture's model (V = 57, 128 units): an LSTM named lstm, batch first, and a Linear named fc"""
    V, H = 57, 128
    lstm, _, state = torch_model(V, H)
    model = student.make("CharLSTM", V, hidden_size=H)
    load_weights(model, state, V, H)  # strict: exactly these 103,097 weights, by these names
    X = one_hot(rng, 2, 5, V)
    outputs = assert_tuple(model.call("lstm", X), 2, "model.lstm(X)",
                           hint="lstm should be an nn.LSTM: it returns (outputs, (h, c)).")[0]
    with torch.no_grad():
        expected = lstm(X)[0].numpy()
    assert_tensor(outputs, "the LSTM's outputs", shape=expected.shape,
                  hint="Build the LSTM with batch_first=True: X is (n, maxlen, V).")
    if not np.allclose(outputs, expected, rtol=1e-4, atol=1e-5):
        raise AssertionError("the LSTM does not read X as (n, maxlen, V): build it with batch_first=True.")


@pytest.mark.points(2)
def test_logits_match_torch(student, rng):
    """CharLSTM.forward: logits match torch's LSTM and Linear with the same weights"""
    V, H = 12, 8
    lstm, fc, state = torch_model(V, H)
    model = student.make("CharLSTM", V, hidden_size=H)
    load_weights(model, state, V, H)
    X = one_hot(rng, 3, 5, V)
    with torch.no_grad():
        outputs = lstm(X)[0]
        expected = fc(outputs[:, -1])
        slips = {  # what a slip returns instead, and what it means
            "forward returns probabilities: return the raw scores (logits); the loss and generate apply "
            "softmax themselves.": [torch.softmax(expected, dim=1), torch.log_softmax(expected, dim=1)],
            "the logits are read at the first time step: apply fc to the LSTM's output at the last time "
            "step of each segment.": [fc(outputs[:, 0])],
        }
    logits = assert_tensor(model.call("forward", X), "logits", shape=(3, V), hint="One row of V scores per segment.")
    for message, values in slips.items():
        if any(np.allclose(logits, value.numpy(), rtol=1e-4, atol=1e-5) for value in values):
            raise AssertionError(message)
    assert_close(logits, expected.numpy(), "logits", rtol=1e-4, atol=1e-5,
                 hint="The logits are fc applied to the LSTM's output at the last time step.")


def draws(student, probs, temperature, count):
    return [assert_int(student.sample_next(probs, temperature, np.random.default_rng(seed)), "sample_next's index",
                       low=0, high=len(probs)) for seed in range(count)]


def rng_left_untouched(student, probs):
    """Whether sample_next left the rng it was given as it was (it drew with something else)."""
    rng = np.random.default_rng(5)
    before = rng.bit_generator.state
    _, args, _ = student.call_with_inputs("sample_next", probs, 1.0, rng)
    return not isinstance(args[2], np.random.Generator) or args[2].bit_generator.state == before


@pytest.mark.points(1)
def test_sample_next_follows_probs(student):
    """sample_next: at temperature 1 the draws follow probs, a zero is never drawn, at 0.1 the most likely wins"""
    probs = np.array([0.1, 0.0, 0.6, 0.3])
    values = draws(student, probs, 1.0, 300)
    if rng_left_untouched(student, probs):
        if set(values) == {2} and set(draws(student, np.array([0.5, 0.3, 0.0, 0.2]), 1.0, 10)) == {0}:
            raise AssertionError("sample_next always returns the most likely index: draw at random from the "
                                 "reweighted distribution rather than taking its argmax.")
        raise AssertionError("sample_next leaves the rng it is given untouched: draw with that rng, never the "
                             "global np.random, so that a run can be repeated.")
    counts = np.bincount(values, minlength=4) / len(values)
    if counts[1] > 0:
        raise AssertionError("an index of probability 0 was drawn: reweighting keeps a zero at zero.")
    if np.abs(counts - probs).sum() > 0.16:
        raise AssertionError("at temperature 1 the draws should follow probs.")
    cold = np.mean(np.equal(draws(student, probs, 0.1, 50), 2))
    if cold < 0.95:
        if cold < counts[2] - 0.1:
            raise AssertionError("at temperature 0.1 the draws are flatter than at 1: a low temperature should "
                                 "sharpen the distribution (divide by the temperature, do not multiply).")
        raise AssertionError("at temperature 0.1 the most likely index should win almost every draw: reweight "
                             "each probability as p ** (1 / temperature).")


@pytest.mark.points(1)
def test_generate_length_and_repeatable(student):
    """generate: `length` characters of the vocabulary (the seed not included), the same for the same rng seed"""
    _, _, state = torch_model(len(CHARS), 16)
    model = student.make("CharLSTM", len(CHARS), hidden_size=16)
    load_weights(model, state, len(CHARS), 16)
    texts = [student.generate(model, TEXT[:20], 15, CHAR_TO_IDX, CHARS, temperature=1.0,
                              rng=np.random.default_rng(3)) for _ in range(2)]
    text = assert_str(texts[0], "generate's text")
    if len(text) == 35 and text.startswith(TEXT[:20]):
        raise AssertionError("generate returns the seed too: return only the `length` new characters.")
    if len(text) != 15 or not set(text) <= set(CHARS):
        raise AssertionError("generate should return exactly `length` new characters from the vocabulary.")
    if texts[0] != texts[1]:
        raise AssertionError("the same rng seed should give the same text: draw with the rng argument.")
