"""Hidden grader for learning: the given training loop, run on the student's code, must teach the
student's encoder and attention decoder to reverse short sequences. The grader measures for itself:
it reads the trained weights and translates held-out sequences with its own greedy decoding (so a
slip in the student's greedy_decode does not fail this test), whatever the student's copies of
`train` and `exact_match` report. A slip in the parts training runs (the data recipe, padding, the
encoder, the attention decoder's step) fails their own tests, and builds_on names it as the cause."""

import numpy as np
import pytest
import torch

from . import hw4_reference as ref
from rnnkit_testing import assert_state_dict

E, H = 16, 32
# Sequences of 2 or 3 tokens, 300 of them in batches of 100, 15 epochs at lr 0.05: 45 Adam steps of
# 4 decoder steps (it was 150 of 6 on sequences of 2 to 5 tokens, 3x the time). Over 16 seeds (data,
# initial weights, shuffling) the reference reverses 79-92% of held-out sequences (median 88%;
# before, 79-100%, median 91%), against the verdict's 70%; an untrained model 0%.
EPOCHS, BATCH_SIZE, LR = 15, 100, 0.05


def trained_state(module, name, shapes):
    state = assert_state_dict(module.state(), name)
    if {key: tuple(value.shape) for key, value in state.items()} != shapes:
        raise AssertionError(f"after training, {name}'s weights are not the layers its docstring names.")
    for key, value in state.items():
        if not np.all(np.isfinite(value)):
            raise AssertionError(f"after training, {name}'s weights contain NaN or infinity: the loss the model "
                                 "computes is not finite (log-probabilities of exactly 0, or padding that is not masked).")
    return state


@pytest.mark.points(3)
def test_learns_to_reverse(student):
    """training: the given loop teaches the encoder and the attention decoder to reverse short sequences"""
    pairs, held_out = ref.copy_pairs(300, seed=0), ref.copy_pairs(100, seed=1)
    src_vocab = ref.vocab([src for src, _ in pairs])
    tgt_vocab = ref.vocab([tgt for _, tgt in pairs])
    torch.manual_seed(0)
    encoder = student.make("EncoderRNN", len(src_vocab), E, H)
    decoder = student.make("AttnDecoderRNN", len(tgt_vocab), E, H)
    student.train(encoder, decoder, pairs, src_vocab, tgt_vocab, epochs=EPOCHS, batch_size=BATCH_SIZE, lr=LR)
    encoder_state = trained_state(encoder, "EncoderRNN", ref.encoder_shapes(len(src_vocab), E, H))
    decoder_state = trained_state(decoder, "AttnDecoderRNN", ref.decoder_shapes(len(tgt_vocab), E, H))
    accuracy = ref.accuracy(encoder_state, decoder_state, held_out, src_vocab, tgt_vocab, max_len=7)
    if not accuracy >= 0.7:
        raise AssertionError(
            f"after {EPOCHS} epochs of the given training loop, the trained model reverses {accuracy:.0%} of held-out "
            "sequences exactly (decoded by the autograder; a working model gets most of them). Is the given "
            "training loop in your file as it was handed out?"
        )
