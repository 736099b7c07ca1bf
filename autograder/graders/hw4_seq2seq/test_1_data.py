"""Hidden graders for the data preparation: the vocabulary, ids, the <SOS>/<EOS> recipe, padding."""

import numpy as np
import pytest

from . import hw4_reference as ref
from rnnkit_testing import assert_int_list, assert_int_tensor, assert_tuple, assert_vocab

SENTENCES = [["the", "cat", "sat"], ["the", "dog", "sat"], ["a", "cat", "ran"], ["the", "end"]]
VOCAB_HINT = "The four special tokens come first (ids 0 to 3), then the tokens by descending count."


def vocab_of(student, sentences, **kwargs):
    return assert_vocab(student.build_vocab(sentences, **kwargs))


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
        if sorted(vocab.values()) != list(range(len(vocab))):
            raise AssertionError("the ids should be 0, 1, 2, ... with no gap and no id given twice.")
        counts = {token: sum(sentence.count(token) for sentence in sentences) for token in expected}
        kept = sorted((token for token in vocab if token not in ref.SPECIALS), key=vocab.get)
        if all(counts[a] >= counts[b] for a, b in zip(kept, kept[1:])):
            raise AssertionError("the tokens are by descending count, but tokens with the same count should be "
                                 "in alphabetical order, not in order of first appearance.")
        raise AssertionError(f"the token ids are not in the expected order. {VOCAB_HINT}")


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
def test_default_min_freq(student):
    """build_vocab: min_freq defaults to 1 (a token seen once is kept)"""
    sentences = [["once"], ["twice", "twice"]]
    vocab = vocab_of(student, sentences)
    if "once" not in vocab:
        raise AssertionError("called without min_freq, build_vocab should keep a token seen once: min_freq defaults to 1.")


@pytest.mark.points(1)
def test_no_sentences(student):
    """build_vocab: no sentences give just the four specials"""
    if vocab_of(student, []) != {token: index for index, token in enumerate(ref.SPECIALS)}:
        raise AssertionError("build_vocab([]) should hold exactly the four special tokens.")


@pytest.mark.points(1)
def test_vocab_leaves_the_sentences_alone(student):
    """build_vocab: the sentences it is given are left unchanged"""
    sentences = [list(sentence) for sentence in SENTENCES]
    result, args, _ = student.call_with_inputs("build_vocab", sentences)
    assert_vocab(result)
    if args[0] != SENTENCES:
        raise AssertionError("build_vocab changed the sentences it was given (sorted, appended to or emptied them): "
                             "count the tokens without modifying its input.")


@pytest.mark.points(2)
def test_numericalize_unknown_words(student):
    """numericalize: known tokens to their ids, unknown ones to UNK"""
    vocab = ref.vocab(SENTENCES)
    tokens = ["the", "zebra", "cat", "<PAD>x", "sat"]
    ids = assert_int_list(student.numericalize(tokens, vocab), "numericalize's result", length=len(tokens))
    if ids != [vocab.get(token, ref.UNK) for token in tokens]:
        raise AssertionError("a token the vocabulary has gets its id; any other token gets UNK (id 3), not PAD or -1.")


@pytest.mark.points(1)
def test_numericalize_leaves_its_inputs_alone(student):
    """numericalize: no tokens give an empty list, and the vocabulary is left unchanged"""
    vocab = ref.vocab(SENTENCES)
    assert_int_list(student.numericalize([], dict(vocab)), "numericalize's result", length=0)
    result, args, _ = student.call_with_inputs("numericalize", ["the", "zebra"], dict(vocab))
    assert_int_list(result, "numericalize's result", length=2)
    if args[1] != vocab or args[0] != ["the", "zebra"]:
        raise AssertionError("numericalize changed its inputs (it added the unknown word to the vocabulary?): "
                             "an unknown token is read as UNK, the vocabulary stays as it is.")


EXAMPLE_HINT = (
    "The recipe: the source ends with EOS; the decoder reads SOS and then the target (tgt_in); "
    "it must write the target and then EOS (tgt_out). tgt_in and tgt_out are the same sequence shifted by one."
)


def example_of(student, src, tgt, src_vocab, tgt_vocab):
    result = assert_tuple(student.make_example(src, tgt, src_vocab, tgt_vocab), 3, "make_example",
                          hint="Return (src_ids, tgt_in, tgt_out).")
    return [assert_int_list(part, name) for part, name in zip(result, ("src_ids", "tgt_in", "tgt_out"))]


