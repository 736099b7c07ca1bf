"""Hidden graders for the decoder step, with attention (AttnDecoderRNN) and without (DecoderRNN)."""

import numpy as np
import pytest
import torch

from . import hw4_reference as ref
from rnnkit_testing import assert_close, assert_float_tensor, assert_loads_weights, assert_tuple

V, E, H = 9, 5, 6
LENGTHS = [4, 2, 3]
STEP_HINT = (
    "One step: embed the previous tokens, get the context (attention over the encoder outputs with "
    "the decoder's current state as the query; without attention, the encoder's final state), feed "
    "[embedding, context] to the GRU for one step, and return the log-softmax of out(new state)."
)


def step_inputs(rng):
    B, T = len(LENGTHS), max(LENGTHS)
    mask = ref.mask_of(LENGTHS, T)
    outputs = rng.normal(size=(B, T, H)).astype(np.float32) * mask[:, :, None]
    hidden = rng.normal(size=(1, B, H)).astype(np.float32)
    prev = np.array([ref.SOS, 5, 7], dtype=np.int64)
    return prev, hidden, outputs, mask


def layers(name):
    return ("embedding (padding_idx=PAD), " + ("attention (an Attention), " if name == "AttnDecoderRNN" else "")
            + "gru, an nn.GRU(E + H, H, batch_first=True): it reads the embedding and the context side by side, "
            "and out, an nn.Linear(H, V)")


def decoder_step(student, name, state, prev, hidden, outputs, mask):
    module = assert_loads_weights(student.make(name, V, E, H), state, name, layers(name))
    result = assert_tuple(
        module.call("forward_step", torch.from_numpy(prev), torch.from_numpy(hidden),
                    torch.from_numpy(outputs), torch.from_numpy(mask)),
        3, f"{name}.forward_step", hint="Return (log_probs, hidden, attn_weights).")
    log_probs, new_hidden, weights = result
    B = len(prev)
    assert_float_tensor(log_probs, "log_probs", (B, V), hint="One row of V scores per batch row.")
    assert_float_tensor(new_hidden, "hidden", (1, B, H), hint="The GRU's new state, (1, B, H).")
    return log_probs, new_hidden, weights


def check_layers(student, rng, name, attention):
    fresh = student.make(name, V, E, H)
    pad_row = fresh.call("embedding", torch.tensor([ref.PAD]))
    assert_float_tensor(pad_row, "embedding's output", (1, E), hint="The embedding maps each id to an embed_size vector.")
    if np.any(pad_row != 0):
        raise AssertionError(f"a new {name} embeds PAD to a non-zero vector: create its embedding with padding_idx=PAD.")
    state = ref.random_state(rng, ref.decoder_shapes(V, E, H, attention))
    module = assert_loads_weights(fresh, state, name, layers(name))
    x = rng.normal(size=(2, 1, E + H)).astype(np.float32)
    outputs = assert_tuple(module.call("gru", torch.from_numpy(x)), 2, f"{name}'s gru")[0]
    gru_state = {"embedding.weight": x[:, 0], **{k: v for k, v in state.items() if k.startswith("gru.")}}
    expected = ref.encode(gru_state, [[0], [1]])[0]
    assert_float_tensor(outputs, "the gru's outputs", expected.shape, hint="Give the GRU batch_first=True.")
    if not np.allclose(outputs, expected, atol=1e-5):
        raise AssertionError(f"{name}'s gru is not a one-layer GRU over (B, T, E + H) inputs: create it with "
                             "batch_first=True, one layer, one direction.")
    h = rng.normal(size=(2, H)).astype(np.float32)
    scores = module.call("out", torch.from_numpy(h))
    assert_float_tensor(scores, "out's output", (2, V), hint="out maps a state to V scores.")
    if not np.allclose(scores, h @ state["out.weight"].T + state["out.bias"], atol=1e-5):
        raise AssertionError(f"{name}'s out is not a linear layer from the state to the V scores (with its bias).")


@pytest.mark.points(2)
def test_attention_decoder_layers(student, rng):
    """AttnDecoderRNN: embedding, attention, a GRU reading [embedding, context] (E + H inputs) and out"""
    check_layers(student, rng, "AttnDecoderRNN", True)


