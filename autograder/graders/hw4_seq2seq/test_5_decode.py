"""Hidden graders for greedy decoding, and for learning: a short training run reverses sequences."""

import numpy as np
import pytest
import torch

import hw4_reference as ref

V_SRC, V_TGT, E, H = 10, 9, 5, 6
SEQS = [[4, 5, 6, 2], [7, 2], [8, 9, 4, 2]]
DECODE_HINT = (
    "Encode the batch once; start every row from SOS with the encoder's final state; at each step "
    "feed the previous step's most likely tokens; a row is done at its first EOS, which is not part "
    "of its output; stop after max_len steps or when every row is done."
)


def models(student, rng, eos_bias=0.0):
    encoder_state = ref.random_state(rng, ref.encoder_shapes(V_SRC, E, H))
    decoder_state = ref.random_state(rng, ref.decoder_shapes(V_TGT, E, H))
    decoder_state["out.bias"][ref.EOS] += eos_bias
    encoder = student.make("EncoderRNN", V_SRC, E, H)
    encoder.load_state(encoder_state)
    decoder = student.make("AttnDecoderRNN", V_TGT, E, H)
    decoder.load_state(decoder_state)
    return encoder, decoder, encoder_state, decoder_state


def decode(student, encoder, decoder, seqs, max_len):
    src = torch.from_numpy(ref.padded(seqs))
    lengths = torch.tensor([len(seq) for seq in seqs], dtype=torch.int64)
    written = student.greedy_decode(encoder, decoder, src, lengths, max_len)
    if not isinstance(written, list) or len(written) != len(seqs) or not all(isinstance(row, list) for row in written):
        raise AssertionError(f"greedy_decode should return a list of {len(seqs)} lists of ints, one per sentence.")
    return [[int(token) for token in row] for row in written]


def fair_case(max_len):
    """Weights whose greedy translations end at different steps, with no near tie at any step, and
    where a row that has written its EOS would write more if it were not stopped."""
    for seed in range(200):
        rng = np.random.default_rng(seed)
        encoder_state = ref.random_state(rng, ref.encoder_shapes(V_SRC, E, H))
        decoder_state = ref.random_state(rng, ref.decoder_shapes(V_TGT, E, H))
        decoder_state["out.bias"][ref.EOS] += 0.8
        written, margin, resumes = ref.greedy(encoder_state, decoder_state, SEQS, max_len)
        lengths = sorted(len(row) for row in written)
        if margin > 1e-3 and resumes and 0 < lengths[0] < lengths[-1] < max_len:
            return encoder_state, decoder_state, written
    raise RuntimeError("no fair greedy-decoding case found")  # the grader's own fault


@pytest.mark.points(3)
def test_matches_reference(student):
    """greedy_decode: the reference's tokens, each row stopping at its own EOS"""
    encoder_state, decoder_state, expected = fair_case(max_len=8)
    encoder = student.make("EncoderRNN", V_SRC, E, H)
    encoder.load_state(encoder_state)
    decoder = student.make("AttnDecoderRNN", V_TGT, E, H)
    decoder.load_state(decoder_state)
    written = decode(student, encoder, decoder, SEQS, 8)
    if written == expected:
        return
    if [row[:len(want)] for row, want in zip(written, expected)] == expected:
        if any(ref.EOS in row for row in written):
            raise AssertionError(f"the output keeps the EOS token (or what follows it): {DECODE_HINT}")
        raise AssertionError(f"rows that finished keep getting tokens after their EOS: {DECODE_HINT}")
    raise AssertionError(f"the decoded tokens differ from the reference's with the same weights. {DECODE_HINT}")


@pytest.mark.points(1)
def test_eos_first(student, rng):
    """greedy_decode: a decoder that writes EOS at once gives empty outputs"""
    encoder, decoder, _, _ = models(student, rng, eos_bias=50.0)
    written = decode(student, encoder, decoder, SEQS, 6)
    if written != [[], [], []]:
        raise AssertionError(f"when EOS is the first token written, each output is empty (EOS is not included). {DECODE_HINT}")


@pytest.mark.points(1)
def test_max_len(student, rng):
    """greedy_decode: without EOS, each output has exactly max_len tokens"""
    encoder, decoder, _, _ = models(student, rng, eos_bias=-50.0)
    written = decode(student, encoder, decoder, SEQS, 5)
    if [len(row) for row in written] != [5, 5, 5]:
        raise AssertionError(f"a row that never writes EOS stops after exactly max_len tokens. {DECODE_HINT}")


@pytest.mark.points(3)
def test_learns_to_reverse(student):
    """training: encoder and attention decoder learn to reverse short sequences in a few seconds"""
    pairs, held_out = ref.copy_pairs(300, seed=0), ref.copy_pairs(100, seed=1)
    src_vocab = ref.vocab([src for src, _ in pairs])
    tgt_vocab = ref.vocab([tgt for _, tgt in pairs])
    torch.manual_seed(0)
    encoder = student.make("EncoderRNN", len(src_vocab), 16, 32)
    decoder = student.make("AttnDecoderRNN", len(tgt_vocab), 16, 32)
    losses = student.train(encoder, decoder, pairs, src_vocab, tgt_vocab, epochs=15, batch_size=32, lr=0.01)
    accuracy = student.exact_match(encoder, decoder, held_out, src_vocab, tgt_vocab, max_len=7)
    if not np.all(np.isfinite(losses)):
        raise AssertionError("the training loss became NaN or infinite: check the log-softmax and the masking.")
    if accuracy < 0.7:
        raise AssertionError(
            f"after 15 epochs of the given training loop, {accuracy:.0%} of held-out sequences are reversed "
            "exactly (a working model gets most of them): the encoder, the attention or the decoder step "
            "does not carry the source to the output. The tests of those parts say which."
        )
