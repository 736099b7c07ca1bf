"""Public tests for HW4. Run them with `pytest` in this folder.

One test (at least) for each function and class you write: the vocabulary's order, ids with UNK,
the lecture's data recipe, padding, that padding changes nothing in the encoder, that attention
weights are valid and masked, both decoder steps, and that greedy decoding stops each sentence at
its own EOS. The autograder runs these tests too, plus hidden ones that check more cases (min_freq,
inputs left unchanged, the final state of a padded batch, values against a reference with the same
weights, and that your model learns a small task).
"""

import numpy as np
import pytest
import torch

from rnnkit_testing import assert_array, assert_tuple

PAD, SOS, EOS, UNK = 0, 1, 2, 3


def type_name(value):
    return getattr(value, "rnnkit_type_name", type(value).__name__)  # what the autograder could not send back


def ints(value, name):
    """``value`` is a list of ints (what the docstrings promise)."""
    if not isinstance(value, list) or not all(isinstance(item, int) and not isinstance(item, bool) for item in value):
        kind = type_name(value) if not isinstance(value, list) else "a list of other things"
        raise AssertionError(f"{name} should be a list of ints, got {kind}.")
    return value


def tensor(value, name, shape):
    """``value`` is a tensor of ``shape`` (tensors come back to the tests as numpy arrays)."""
    if not isinstance(value, np.ndarray):
        raise AssertionError(f"{name} should be a tensor of shape {shape}, got {type_name(value)}.")
    return assert_array(value, name, shape=shape)


@pytest.mark.points(2)
def test_vocab_order(student):
    """build_vocab: the specials first, then the tokens by descending count, ties in alphabetical order"""
    # c three times, a twice, then d and b once each: first seen d, then b
    vocab = student.build_vocab([["d", "c", "a"], ["c", "a"], ["c", "b"]])
    if not isinstance(vocab, dict):
        raise AssertionError(f"build_vocab should return a dict (token -> id), got {type_name(vocab)}.")
    if [vocab.get(token) for token in ("<PAD>", "<SOS>", "<EOS>", "<UNK>")] != [0, 1, 2, 3]:
        raise AssertionError("the four special tokens come first, with ids 0, 1, 2, 3.")
    if set(vocab) != {"<PAD>", "<SOS>", "<EOS>", "<UNK>", "a", "b", "c", "d"}:
        raise AssertionError("with the default min_freq=1 every token is kept, even one seen once, and nothing else "
                             "is added.")
    if vocab != {"<PAD>": 0, "<SOS>": 1, "<EOS>": 2, "<UNK>": 3, "c": 4, "a": 5, "b": 6, "d": 7}:
        raise AssertionError("after the specials, the most frequent token gets id 4, and so on; tokens with the "
                             "same count are in alphabetical order (not in order of first appearance).")
    if set(student.build_vocab([["a", "b", "a"]], min_freq=2)) != {"<PAD>", "<SOS>", "<EOS>", "<UNK>", "a"}:
        raise AssertionError("with min_freq=2, a token seen twice is kept and one seen once is left out.")


@pytest.mark.points(1)
def test_numericalize(student):
    """numericalize: a list of each token's id, and UNK for a token the vocabulary does not have"""
    vocab = {"<PAD>": PAD, "<SOS>": SOS, "<EOS>": EOS, "<UNK>": UNK, "i": 4, "am": 5, "cold": 6}
    if ints(student.numericalize(["i", "zebra", "cold"], vocab), "numericalize's result") != [4, UNK, 6]:
        raise AssertionError("numericalize: each token's id, and UNK (3) for a token the vocabulary does not have.")


@pytest.mark.points(2)
def test_lecture_recipe(student):
    """make_example: the source ends with EOS, tgt_in starts with SOS, tgt_out ends with EOS"""
    vocab = {"<PAD>": PAD, "<SOS>": SOS, "<EOS>": EOS, "<UNK>": UNK, "i": 4, "am": 5, "cold": 6}
    src, tgt_in, tgt_out = assert_tuple(student.make_example(["i", "am", "cold"], ["i", "am"], vocab, vocab), 3,
                                        "make_example", hint="Return (src_ids, tgt_in, tgt_out).")
    if ints(src, "src_ids") != [4, 5, 6, EOS]:
        missing = "src_ids lacks its final EOS: " if src == [4, 5, 6] else ""
        raise AssertionError(missing + "src_ids should be the source's ids followed by EOS.")
    if ints(tgt_in, "tgt_in") != [SOS, 4, 5]:
        raise AssertionError("tgt_in should be SOS followed by the target's ids.")
    if ints(tgt_out, "tgt_out") != [4, 5, EOS]:
        missing = "tgt_out lacks its final EOS: " if tgt_out == [4, 5] else ""
        raise AssertionError(missing + "tgt_out should be the target's ids followed by EOS.")