@pytest.mark.points(2)
def test_plain_decoder_layers(student, rng):
    """DecoderRNN: embedding, a GRU reading [embedding, context] (E + H inputs) and out"""
    check_layers(student, rng, "DecoderRNN", False)


@pytest.mark.points(1)
def test_step_returns_log_probabilities(student, rng):
    """AttnDecoderRNN.forward_step: log_probs is a log-softmax (its exponentials sum to 1)"""
    prev, hidden, outputs, mask = step_inputs(rng)
    state = ref.random_state(rng, ref.decoder_shapes(V, E, H))
    log_probs, _, _ = decoder_step(student, "AttnDecoderRNN", state, prev, hidden, outputs, mask)
    if not np.allclose(np.exp(log_probs.astype(np.float64)).sum(axis=1), 1.0, atol=1e-4):
        raise AssertionError("log_probs should be log-probabilities: apply log_softmax over the vocabulary to the scores of out.")


@pytest.mark.points(3)
def test_attention_step_values(student, rng):
    """AttnDecoderRNN.forward_step: log_probs, new state and attention weights equal the reference's"""
    prev, hidden, outputs, mask = step_inputs(rng)
    state = ref.random_state(rng, ref.decoder_shapes(V, E, H))
    log_probs, new_hidden, weights = decoder_step(student, "AttnDecoderRNN", state, prev, hidden, outputs, mask)
    expected = ref.decoder_step(state, prev, hidden.astype(np.float64), outputs.astype(np.float64), mask)
    assert_float_tensor(weights, "attn_weights", mask.shape, hint="The attention weights of this step, (B, T).")
    assert_close(weights, expected[2], "attn_weights", rtol=1e-4, atol=1e-5,
                 hint="The query is the decoder's current state (its one layer's, before this step), the keys are the encoder outputs.")
    assert_close(new_hidden, expected[1], "hidden", rtol=1e-4, atol=1e-5, hint=STEP_HINT)
    if not np.allclose(np.exp(log_probs.astype(np.float64)).sum(axis=1), 1.0, atol=1e-4):
        raise AssertionError("the new state is right, but log_probs are not log-probabilities: apply log_softmax "
                             "over the vocabulary to the scores of out.")
    assert_close(log_probs, expected[0], "log_probs", rtol=1e-4, atol=1e-5,
                 hint="The new state is right: score it with out, then log_softmax over the vocabulary.")


@pytest.mark.points(2)
def test_plain_decoder_step_values(student, rng):
    """DecoderRNN.forward_step: without attention the context is the encoder's final state"""
    prev, hidden, outputs, mask = step_inputs(rng)
    state = ref.random_state(rng, ref.decoder_shapes(V, E, H, attention=False))
    log_probs, new_hidden, weights = decoder_step(student, "DecoderRNN", state, prev, hidden, outputs, mask)
    if weights is not None:
        raise AssertionError("DecoderRNN has no attention: return None as attn_weights.")
    expected = ref.decoder_step(state, prev, hidden.astype(np.float64), outputs.astype(np.float64), mask, attention=False)
    last_column = ref.decoder_step(state, prev, hidden.astype(np.float64),
                                   np.repeat(outputs[:, -1:], outputs.shape[1], axis=1).astype(np.float64),
                                   np.ones_like(mask), attention=False)
    if np.allclose(new_hidden, last_column[1], atol=1e-5):
        raise AssertionError("the context is taken at the last column of the padded batch, which is padding for the "
                             "shorter sequences: take each sequence's encoder output at its own last real position.")
    assert_close(new_hidden, expected[1], "hidden", rtol=1e-4, atol=1e-5, hint=STEP_HINT)
    if not np.allclose(np.exp(log_probs.astype(np.float64)).sum(axis=1), 1.0, atol=1e-4):
        raise AssertionError("the new state is right, but log_probs are not log-probabilities: apply log_softmax "
                             "over the vocabulary to the scores of out.")
    assert_close(log_probs, expected[0], "log_probs", rtol=1e-4, atol=1e-5, hint=STEP_HINT)
