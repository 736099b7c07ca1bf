"""Hidden graders for the decoder step, with attention (AttnDecoderRNN) and without (DecoderRNN)."""

import numpy as np
import pytest
import torch

import hw4_reference as ref
from rnnkit_testing import assert_array, assert_close, assert_tuple

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


def decoder_step(student, name, state, prev, hidden, outputs, mask):
    module = student.make(name, V, E, H)
    module.load_state(state)
    result = assert_tuple(
        module.call("forward_step", torch.from_numpy(prev), torch.from_numpy(hidden),
                    torch.from_numpy(outputs), torch.from_numpy(mask)),
        3, f"{name}.forward_step", hint="Return (log_probs, hidden, attn_weights).")
    log_probs, new_hidden, weights = result
    B = len(prev)
    assert_array(log_probs, "log_probs", shape=(B, V), hint="One row of V scores per batch row.")
    assert_array(new_hidden, "hidden", shape=(1, B, H), hint="The GRU's new state, (1, B, H).")
    return log_probs, new_hidden, weights


@pytest.mark.points(2)
@pytest.mark.parametrize("name,attention", [("AttnDecoderRNN", True), ("DecoderRNN", False)],
                         ids=["AttnDecoderRNN", "DecoderRNN"])
def test_layers(student, name, attention):
    """decoders: the submodules and their sizes (the GRU reads [embedding, context], E + H inputs)"""
    state = student.make(name, V, E, H).state()
    if {k: tuple(np.shape(v)) for k, v in state.items()} != ref.decoder_shapes(V, E, H, attention):
        raise AssertionError(
            f"{name}'s weights are {sorted(state)}; expected embedding (padding_idx=PAD), "
            + ("attention (an Attention), " if attention else "")
            + "gru (nn.GRU(E + H, H): it reads the embedding and the context side by side) and out (nn.Linear(H, V))."
        )


@pytest.mark.points(1)
def test_step_returns_log_probabilities(student, rng):
    """AttnDecoderRNN.forward_step: log_probs is a log-softmax (its exponentials sum to 1)"""
    prev, hidden, outputs, mask = step_inputs(rng)
    state = ref.random_state(rng, ref.decoder_shapes(V, E, H))
    log_probs, _, _ = decoder_step(student, "AttnDecoderRNN", state, prev, hidden, outputs, mask)
    if not np.allclose(np.exp(log_probs).sum(axis=1), 1.0, atol=1e-4):
        raise AssertionError("log_probs should be log-probabilities: apply log_softmax over the vocabulary to the scores of out.")


@pytest.mark.points(3)
def test_attention_step_values(student, rng):
    """AttnDecoderRNN.forward_step: log_probs, new state and attention weights equal the reference's"""
    prev, hidden, outputs, mask = step_inputs(rng)
    state = ref.random_state(rng, ref.decoder_shapes(V, E, H))
    log_probs, new_hidden, weights = decoder_step(student, "AttnDecoderRNN", state, prev, hidden, outputs, mask)
    expected = ref.decoder_step(state, prev, hidden.astype(np.float64), outputs.astype(np.float64), mask)
    assert_array(weights, "attn_weights", shape=mask.shape, hint="The attention weights of this step, (B, T).")
    assert_close(weights, expected[2], "attn_weights", rtol=1e-4, atol=1e-5,
                 hint="The query is the decoder's current state (its one layer's), the keys are the encoder outputs.")
    assert_close(new_hidden, expected[1], "hidden", rtol=1e-4, atol=1e-5, hint=STEP_HINT)
    assert_close(log_probs, expected[0], "log_probs", rtol=1e-4, atol=1e-5, hint=STEP_HINT)


@pytest.mark.points(2)
def test_plain_decoder_step_values(student, rng):
    """DecoderRNN.forward_step: without attention the context is the encoder's final state"""
    prev, hidden, outputs, mask = step_inputs(rng)
    state = ref.random_state(rng, ref.decoder_shapes(V, E, H, attention=False))
    log_probs, new_hidden, weights = decoder_step(student, "DecoderRNN", state, prev, hidden, outputs, mask)
    if weights is not None:
        raise AssertionError("DecoderRNN has no attention: return None as attn_weights.")
    expected = ref.decoder_step(state, prev, hidden.astype(np.float64), outputs.astype(np.float64), mask, attention=False)
    hint = ("The context is each sequence's encoder output at its own last real position (its length "
            "minus one), not at the last column of the padded batch. " + STEP_HINT)
    assert_close(new_hidden, expected[1], "hidden", rtol=1e-4, atol=1e-5, hint=hint)
    assert_close(log_probs, expected[0], "log_probs", rtol=1e-4, atol=1e-5, hint=hint)
