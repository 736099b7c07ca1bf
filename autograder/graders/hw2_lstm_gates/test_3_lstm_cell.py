"""Hidden graders for lstm_cell_forward: PyTorch's stacked layout and its gate order i, f, g, o."""

import numpy as np
import pytest

from . import hw2_reference as ref
from rnnkit_testing import assert_array, assert_close, assert_tuple, assert_unchanged

ORDER_NAMES = {"ifog": "i, f, o, g (the CS231n assignment's order)", "igfo": "i, g, f, o (TensorFlow 1's order)"}


def cell_problem(rng, N=3, D=4, H=5):
    """x (N, D), nonzero h_prev and c_prev (N, H), stacked weights whose four gate blocks differ."""
    x, h_prev, c_prev = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    return (x, h_prev, c_prev, *ref.random_stacked_params(rng, D, H, 4))


def close(actual, expected):
    return np.allclose(actual, expected, rtol=1e-6, atol=1e-8)


def gate_order_diagnosis(h, c, x, h_prev, c_prev, *weights):
    """A message naming the block order the student's (h, c) corresponds to, if any.

    The cell state does not involve the output gate, so when no reading explains both h and c,
    a reading that explains c alone still names the order and says a second mistake is left in
    the output gate or the hidden-state equation (the CS231n order plus a tanh output gate)."""
    def reading_for(matches):
        return ref.wrong_gate_order(
            matches, lambda *rearranged: ref.lstm_cell_forward(x, h_prev, c_prev, *rearranged),
            ref.LSTM_GATES, *weights,
        )

    reading = reading_for(lambda expected: close(h, expected[0]) and close(c, expected[1]))
    second_mistake = reading is None
    if second_mistake:
        reading = reading_for(lambda expected: close(c, expected[1]))
    if reading is None:
        return None
    described = ORDER_NAMES.get("".join(reading), ", ".join(reading))
    message = (
        f"wrong gate order: your cell reads the stacked blocks as {described}, but PyTorch "
        "stacks them as i, f, g, o (input gate, forget gate, candidate memory, output gate)."
    )
    if second_mistake:
        message += (
            " Read that way your cell state c is right but h is still wrong: once the order is "
            "fixed, check the output gate (a sigmoid) and the hidden-state equation too."
        )
    return message


def one_bias_diagnosis(h, c, x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    """A message when the student's (h, c) is what the cell gives with one of the two biases left
    out (both computed before either is compared, as wrong_gate_order does)."""
    variants = [
        (name, ref.lstm_cell_forward(x, h_prev, c_prev, W_ih, W_hh, *biases))
        for dropped, name, biases in (
            (b_hh, "bias_hh (b_hh)", (b_ih, np.zeros_like(b_hh))),
            (b_ih, "bias_ih (b_ih)", (np.zeros_like(b_ih), b_hh)),
        )
        if np.any(dropped)  # a bias already zero changes nothing when left out
    ]
    for name, (expected_h, expected_c) in variants:
        if close(h, expected_h) and close(c, expected_c):
            return (
                f"PyTorch keeps two bias vectors, bias_ih and bias_hh, and your cell leaves out {name}: "
                "both are added to every gate's pre-activation."
            )
    return None


def unpack(result, problem, hint):
    """(h, c), each an array shaped like h_prev."""
    h, c = assert_tuple(result, 2, "lstm_cell_forward", hint="Return (h, c): the new hidden and cell states.")
    assert_array(h, "h", shape=problem[1].shape, hint=hint)
    assert_array(c, "c", shape=problem[1].shape, hint=hint)
    return h, c


def check_cell(result, expected, problem, hint):
    h, c = unpack(result, problem, hint)
    expected_h, expected_c = expected
    # Both diagnoses, even for a right answer: the torch results stored for grading are recorded
    # on the reference solution, and must hold everything a wrong answer is compared with.
    diagnoses = gate_order_diagnosis(h, c, *problem), one_bias_diagnosis(h, c, *problem)
    if not (close(h, expected_h) and close(c, expected_c)) and any(diagnoses):
        raise AssertionError(next(d for d in diagnoses if d))
    assert_close(c, expected_c, "c", hint=hint)
    assert_close(h, expected_h, "h", hint=hint)


@pytest.mark.points(2)
def test_matches_lstm_cell(student, rng):
    """lstm_cell_forward: h and c match torch.nn.LSTMCell (D != H)"""
    problem = cell_problem(rng)
    check_cell(
        student.lstm_cell_forward(*problem), ref.lstm_cell_forward(*problem), problem,
        hint="Split the stacked rows into the gates in the order i, f, g, o, then update the cell "
        "state and the hidden state as in the lecture's LSTM equations.",
    )


@pytest.mark.points(2)
def test_gate_order(student, rng):
    """lstm_cell_forward: gate blocks in PyTorch's order i, f, g, o (not CS231n's i, f, o, g)"""
    problem = cell_problem(rng, N=2, D=3, H=4)
    check_cell(
        student.lstm_cell_forward(*problem), ref.lstm_cell_forward(*problem), problem,
        hint="Rows 0..H-1 are the input gate, H..2H-1 the forget gate, 2H..3H-1 the candidate, 3H..4H-1 "
        "the output gate.",
    )


@pytest.mark.points(1)
def test_single_example_single_unit(student, rng):
    """lstm_cell_forward: N = 1 and H = 1 (one number per gate)"""
    problem = cell_problem(rng, N=1, D=2, H=1)
    check_cell(
        student.lstm_cell_forward(*problem), ref.lstm_cell_forward(*problem), problem,
        hint="With H = 1 each gate is a single row of the stacked weights.",
    )


@pytest.mark.points(1)
def test_both_biases(student, rng):
    """lstm_cell_forward: adds both biases b_ih and b_hh"""
    x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh = cell_problem(rng)
    problem = (x, h_prev, c_prev, W_ih, W_hh, np.zeros_like(b_ih), b_hh)
    check_cell(
        student.lstm_cell_forward(*problem), ref.lstm_cell_forward(*problem), problem,
        hint="PyTorch keeps two bias vectors, bias_ih and bias_hh; add both to every gate's pre-activation.",
    )


@pytest.mark.points(1)
def test_cell_state_carried(student, rng):
    """lstm_cell_forward: the forget gate keeps part of c_prev"""
    x, h_prev, c_prev, *weights = cell_problem(rng)
    c_prev = c_prev + 3.0  # a large old cell state that the forget gate must carry over
    problem = (x, h_prev, c_prev, *weights)
    check_cell(
        student.lstm_cell_forward(*problem), ref.lstm_cell_forward(*problem), problem,
        hint="The new cell state starts from the old one, scaled by the forget gate, and adds the "
        "candidate scaled by the input gate.",
    )


@pytest.mark.points(1)
def test_inputs_unchanged(student, rng):
    """lstm_cell_forward: leaves its inputs unchanged"""
    problem = cell_problem(rng)
    result, after, _ = student.call_with_inputs("lstm_cell_forward", *problem)
    unpack(result, problem, hint="This test needs a working lstm_cell_forward.")
    for before, value, name in zip(problem, after, ("x", "h_prev", "c_prev", "W_ih", "W_hh", "b_ih", "b_hh")):
        assert_unchanged(before, value, name)
