"""Hidden graders for EncoderRNN: its layers, its outputs and final state, and padding invariance."""

import numpy as np
import pytest
import torch

from . import hw4_reference as ref
from rnnkit_testing import assert_close, assert_float_tensor, assert_loads_weights, assert_tuple

V, E, H = 11, 6, 8
SEQS = [[4, 5, 6, 2], [7, 2], [8, 9, 10, 4, 5, 2], [6, 2]]  # different lengths, each ending in EOS
ENCODER_HINT = (
    "Embed the ids, run the GRU (batch_first) over each sequence's real tokens only (packing, or "
    "masking the padded steps), return its outputs with zeros at the padded positions and its state "
    "after each sequence's last real token."
)


LAYERS = "embedding, an nn.Embedding of vocab_size ids to embed_size with padding_idx PAD, and gru, a one-layer batch-first nn.GRU from embed_size to hidden_size"


def encoder(student, state):
    return assert_loads_weights(student.make("EncoderRNN", V, E, H), state, "EncoderRNN", LAYERS)


def encode(module, seqs):
    src = torch.from_numpy(ref.padded(seqs))
    lengths = torch.tensor([len(seq) for seq in seqs], dtype=torch.int64)
    outputs, hidden = assert_tuple(module.call("forward", src, lengths), 2, "EncoderRNN.forward",
                                   hint="Return (outputs, hidden).")
    assert_float_tensor(outputs, "outputs", (len(seqs), src.shape[1], H), hint="outputs is (B, T, H), batch first.")
    assert_float_tensor(hidden, "hidden", (1, len(seqs), H), hint="hidden is the GRU's (1, B, H) state.")
    return outputs, hidden


@pytest.mark.points(2)
def test_layers(student, rng):
    """EncoderRNN: an embedding (padding_idx = PAD) and a one-layer batch-first GRU named embedding and gru"""
    fresh = student.make("EncoderRNN", V, E, H)
    pad_row = fresh.call("embedding", torch.tensor([ref.PAD, ref.PAD]))
    assert_float_tensor(pad_row, "embedding's output", (2, E), hint="The embedding maps each id to an embed_size vector.")
    if np.any(pad_row != 0):
        raise AssertionError("a new encoder embeds PAD to a non-zero vector: create its embedding with padding_idx=PAD, "
                             "so padding embeds to zeros and gets no gradient.")
    state = ref.random_state(rng, ref.encoder_shapes(V, E, H))
    module = assert_loads_weights(fresh, state, "EncoderRNN", LAYERS)
    x = rng.normal(size=(2, 3, E)).astype(np.float32)
    outputs = assert_tuple(module.call("gru", torch.from_numpy(x)), 2, "the encoder's gru")[0]
    expected = np.stack([ref.encode({**state, "embedding.weight": x[row]}, [[0, 1, 2]])[0][0] for row in range(2)])
    assert_float_tensor(outputs, "the gru's outputs", expected.shape,
                 hint="Give the GRU batch_first=True: its input is (B, T, embed_size).")
    if not np.allclose(outputs, expected, atol=1e-5):
        raise AssertionError("the encoder's gru does not compute a one-layer GRU over (B, T, embed_size) inputs: "
                             "create it with batch_first=True, one layer, one direction.")


@pytest.mark.points(2)
def test_one_sentence(student, rng):
    """EncoderRNN.forward: outputs and final state of one unpadded sentence"""
    state = ref.random_state(rng, ref.encoder_shapes(V, E, H))
    outputs, hidden = encode(encoder(student, state), SEQS[:1])
    expected_outputs, expected_hidden = ref.encode(state, SEQS[:1])
    assert_close(outputs, expected_outputs, "outputs", rtol=1e-4, atol=1e-5, hint=ENCODER_HINT)
    assert_close(hidden, expected_hidden, "hidden", rtol=1e-4, atol=1e-5, hint=ENCODER_HINT)


@pytest.mark.points(3)
def test_final_state_of_a_padded_batch(student, rng):
    """EncoderRNN.forward: hidden is each sequence's state after its last real token, not after the padding"""
    state = ref.random_state(rng, ref.encoder_shapes(V, E, H))
    _, hidden = encode(encoder(student, state), SEQS)
    _, expected = ref.encode(state, SEQS)
    longest = int(np.argmax([len(seq) for seq in SEQS]))
    shorter = [row for row in range(len(SEQS)) if row != longest]
    if np.allclose(hidden[0, longest], expected[0, longest], atol=1e-5) and not np.allclose(
            hidden[0, shorter], expected[0, shorter], atol=1e-5):
        raise AssertionError(
            "the final state is right for the longest sequence only: for the shorter ones it is the state "
            "after running over their padding too (or read from outputs[:, -1]). Take each sequence's "
            "state at its own last real token (pack_padded_sequence does this)."
        )
    assert_close(hidden, expected, "hidden", rtol=1e-4, atol=1e-5, hint=ENCODER_HINT)


@pytest.mark.points(2)
def test_outputs_of_a_padded_batch(student, rng):
    """EncoderRNN.forward: outputs at real positions, and zeros at padded positions"""
    state = ref.random_state(rng, ref.encoder_shapes(V, E, H))
    outputs, _ = encode(encoder(student, state), SEQS)
    expected, _ = ref.encode(state, SEQS)
    padding = ~ref.mask_of([len(seq) for seq in SEQS], expected.shape[1])
    if np.any(outputs[padding] != 0):
        raise AssertionError("outputs at padded positions should be exactly zero (pad_packed_sequence gives zeros there).")
    assert_close(outputs, expected, "outputs", rtol=1e-4, atol=1e-5, hint=ENCODER_HINT)


@pytest.mark.points(2)
def test_padding_changes_nothing(student, rng):
    """EncoderRNN.forward: a sentence encoded alone equals the same sentence in a padded batch"""
    state = ref.random_state(rng, ref.encoder_shapes(V, E, H))
    module = encoder(student, state)
    batch_outputs, batch_hidden = encode(module, SEQS)
    for row, seq in enumerate(SEQS):
        alone_outputs, alone_hidden = encode(module, [seq])
        same = np.allclose(alone_outputs[0], batch_outputs[row, :len(seq)], atol=1e-5) and np.allclose(
            alone_hidden[0, 0], batch_hidden[0, row], atol=1e-5)
        if not same:
            raise AssertionError(
                f"sequence {row} (length {len(seq)}) encodes differently alone and in a padded batch: padding "
                "must not change any result. Leave the padded steps out of the GRU."
            )