def example_problem(got, expected):
    """What is wrong with (src_ids, tgt_in, tgt_out), from the evidence: one message per part."""
    src, tgt_in, tgt_out = got
    want_src, want_in, want_out = expected
    ids = want_src[:-1]
    if src != want_src:
        if src == ids:
            return "src_ids lacks its final EOS: the encoder must see where the source ends."
        if src == [ref.SOS] + want_src or src == [ref.SOS] + ids:
            return "src_ids should not start with SOS: SOS is the decoder's first input, the source only ends with EOS."
        return f"src_ids is not the source's ids followed by EOS (unknown words are UNK). {EXAMPLE_HINT}"
    target = want_out[:-1]
    if tgt_in != want_in:
        if tgt_in == target:
            return "tgt_in lacks its first SOS: the decoder's first input is SOS, then it reads the target."
        if tgt_in == want_in + [ref.EOS]:
            return "tgt_in should not end with EOS: the decoder reads SOS and the target, and writes the EOS."
        return f"tgt_in is not SOS followed by the target's ids. {EXAMPLE_HINT}"
    if tgt_out != want_out:
        if tgt_out == target:
            return "tgt_out lacks its final EOS: the decoder must learn to write EOS when the sentence is over."
        if tgt_out[:1] == [ref.SOS]:
            return "tgt_out should not start with SOS: it is what the decoder writes, the target and then EOS."
        return f"tgt_out is not the target's ids followed by EOS. {EXAMPLE_HINT}"
    return None


@pytest.mark.points(3)
@pytest.mark.parametrize("src,tgt", [
    (["the", "cat", "sat"], ["le", "chat", "assis"]),
    (["a", "zebra", "ran"], ["un", "zebre", "couru"]),  # unknown words on both sides
], ids=["known_words", "unknown_words"])
def test_make_example(student, src, tgt):
    """make_example: the source ends with EOS, tgt_in starts with SOS, tgt_out ends with EOS"""
    src_vocab = ref.vocab(SENTENCES)
    tgt_vocab = ref.vocab([["le", "chat", "assis"], ["le", "chien"], ["un", "chat"]])
    problem = example_problem(example_of(student, src, tgt, src_vocab, tgt_vocab),
                              ref.example(src, tgt, src_vocab, tgt_vocab))
    if problem:
        raise AssertionError(problem)


@pytest.mark.points(1)
def test_make_example_empty_target(student):
    """make_example: an empty target gives tgt_in [SOS] and tgt_out [EOS]"""
    vocab = ref.vocab(SENTENCES)
    problem = example_problem(example_of(student, ["the", "end"], [], vocab, vocab),
                              ref.example(["the", "end"], [], vocab, vocab))
    if problem:
        raise AssertionError(f"with an empty target: {problem}")


@pytest.mark.points(1)
def test_make_example_leaves_its_inputs_alone(student):
    """make_example: the tokens and the vocabularies it is given are left unchanged"""
    vocab = ref.vocab(SENTENCES)
    inputs = (["the", "cat"], ["a", "zebra"], dict(vocab), dict(vocab))
    result, args, _ = student.call_with_inputs("make_example", *[value.copy() for value in inputs])
    assert_tuple(result, 3, "make_example", hint="Return (src_ids, tgt_in, tgt_out).")
    if list(args) != list(inputs):
        raise AssertionError("make_example changed its inputs (appended EOS to the token list, or added words "
                             "to a vocabulary): build new lists of ids instead.")


PAD_HINT = "Row b holds seqs[b] and then pad_id up to the longest length; lengths holds each sequence's own length."


def padded_of(student, seqs, **kwargs):
    batch, lengths = assert_tuple(student.pad_batch(seqs, **kwargs), 2, "pad_batch", hint="Return (batch, lengths).")
    width = max(len(seq) for seq in seqs)
    return assert_int_tensor(batch, "batch", (len(seqs), width)), assert_int_tensor(lengths, "lengths", (len(seqs),))


@pytest.mark.points(2)
@pytest.mark.parametrize("pad_id", [None, 7], ids=["default_pad", "pad_id_7"])
def test_pad_batch(student, pad_id):
    """pad_batch: (B, T_max) int64 padded with pad_id, and int64 lengths (B,)"""
    seqs = [[5, 6, 7], [8], [9, 10, 11, 12, 2], [4, 2]]
    kwargs = {} if pad_id is None else {"pad_id": pad_id}
    batch, lengths = padded_of(student, seqs, **kwargs)
    if list(lengths) != [3, 1, 5, 2]:
        raise AssertionError(f"lengths are wrong: {PAD_HINT}")
    expected = ref.padded(seqs, ref.PAD if pad_id is None else pad_id)
    if not np.array_equal(batch, expected):
        real = ref.mask_of([3, 1, 5, 2], 5)
        if np.array_equal(batch[real], expected[real]):
            raise AssertionError("the real tokens are right, but the padding is not pad_id "
                                 "(the default pad_id is PAD, 0; another one must be used when given).")
        raise AssertionError(f"the padded batch is wrong: {PAD_HINT}")


@pytest.mark.points(1)
def test_pad_batch_leaves_its_input_alone(student):
    """pad_batch: one sequence is a batch of one; the sequences it is given are left unchanged"""
    batch, lengths = padded_of(student, [[4, 5, 2]])
    if batch.tolist() != [[4, 5, 2]] or lengths.tolist() != [3]:
        raise AssertionError(f"a batch of one sequence needs no padding. {PAD_HINT}")
    seqs = [[5, 6, 7], [8]]
    result, args, _ = student.call_with_inputs("pad_batch", [list(seq) for seq in seqs])
    assert_tuple(result, 2, "pad_batch", hint="Return (batch, lengths).")
    if args[0] != seqs:
        raise AssertionError("pad_batch padded the lists it was given in place: leave them alone and fill a new tensor.")
