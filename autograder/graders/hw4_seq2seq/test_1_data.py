"""Hidden graders for the data preparation: the vocabulary, ids, the <SOS>/<EOS> recipe, padding."""

import numpy as np
import pytest

import hw4_reference as ref
from rnnkit_testing import assert_array, assert_tuple

SENTENCES = [["the", "cat", "sat"], ["the", "dog", "sat"], ["a", "cat", "ran"], ["the", "end"]]
VOCAB_HINT = "The four special tokens come first (ids 0 to 3), then the tokens by descending count."


def vocab_of(student, sentences, **kwargs):
    vocab = student.build_vocab(sentences, **kwargs)
    if not isinstance(vocab, dict):
        raise AssertionError(f"build_vocab should return a dict (token -> id), not {type(vocab).__name__}.")
    return vocab


@pytest.mark.points(1)
def test_specials_come_first(student):
    """build_vocab: <PAD>, <SOS>, <EOS>, <UNK> have ids 0, 1, 2, 3"""
    vocab = vocab_of(student, SENTENCES)
    if [vocab.get(token) for token in ref.SPECIALS] != [0, 1, 2, 3]:
        raise AssertionError(f"the special tokens should have the ids PAD = 0, SOS = 1, EOS = 2, UNK = 3. {VOCAB_HINT}")


@pytest.mark.points(2)
@pytest.mark.parametrize("sentences", [
    SENTENCES,
    [["b", "a"], ["c", "b"], ["a", "d"], ["d", "c"]],  # every token twice: alphabetical
    [["zebra", "apple", "mango"], ["mango"], ["apple", "zebra"], ["kiwi"]],
], ids=["sentences", "all_tied", "ties_not_in_first_order"])
def test_order_by_count_then_alphabet(student, sentences):
    """build_vocab: tokens ordered by descending count, ties in alphabetical order"""
    vocab = vocab_of(student, sentences)
    expected = ref.vocab(sentences)
    if set(vocab) != set(expected):
        raise AssertionError(
            "the vocabulary keeps a different set of tokens: with the default min_freq=1 every token "
            "that occurs at least once is kept, besides the four specials."
        )
    if vocab != expected:
        raise AssertionError(
            "the token ids are not in the expected order: after the specials, the most frequent token "
            "gets id 4; tokens with the same count are ordered alphabetically, not by first appearance."
        )


@pytest.mark.points(2)
@pytest.mark.parametrize("min_freq", [2, 3])
def test_min_freq(student, min_freq):
    """build_vocab: a token kept only when it occurs at least min_freq times"""
    sentences = SENTENCES + [["cat", "the", "a"]]
    vocab = vocab_of(student, sentences, min_freq=min_freq)
    expected = ref.vocab(sentences, min_freq=min_freq)
    if set(vocab) != set(expected):
        raise AssertionError(
            f"with min_freq={min_freq} the vocabulary keeps a different set of tokens: a token that "
            "occurs exactly min_freq times is kept, one that occurs fewer times is left out (it becomes UNK)."
        )
    if vocab != expected:
        raise AssertionError(f"the kept tokens have the wrong ids. {VOCAB_HINT}")


@pytest.mark.points(1)
def test_no_sentences(student):
    """build_vocab: no sentences give just the four specials"""
    if vocab_of(student, []) != {token: index for index, token in enumerate(ref.SPECIALS)}:
        raise AssertionError("build_vocab([]) should hold exactly the four special tokens.")


@pytest.mark.points(2)
def test_numericalize_unknown_words(student):
    """numericalize: known tokens to their ids, unknown ones to UNK"""
    vocab = ref.vocab(SENTENCES)
    tokens = ["the", "zebra", "cat", "<PAD>x", "sat"]
    ids = student.numericalize(tokens, vocab)
    if not isinstance(ids, list) or len(ids) != len(tokens):
        raise AssertionError(f"numericalize should return a list of {len(tokens)} ints, one per token.")
    if ids != [vocab.get(token, ref.UNK) for token in tokens]:
        raise AssertionError("a token the vocabulary has gets its id; any other token gets UNK (id 3), not PAD or -1.")


EXAMPLE_HINT = (
    "The recipe: the source ends with EOS; the decoder reads SOS and then the target (tgt_in); "
    "it must write the target and then EOS (tgt_out). tgt_in and tgt_out are the same sequence shifted by one."
)


@pytest.mark.points(3)
@pytest.mark.parametrize("src,tgt", [
    (["the", "cat", "sat"], ["le", "chat", "assis"]),
    (["a", "zebra", "ran"], ["un", "zebre", "couru"]),  # unknown words on both sides
], ids=["known_words", "unknown_words"])
def test_make_example(student, src, tgt):
    """make_example: the source ends with EOS, tgt_in starts with SOS, tgt_out ends with EOS"""
    src_vocab = ref.vocab(SENTENCES)
    tgt_vocab = ref.vocab([["le", "chat", "assis"], ["le", "chien"], ["un", "chat"]])
    result = assert_tuple(student.make_example(src, tgt, src_vocab, tgt_vocab), 3, "make_example",
                          hint="Return (src_ids, tgt_in, tgt_out).")
    expected = ref.example(src, tgt, src_vocab, tgt_vocab)
    for name, got, want in zip(("src_ids", "tgt_in", "tgt_out"), result, expected):
        if list(got) != want:
            raise AssertionError(f"{name} is not the lecture's: {EXAMPLE_HINT}")


@pytest.mark.points(1)
def test_make_example_empty_target(student):
    """make_example: an empty target gives tgt_in [SOS] and tgt_out [EOS]"""
    vocab = ref.vocab(SENTENCES)
    result = assert_tuple(student.make_example(["the", "end"], [], vocab, vocab), 3, "make_example")
    if [list(part) for part in result] != list(ref.example(["the", "end"], [], vocab, vocab)):
        raise AssertionError(f"with an empty target, tgt_in is just SOS and tgt_out just EOS. {EXAMPLE_HINT}")


PAD_HINT = "Row b holds seqs[b] and then pad_id up to the longest length; lengths holds each sequence's own length."


@pytest.mark.points(2)
@pytest.mark.parametrize("pad_id", [None, 7], ids=["default_pad", "pad_id_7"])
def test_pad_batch(student, pad_id):
    """pad_batch: (B, T_max) int64 padded with pad_id, and int64 lengths (B,)"""
    seqs = [[5, 6, 7], [8], [9, 10, 11, 12, 2], [4, 2]]
    kwargs = {} if pad_id is None else {"pad_id": pad_id}
    batch, lengths = assert_tuple(student.pad_batch(seqs, **kwargs), 2, "pad_batch", hint="Return (batch, lengths).")
    assert_array(batch, "batch", shape=(4, 5), hint=PAD_HINT)
    assert_array(lengths, "lengths", shape=(4,), hint=PAD_HINT)
    if batch.dtype != np.int64 or lengths.dtype != np.int64:
        raise AssertionError("batch and lengths should be int64 (torch.long) tensors: embeddings and packing need them.")
    if not np.array_equal(batch, ref.padded(seqs, ref.PAD if pad_id is None else pad_id)):
        raise AssertionError(f"the padded batch is wrong: {PAD_HINT} The default pad_id is PAD (0).")
    if list(lengths) != [3, 1, 5, 2]:
        raise AssertionError(f"lengths are wrong: {PAD_HINT}")
