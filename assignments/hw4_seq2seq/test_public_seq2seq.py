"""Public tests for HW4. Run them with `pytest` in this folder.

They check the lecture's data recipe on a small example, padding, that padding changes nothing in
the encoder, that attention weights are valid and masked, the shapes of a decoder step, and that
greedy decoding stops at EOS. The autograder runs these tests too, plus hidden ones that check more
cases (vocabulary order and min_freq, unknown words, the final state of a padded batch, values
against a reference with the same weights, the decoder without attention, and that your model
learns a small task).
"""

import numpy as np
import pytest
import torch

from rnnkit_testing import assert_array, assert_tuple

PAD, SOS, EOS, UNK = 0, 1, 2, 3


@pytest.mark.points(2)
def test_lecture_recipe(student):
    """make_example: ids with UNK for unknown words; the source ends with EOS, tgt_in starts with SOS, tgt_out ends with EOS"""
    if [student.build_vocab([["i", "am"]]).get(token) for token in ("<PAD>", "<SOS>", "<EOS>", "<UNK>")] != [0, 1, 2, 3]:
        raise AssertionError("build_vocab: the four special tokens come first, with ids 0, 1, 2, 3.")
    vocab = {"<PAD>": PAD, "<SOS>": SOS, "<EOS>": EOS, "<UNK>": UNK, "i": 4, "am": 5, "cold": 6}
    if student.numericalize(["i", "zebra", "cold"], vocab) != [4, UNK, 6]:
        raise AssertionError("numericalize: each token's id, and UNK (3) for a token the vocabulary does not have.")
    src, tgt_in, tgt_out = assert_tuple(student.make_example(["i", "am", "cold"], ["i", "am"], vocab, vocab), 3,
                                        "make_example", hint="Return (src_ids, tgt_in, tgt_out).")
    if list(src) != [4, 5, 6, EOS] or list(tgt_in) != [SOS, 4, 5] or list(tgt_out) != [4, 5, EOS]:
        raise AssertionError(
            "the example does not follow the lecture's recipe: the source ends with EOS, tgt_in is SOS "
            "then the target, tgt_out is the target then EOS."
        )


@pytest.mark.points(1)
def test_pad_batch(student):
    """pad_batch: a (B, T_max) int64 batch padded with PAD, and the lengths"""
    batch, lengths = assert_tuple(student.pad_batch([[4, 5, 6], [7]]), 2, "pad_batch")
    assert_array(batch, "batch", shape=(2, 3))
    if batch.dtype != np.int64 or not np.array_equal(batch, [[4, 5, 6], [7, PAD, PAD]]) or list(lengths) != [3, 1]:
        raise AssertionError("the batch should hold each sequence then PAD (0), as int64, with lengths [3, 1].")


@pytest.mark.points(2)
def test_encoder_ignores_padding(student):
    """EncoderRNN.forward: a sentence encoded alone equals the same sentence in a padded batch"""
    encoder = student.make("EncoderRNN", 12, 5, 7)
    short, long = [4, 5, 2], [6, 7, 8, 9, 10, 2]
    src = torch.tensor([long, short + [PAD] * 3])
    outputs, hidden = assert_tuple(encoder.call("forward", src, torch.tensor([6, 3])), 2, "EncoderRNN.forward")
    assert_array(outputs, "outputs", shape=(2, 6, 7))
    assert_array(hidden, "hidden", shape=(1, 2, 7))
    alone_outputs, alone_hidden = encoder.call("forward", torch.tensor([short]), torch.tensor([3]))
    if not np.allclose(alone_hidden[0, 0], hidden[0, 1], atol=1e-5):
        raise AssertionError("the final state of the short sentence changes when it is padded: take each sequence's state at its own last real token.")
    if not np.allclose(alone_outputs[0], outputs[1, :3], atol=1e-5) or np.any(outputs[1, 3:] != 0):
        raise AssertionError("the outputs of the short sentence change when it is padded, or are not zero at its padded positions.")


@pytest.mark.points(2)
def test_attention_weights_are_masked(student, rng):
    """Attention.forward: weights sum to 1 over the real positions and are 0 at padding"""
    attention = student.make("Attention", 4)
    mask = torch.tensor([[True, True, True], [True, False, False]])
    context, weights = assert_tuple(
        attention.call("forward", torch.tensor(rng.normal(size=(2, 4)), dtype=torch.float32),
                       torch.tensor(rng.normal(size=(2, 3, 4)), dtype=torch.float32), mask), 2, "Attention.forward")
    assert_array(context, "context", shape=(2, 4))
    assert_array(weights, "weights", shape=(2, 3))
    if np.any(weights[1, 1:] != 0) or not np.allclose(weights.sum(axis=1), 1.0, atol=1e-5):
        raise AssertionError("each row of weights should sum to 1 over its real positions and be exactly 0 at padded ones.")


@pytest.mark.points(1)
def test_decoder_step_shapes(student):
    """AttnDecoderRNN.forward_step: log_probs (B, V), hidden (1, B, H), attn_weights (B, T)"""
    decoder = student.make("AttnDecoderRNN", 9, 5, 6)
    result = assert_tuple(decoder.call("forward_step", torch.tensor([SOS, SOS]), torch.zeros(1, 2, 6),
                                       torch.ones(2, 4, 6), torch.ones(2, 4, dtype=torch.bool)),
                          3, "AttnDecoderRNN.forward_step", hint="Return (log_probs, hidden, attn_weights).")
    for value, name, shape in zip(result, ("log_probs", "hidden", "attn_weights"), [(2, 9), (1, 2, 6), (2, 4)]):
        assert_array(value, name, shape=shape)


@pytest.mark.points(1)
def test_greedy_stops_at_eos(student):
    """greedy_decode: the outputs stop before EOS and are at most max_len long"""
    encoder, decoder = student.make("EncoderRNN", 8, 4, 5), student.make("AttnDecoderRNN", 8, 4, 5)
    state = decoder.state()
    state["out.bias"] = np.where(np.arange(8) == EOS, 50.0, 0.0).astype(np.float32)  # EOS at once
    decoder.load_state(state)
    written = student.greedy_decode(encoder, decoder, torch.tensor([[4, 5, 2], [6, 2, PAD]]), torch.tensor([3, 2]), 5)
    if written != [[], []]:
        raise AssertionError("a decoder that writes EOS first should give empty outputs: EOS ends a sentence and is not part of it.")
