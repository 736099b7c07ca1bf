"""Hidden graders for the data: build_vocab, make_segments and vectorize."""

import numpy as np
import pytest

import hw3_reference as ref
from rnnkit_testing import assert_array, assert_tuple

SEGMENT_HINT = (
    "Segments start at 0, step, 2*step, ... as long as a next character follows the segment; "
    "the label of a segment is the character right after it."
)


def check_segments(student, text, maxlen, step):
    expected = ref.segments(text, maxlen, step)
    result = assert_tuple(
        student.make_segments(text, maxlen=maxlen, step=step), 2, "make_segments",
        hint="Return (segments, next_chars).",
    )
    segments, next_chars = (list(part) if isinstance(part, (list, tuple)) else part for part in result)
    where = f"(len(text) = {len(text)}, maxlen = {maxlen}, step = {step})"
    if not isinstance(segments, list) or len(segments) != len(expected[0]):
        count = len(segments) if isinstance(segments, list) else type(segments).__name__
        raise AssertionError(
            f"make_segments {where} gives {count} segments, expected {len(expected[0])}. {SEGMENT_HINT}"
        )
    if segments != expected[0]:
        raise AssertionError(f"make_segments {where}: the segments' contents differ. {SEGMENT_HINT}")
    if list(next_chars) != expected[1]:
        raise AssertionError(f"make_segments {where}: the next characters differ. {SEGMENT_HINT}")


@pytest.mark.points(1)
def test_vocab_sorted(student):
    """build_vocab: the sorted distinct characters, and each one's index"""
    chars, char_to_idx = assert_tuple(student.build_vocab(ref.LECTURE_TEXT), 2, "build_vocab",
                                      hint="Return (chars, char_to_idx).")
    expected_chars, expected_index = ref.vocab(ref.LECTURE_TEXT)
    if sorted(chars) != expected_chars:
        raise AssertionError("chars should hold each distinct character of the text exactly once.")
    if list(chars) != expected_chars:
        raise AssertionError("chars should be sorted, so that the same text always gives the same indices.")
    if dict(char_to_idx) != expected_index:
        raise AssertionError("char_to_idx[c] should be the position of c in chars.")


@pytest.mark.points(2)
def test_lecture_segments(student):
    """make_segments: the lecture's sentence cut every 3 characters into 40-character segments"""
    check_segments(student, ref.LECTURE_TEXT, 40, 3)


@pytest.mark.points(1)
@pytest.mark.parametrize("maxlen,step", [(5, 1), (7, 4), (10, 5)])
def test_other_lengths_and_steps(student, maxlen, step):
    """make_segments: other segment lengths and steps"""
    check_segments(student, ref.TINY_CORPUS[:60], maxlen, step)


@pytest.mark.points(1)
@pytest.mark.parametrize("length", [0, 39, 40, 41])
def test_texts_around_maxlen(student, length):
    """make_segments: texts of at most maxlen characters give no segment, one more gives one"""
    check_segments(student, ref.TINY_CORPUS[:length], 40, 3)


@pytest.mark.points(2)
def test_one_hot(student):
    """vectorize: X is (n, maxlen, V) float32 one-hot, y the int64 targets"""
    segments, next_chars = ref.segments(ref.LECTURE_TEXT, 10, 7)
    chars, char_to_idx = ref.vocab(ref.LECTURE_TEXT)
    X, y = assert_tuple(student.vectorize(segments, next_chars, char_to_idx), 2, "vectorize",
                        hint="Return (X, y).")
    n, V = len(segments), len(chars)
    assert_array(X, "X", shape=(n, 10, V), hint="One row per segment, one step per character, one column per character of the vocabulary.")
    if X.dtype != np.float32:
        raise AssertionError(f"X should be float32 (the LSTM's weights are float32), got {X.dtype}.")
    if not np.array_equal(X, ref.one_hot(segments, char_to_idx)):
        raise AssertionError(
            "X is not the one-hot encoding of the segments: each character becomes a vector of V "
            "zeros with a single 1 at the character's index."
        )
    assert_array(y, "y", shape=(n,), hint="y holds one index per segment, not a one-hot vector.")
    if y.dtype != np.int64:
        raise AssertionError(f"y should hold int64 indices (what CrossEntropyLoss expects), got {y.dtype}.")
    if not np.array_equal(y, [char_to_idx[c] for c in next_chars]):
        raise AssertionError("y[i] should be the index of the i-th next character.")
