"""Hidden graders for greedy decoding, with the student's own encoder and decoders holding the
grader's weights (greedy_decode builds on them: a slip there is named as the cause)."""

import numpy as np
import pytest
import torch

from memo import memoized

from . import hw4_reference as ref
from rnnkit_testing import assert_int_lists, assert_loads_weights

V_SRC, V_TGT, E, H = 10, 9, 5, 6
SEQS = [[4, 5, 6, 2], [7, 2], [8, 9, 4, 2]]
DECODE_HINT = (
    "Encode the batch once; start every row from SOS with the encoder's final state; at each step "
    "feed the previous step's most likely tokens and the new state; a row is done at its first EOS, which "
    "is not part of its output; stop after max_len steps or when every row is done."
)


def modules(student, encoder_state, decoder_state, decoder_class="AttnDecoderRNN"):
    encoder = assert_loads_weights(student.make("EncoderRNN", V_SRC, E, H), encoder_state, "EncoderRNN",
                           "embedding and gru, as its docstring says")
    decoder = assert_loads_weights(student.make(decoder_class, V_TGT, E, H), decoder_state, decoder_class,
                           "the submodules its docstring names")
    return encoder, decoder


def random_models(student, rng, eos_bias=0.0):
    encoder_state = ref.random_state(rng, ref.encoder_shapes(V_SRC, E, H))
    decoder_state = ref.random_state(rng, ref.decoder_shapes(V_TGT, E, H))
    decoder_state["out.bias"][ref.EOS] += eos_bias
    return modules(student, encoder_state, decoder_state)


def decode(student, encoder, decoder, seqs, max_len):
    src = torch.from_numpy(ref.padded(seqs))
    lengths = torch.tensor([len(seq) for seq in seqs], dtype=torch.int64)
    return assert_int_lists(student.greedy_decode(encoder, decoder, src, lengths, max_len), "greedy_decode's result", len(seqs))


@memoized  # a search through a hundred seeds: once per batch
def fair_case(max_len, attention=True):
    """Weights whose greedy translations end at different steps, with no near tie at any step, and
    where a row that has written its EOS would write more if it were not stopped."""
    for seed in range(200):
        rng = np.random.default_rng(seed)
        encoder_state = ref.random_state(rng, ref.encoder_shapes(V_SRC, E, H))
        decoder_state = ref.random_state(rng, ref.decoder_shapes(V_TGT, E, H, attention))
        decoder_state["out.bias"][ref.EOS] += 0.8
        written, margin, resumes = ref.greedy(encoder_state, decoder_state, SEQS, max_len, attention)
        lengths = sorted(len(row) for row in written)
        if margin > 1e-3 and resumes and 0 < lengths[0] < lengths[-1] < max_len:
            return encoder_state, decoder_state, written
    raise RuntimeError("no fair greedy-decoding case found")  # the grader's own fault


def decoding_problem(written, expected, encoder_state, decoder_state, max_len, attention=True):
    """What is wrong with the decoded tokens, from the evidence: the slip whose output they are."""
    if written == expected:
        return None
    if [row[:len(want)] for row, want in zip(written, expected)] == expected:
        if any(ref.EOS in row for row in written):
            return f"the output keeps the EOS token (or what follows it): a row's EOS ends it and is not part of it. {DECODE_HINT}"
        return f"rows that finished keep getting tokens after their EOS: a row is done at its first EOS. {DECODE_HINT}"
    slips = {
        "each step is fed the encoder's final state again instead of the state the previous step returned":
            dict(keep_state=False),
        "each step is fed SOS again instead of the token the previous step wrote": dict(feed_back=False),
    }
    for slip, options in slips.items():
        if written == ref.greedy(encoder_state, decoder_state, SEQS, max_len, attention, **options)[0]:
            return f"{slip}. {DECODE_HINT}"
    return f"the decoded tokens differ from the reference's with the same weights. {DECODE_HINT}"


@pytest.mark.points(3)
def test_matches_reference(student):
    """greedy_decode: the reference's tokens, each row stopping at its own EOS"""
    encoder_state, decoder_state, expected = fair_case(max_len=8)
    encoder, decoder = modules(student, encoder_state, decoder_state)
    problem = decoding_problem(decode(student, encoder, decoder, SEQS, 8), expected, encoder_state, decoder_state, 8)
    if problem:
        raise AssertionError(problem)


@pytest.mark.points(1)
def test_without_attention(student):
    """greedy_decode: works with the decoder without attention too (its attn_weights are None)"""
    encoder_state, decoder_state, expected = fair_case(max_len=8, attention=False)
    encoder, decoder = modules(student, encoder_state, decoder_state, "DecoderRNN")
    problem = decoding_problem(decode(student, encoder, decoder, SEQS, 8), expected, encoder_state, decoder_state, 8,
                               attention=False)
    if problem:
        raise AssertionError(f"with a DecoderRNN: {problem}")


@pytest.mark.points(1)
def test_eos_first(student, rng):
    """greedy_decode: a decoder that writes EOS at once gives empty outputs"""
    encoder, decoder = random_models(student, rng, eos_bias=50.0)
    written = decode(student, encoder, decoder, SEQS, 6)
    if written != [[], [], []]:
        raise AssertionError(f"when EOS is the first token written, each output is empty (EOS is not included). {DECODE_HINT}")


@pytest.mark.points(1)
def test_max_len(student, rng):
    """greedy_decode: without EOS, each output has exactly max_len tokens"""
    encoder, decoder = random_models(student, rng, eos_bias=-50.0)
    written = decode(student, encoder, decoder, SEQS, 5)
    if [len(row) for row in written] != [5, 5, 5]:
        raise AssertionError(f"a row that never writes EOS stops after exactly max_len tokens. {DECODE_HINT}")