@pytest.mark.points(1)
def test_pad_batch(student):
    """pad_batch: a (B, T_max) int64 batch padded with PAD, and the lengths"""
    batch, lengths = assert_tuple(student.pad_batch([[4, 5, 6], [7]]), 2, "pad_batch", hint="Return (batch, lengths).")
    tensor(batch, "batch", (2, 3))
    tensor(lengths, "lengths", (2,))
    if batch.dtype != np.int64 or lengths.dtype != np.int64:
        raise AssertionError("batch and lengths should be int64 (torch.long) tensors.")
    if not np.array_equal(batch, [[4, 5, 6], [7, PAD, PAD]]) or list(lengths) != [3, 1]:
        raise AssertionError("the batch should hold each sequence then pad_id (PAD, 0, by default), with lengths [3, 1].")


@pytest.mark.points(2)
def test_encoder_ignores_padding(student):
    """EncoderRNN.forward: a sentence encoded alone equals the same sentence in a padded batch"""
    encoder = student.make("EncoderRNN", 12, 5, 7)
    short, long = [4, 5, 2], [6, 7, 8, 9, 10, 2]
    src = torch.tensor([long, short + [PAD] * 3])
    outputs, hidden = assert_tuple(encoder.call("forward", src, torch.tensor([6, 3])), 2, "EncoderRNN.forward",
                                   hint="Return (outputs, hidden).")
    tensor(outputs, "outputs", (2, 6, 7))
    tensor(hidden, "hidden", (1, 2, 7))
    alone_outputs, alone_hidden = assert_tuple(encoder.call("forward", torch.tensor([short]), torch.tensor([3])), 2,
                                               "EncoderRNN.forward")
    tensor(alone_outputs, "outputs", (1, 3, 7))
    tensor(alone_hidden, "hidden", (1, 1, 7))
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
                       torch.tensor(rng.normal(size=(2, 3, 4)), dtype=torch.float32), mask), 2, "Attention.forward",
        hint="Return (context, weights).")
    tensor(context, "context", (2, 4))
    tensor(weights, "weights", (2, 3))
    if np.any(weights[1, 1:] != 0):
        raise AssertionError("the weights should be exactly 0 at padded positions: no attention on the padding.")
    if not np.allclose(weights.sum(axis=1), 1.0, atol=1e-5):
        raise AssertionError("each row of weights should sum to 1 over its real positions (a softmax over the time "
                             "axis).")


def decoder_step(decoder, name, lengths, rng):
    B, T, H = len(lengths), max(lengths), 6
    mask = torch.arange(T)[None, :] < torch.tensor(lengths)[:, None]
    outputs = torch.tensor(rng.normal(size=(B, T, H)), dtype=torch.float32) * mask[:, :, None]
    result = assert_tuple(decoder.call("forward_step", torch.full((B,), SOS), torch.zeros(1, B, H), outputs, mask),
                          3, f"{name}.forward_step", hint="Return (log_probs, hidden, attn_weights).")
    tensor(result[0], "log_probs", (B, 9))
    tensor(result[1], "hidden", (1, B, H))
    if not np.allclose(np.exp(result[0].astype(np.float64)).sum(axis=1), 1.0, atol=1e-4):
        raise AssertionError("log_probs should be log-probabilities over the vocabulary (log_softmax).")
    return result, outputs, mask


def attention_decoder_weights(rng, V, E, H):
    """Random weights for AttnDecoderRNN(V, E, H) whose GRU ignores the context: the columns of its
    input weights that read the context (the last H of the E + H) are zero."""
    def normal(*shape):
        return rng.normal(scale=0.5, size=shape).astype(np.float32)
    gru_input = normal(3 * H, E + H)
    gru_input[:, E:] = 0.0
    return {"embedding.weight": normal(V, E), "attention.W_query.weight": normal(H, H),
            "attention.W_key.weight": normal(H, H), "attention.v.weight": normal(1, H),
            "gru.weight_ih_l0": gru_input, "gru.weight_hh_l0": normal(3 * H, H), "gru.bias_ih_l0": normal(3 * H),
            "gru.bias_hh_l0": normal(3 * H), "out.weight": normal(V, H), "out.bias": normal(V)}


@pytest.mark.points(1)
def test_decoder_step_shapes(student, rng):
    """AttnDecoderRNN.forward_step: log_probs (B, V) a log-softmax, hidden (1, B, H), attn_weights (B, T), the GRU reading [embedding, context]"""
    decoder = student.make("AttnDecoderRNN", 9, 5, 6)
    (_, _, weights), _, mask = decoder_step(decoder, "AttnDecoderRNN", [4, 2], rng)
    tensor(weights, "attn_weights", (2, 4))
    if np.any(weights[1, 2:] != 0):
        raise AssertionError("attn_weights should be 0 at the padded positions.")
    decoder.load_state(attention_decoder_weights(rng, 9, 5, 6))
    tokens, hidden = torch.tensor([4, 7]), torch.tensor(rng.normal(size=(1, 2, 6)), dtype=torch.float32)
    steps = [assert_tuple(decoder.call("forward_step", tokens, hidden,
                                       torch.tensor(rng.normal(size=(2, 4, 6)), dtype=torch.float32), mask),
                          3, "AttnDecoderRNN.forward_step")[0] for _ in range(2)]
    if not np.allclose(steps[0], steps[1], atol=1e-5):
        raise AssertionError("with GRU input weights that are zero for the context, the step still depends on the "
                             "encoder outputs: the GRU's input is [embedding, context], the embedding first.")


