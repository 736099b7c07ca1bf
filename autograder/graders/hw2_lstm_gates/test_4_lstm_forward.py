"""Hidden graders for lstm_forward: a whole batch of sequences, as torch.nn.LSTM(batch_first=True)."""

import numpy as np
import pytest

from . import hw2_reference as ref
from rnnkit_testing import assert_array, assert_close, assert_tuple, assert_unchanged


def sequence_problem(rng, N=3, T=5, D=4, H=3):
    """x (N, T, D), nonzero h0 and c0 (N, H), stacked weights."""
    x, h0, c0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    return (x, h0, c0, *ref.random_stacked_params(rng, D, H, 4))


def unpack(result, N, T, H):
    outputs, final = assert_tuple(result, 2, "lstm_forward", hint="Return (outputs, (h_T, c_T)), as nn.LSTM does.")
    h_T, c_T = assert_tuple(final, 2, "the second value of lstm_forward", hint="It is the pair (h_T, c_T).")
    assert_array(outputs, "outputs", shape=(N, T, H), hint="outputs holds h_t for every step t (batch first).")
    assert_array(h_T, "h_T", shape=(N, H))
    assert_array(c_T, "c_T", shape=(N, H))
    return outputs, h_T, c_T


def check_sequence(student, problem):
    x, h0 = problem[0], problem[1]
    (N, T, _), H = x.shape, h0.shape[1]
    outputs, h_T, c_T = unpack(student.lstm_forward(*problem), N, T, H)
    expected_outputs, (expected_h, expected_c) = ref.lstm_forward(*problem)
    if np.allclose(outputs[:, 0], expected_outputs[:, 0]) and not np.allclose(outputs, expected_outputs):
        raise AssertionError(
            "outputs match torch.nn.LSTM at the first step only: carry both h and c from each "
            "step into the next (the cell state is part of the recurrence too)."
        )
    assert_close(outputs, expected_outputs, "outputs", hint="Run lstm_cell_forward at every step, starting from (h0, c0).")
    assert_close(h_T, expected_h, "h_T", hint="h_T is the hidden state after the last step.")
    assert_close(c_T, expected_c, "c_T", hint="c_T is the cell state after the last step, not the hidden state.")


@pytest.mark.points(2)
def test_matches_torch_lstm(student, rng):
    """lstm_forward: outputs, h_T and c_T match torch.nn.LSTM (D != H)"""
    check_sequence(student, sequence_problem(rng))


@pytest.mark.points(1)
def test_one_step(student, rng):
    """lstm_forward: T = 1 is one lstm_cell_forward step"""
    check_sequence(student, sequence_problem(rng, N=2, T=1, D=3, H=2))


@pytest.mark.points(1)
def test_long_sequence(student, rng):
    """lstm_forward: a 30-step sequence of a single example"""
    check_sequence(student, sequence_problem(rng, N=1, T=30, D=2, H=4))


@pytest.mark.points(1)
def test_cell_state_is_carried(student, rng):
    """lstm_forward: starts from c0 and carries the cell state from step to step"""
    x, h0, c0, *weights = sequence_problem(rng)
    check_sequence(student, (x, np.zeros_like(h0), c0 * 4.0, *weights))


@pytest.mark.points(1)
def test_inputs_unchanged(student, rng):
    """lstm_forward: leaves its inputs unchanged"""
    problem = sequence_problem(rng)
    result, after, _ = student.call_with_inputs("lstm_forward", *problem)
    N, T, _ = problem[0].shape
    unpack(result, N, T, problem[1].shape[1])
    for before, value, name in zip(problem, after, ("x", "h0", "c0", "W_ih", "W_hh", "b_ih", "b_hh")):
        assert_unchanged(before, value, name)
