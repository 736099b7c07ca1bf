"""Hidden graders for the data: build_vocab, make_segments and vectorize."""

import numpy as np
import pytest

from . import hw3_reference as ref
from rnnkit_testing import assert_dict, assert_str_list, assert_tensor, assert_tuple

SEGMENT_HINT = (
    "Segments start at 0, step, 2*step, ... as long as a next character follows the segment; "
    "the label of a segment is the character right after it."
)


def student_segments(student, text, **kwargs):
    """make_segments(text, **kwargs), type-checked: (segments, next_chars) as two lists of str."""
    result = assert_tuple(student.make_segments(text, **kwargs), 2, "make_segments",
                          hint="Return (segments, next_chars).")
    return assert_str_list(result[0], "segments"), assert_str_list(result[1], "next_chars")


def check_segments(student, text, maxlen, step, result=None):
    expected = ref.segments(text, maxlen, step)
    segments, next_chars = result or student_segments(student, text, maxlen=maxlen, step=step)
    where = f"(len(text) = {len(text)}, maxlen = {maxlen}, step = {step})"
    if len(segments) != len(expected[0]):
        raise AssertionError(
            f"make_segments {where} gives {len(segments)} segments, expected {len(expected[0])}. {SEGMENT_HINT}"
        )
    if segments != expected[0]:
        raise AssertionError(f"make_segments {where}: the segments' contents differ. {SEGMENT_HINT}")
    if next_chars != expected[1]:
        if next_chars == [segment[-1] for segment in segments]:
            raise AssertionError(
                f"make_segments {where}: each next character is the last character of its segment; the "
                "label is the character right after the segment."
            )
        raise AssertionError(f"make_segments {where}: the next characters differ. {SEGMENT_HINT}")


@pytest.mark.points(1)
def test_vocab_sorted(student):
    """build_vocab: the sorted distinct characters of a corpus, and each one's index"""
    chars, char_to_idx = assert_tuple(student.build_vocab(ref.TINY_CORPUS + "Z!\n"), 2, "build_vocab",
                                      hint="Return (chars, char_to_idx).")
    chars = assert_str_list(chars, "chars")
    char_to_idx = assert_dict(char_to_idx, "char_to_idx", value_type=int)
    expected_chars, expected_index = ref.vocab(ref.TINY_CORPUS + "Z!\n")
    if sorted(chars) != expected_chars:
        raise AssertionError("chars should hold each distinct character of the text exactly once.")
    if chars != expected_chars:
        raise AssertionError("chars should be sorted, so that the same text always gives the same indices.")
    if {key: int(value) for key, value in char_to_idx.items()} != expected_index:
        raise AssertionError("char_to_idx[c] should be the position of c in chars.")


@pytest.mark.points(2)
def test_lecture_segments(student):
    """make_segments: the lecture's sentence cut every 3 characters into 40-character segments"""
    check_segments(student, ref.LECTURE_TEXT, 40, 3)


@pytest.mark.points(1)
def test_lecture_defaults(student):
    """make_segments: maxlen and step default to the lecture's 40 and 3"""
    text = ref.TINY_CORPUS[:101]
    result = student_segments(student, text)
    expected = ref.segments(text, 40, 3)
    if (len(result[0]), len(result[1])) != (len(expected[0]), len(expected[1])) or result != (expected[0], expected[1]):
        explicit = student_segments(student, text, maxlen=40, step=3)
        if explicit == expected:
            raise AssertionError(
                "called without maxlen and step, make_segments does not cut 40-character segments every "
                "3 characters: the defaults are the lecture's (MAXLEN and STEP)."
            )
        check_segments(student, text, 40, 3, result=explicit)


@pytest.mark.points(1)
@pytest.mark.parametrize("maxlen,step", [(5, 1), (7, 4), (10, 5)])
def test_other_lengths_and_steps(student, maxlen, step):
    """make_segments: other segment lengths and steps"""
    check_segments(student, ref.TINY_CORPUS[:60], maxlen, step)


@pytest.mark.points(1)
@pytest.mark.parametrize("length", [0, 39, 40, 41, 43])
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
    assert_tensor(X, "X", shape=(n, 10, V),
                  hint="One row per segment, one step per character, one column per character of the vocabulary.")
    if X.dtype != np.float32:
        raise AssertionError(f"X should be float32 (the LSTM's weights are float32), got {X.dtype}.")
    if not np.array_equal(X, ref.one_hot(segments, char_to_idx)):
        raise AssertionError(
            "X is not the one-hot encoding of the segments: each character becomes a vector of V "
            "zeros with a single 1 at the character's index."
        )
    assert_tensor(y, "y", shape=(n,), hint="y holds one index per segment, not a one-hot vector.")
    if y.dtype != np.int64:
        raise AssertionError(f"y should hold int64 indices (what CrossEntropyLoss expects), got {y.dtype}.")
    if not np.array_equal(y, [char_to_idx[c] for c in next_chars]):
        raise AssertionError("y[i] should be the index of the i-th next character.")


@pytest.mark.points(1)
def test_vectorize_leaves_its_inputs_alone(student):
    """vectorize: leaves segments, next_chars and char_to_idx as they were"""
    segments, next_chars = ref.segments(ref.TINY_CORPUS[:50], 6, 4)
    _, char_to_idx = ref.vocab(ref.TINY_CORPUS)
    result, args, _ = student.call_with_inputs("vectorize", list(segments), list(next_chars), dict(char_to_idx))
    X, _ = assert_tuple(result, 2, "vectorize", hint="Return (X, y).")
    assert_tensor(X, "X", shape=(len(segments), 6, len(char_to_idx)))
    for name, before, after in zip(("segments", "next_chars", "char_to_idx"), (segments, next_chars, char_to_idx), args):
        if after != before:
            raise AssertionError(f"vectorize changed its input {name}: read the inputs, never modify them.")