@pytest.mark.points(1)
def test_plain_decoder_step(student, rng):
    """DecoderRNN.forward_step: the context is each sentence's own final state; attn_weights is None"""
    decoder = student.make("DecoderRNN", 9, 5, 6)
    (log_probs, hidden, weights), outputs, _ = decoder_step(decoder, "DecoderRNN", [4, 2], rng)
    if weights is not None:
        raise AssertionError("DecoderRNN has no attention: its attn_weights should be None.")
    alone = assert_tuple(decoder.call("forward_step", torch.tensor([SOS]), torch.zeros(1, 1, 6), outputs[1:, :2],
                                      torch.ones(1, 2, dtype=torch.bool)), 3, "DecoderRNN.forward_step")
    tensor(alone[0], "log_probs", (1, 9))
    if not np.allclose(alone[0][0], log_probs[1], atol=1e-5):
        raise AssertionError("the short sentence's step changes when it is padded: its context is its encoder output "
                             "at its own last real position, not at the last column of the batch.")


def hand_made_weights():
    """An encoder and an attention decoder (V = E = 8, H = 4) whose greedy translations are known:
    the source [6, 2] writes EOS at once, and would write 5 next if it were not stopped; [7, 7, 2]
    writes 4, then EOS."""
    V, H = 8, 4
    identity = np.eye(V, dtype=np.float32)
    identity[PAD] = 0.0
    gru = {"weight_ih_l0": np.zeros((3 * H, V), np.float32), "weight_hh_l0": np.zeros((3 * H, H), np.float32),
           "bias_ih_l0": np.zeros(3 * H, np.float32), "bias_hh_l0": np.zeros(3 * H, np.float32)}
    gru["bias_ih_l0"][:H], gru["bias_ih_l0"][H:2 * H] = 30.0, -30.0  # reset gate open, update gate shut
    gru["weight_ih_l0"][2 * H, 6], gru["weight_hh_l0"][2 * H, 0], gru["bias_ih_l0"][2 * H] = 10.0, 10.0, -5.0
    encoder = {"embedding.weight": identity, **{f"gru.{k}": v for k, v in gru.items()}}
    decoder = {"embedding.weight": identity, "attention.W_query.weight": np.zeros((H, H), np.float32),
               "attention.W_key.weight": np.zeros((H, H), np.float32), "attention.v.weight": np.zeros((1, H), np.float32),
               "gru.weight_ih_l0": np.zeros((3 * H, V + H), np.float32), "gru.weight_hh_l0": np.zeros((3 * H, H), np.float32),
               "gru.bias_ih_l0": gru["bias_ih_l0"].copy(), "gru.bias_hh_l0": np.zeros(3 * H, np.float32)}
    n, w = 2 * H, decoder["gru.weight_ih_l0"]
    w[n, SOS], w[n, V] = 10.0, 10.0  # unit 0: after SOS, for the first source
    w[n + 1, SOS], w[n + 1, V] = 10.0, -10.0  # unit 1: after SOS, for the second source
    w[n + 2, 4], w[n + 3, EOS] = 10.0, 10.0  # unit 2: after 4; unit 3: after EOS
    decoder["gru.bias_ih_l0"][n:] = [-15.0, -15.0, -5.0, -5.0]
    out = np.zeros((V, H), np.float32)
    out[EOS, 0] = out[EOS, 2] = out[4, 1] = out[5, 3] = 10.0
    decoder["out.weight"], decoder["out.bias"] = out, out.sum(axis=1)
    return encoder, decoder


def decoded(student, encoder, decoder, src, lengths, max_len):
    written = student.greedy_decode(encoder, decoder, src, lengths, max_len)
    if not isinstance(written, list) or len(written) != len(src):
        raise AssertionError(f"greedy_decode should return a list of {len(src)} lists of ints, got {type_name(written)}.")
    return [ints(row, "each item of greedy_decode's result") for row in written]


@pytest.mark.points(2)
def test_greedy_stops_each_row_at_its_eos(student):
    """greedy_decode: each sentence stops at its own first EOS, which is not part of it; at most max_len tokens"""
    encoder_state, decoder_state = hand_made_weights()
    encoder, decoder = student.make("EncoderRNN", 8, 8, 4), student.make("AttnDecoderRNN", 8, 8, 4)
    encoder.load_state(encoder_state)
    decoder.load_state(decoder_state)
    src, lengths = torch.tensor([[6, 2, PAD], [7, 7, 2]]), torch.tensor([2, 3])
    if decoded(student, encoder, decoder, src, lengths, 5) != [[], [4]]:
        raise AssertionError(
            "with these weights the first sentence writes EOS at once and the second writes 4 then EOS: a "
            "sentence ends at its own first EOS (not included), and gets nothing more after it.")
    decoder_state["out.bias"][EOS] = -100.0  # never EOS
    decoder.load_state(decoder_state)
    if [len(row) for row in decoded(student, encoder, decoder, src, lengths, 3)] != [3, 3]:
        raise AssertionError("a sentence that never writes EOS should stop after exactly max_len tokens.")
