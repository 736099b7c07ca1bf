"""Hidden graders for the split-gate LSTM step: each gate, the cell state and the hidden state,
on the lecture's hand-computed example and on random batches with D != H."""

import numpy as np
import pytest

from . import hw2_reference as ref
from rnnkit_testing import assert_array, assert_close, assert_unchanged

N, D, H = 3, 4, 5

GATES = {
    # name: (what it is in the lecture, its activation)
    "forget_gate": ("the forget gate f", "sigmoid"),
    "input_gate": ("the input gate i", "sigmoid"),
    "candidate_memory": ("the candidate memory g", "tanh"),
    "output_gate": ("the output gate o", "sigmoid"),
}


def check_activation(value, gate, args):
    """Name the concept when a gate's values cannot come from its activation, or are the other
    activation of the right pre-activation (a tanh output gate, a sigmoid candidate)."""
    concept, activation = GATES[gate]
    values = np.asarray(value, dtype=float)
    if activation == "sigmoid" and ((values < 0).any() or (values > 1).any()):
        raise AssertionError(f"{concept} should use a sigmoid: your values leave [0, 1].")
    if activation == "tanh" and ((values < -1).any() or (values > 1).any()):
        raise AssertionError(f"{concept} should use tanh: your values leave [-1, 1].")
    other = "tanh" if activation == "sigmoid" else "sigmoid"
    # Both activations' results, whatever the values: the torch results stored for grading are
    # recorded on the reference solution, and must hold what a wrong gate is compared with too.
    expected, other_result = ref.gate(*args, activation), ref.gate(*args, other)
    if not np.allclose(values, expected) and np.allclose(values, other_result):
        raise AssertionError(
            f"{concept} should use {'a sigmoid' if activation == 'sigmoid' else 'tanh'}: your values "
            f"are {other} of the right pre-activation."
        )


def gate_problem(rng):
    x, h_prev = rng.normal(size=(N, D)), rng.normal(size=(N, H))
    return (x, h_prev, *ref.random_gate_params(rng, D, H))


# ---------------------------------------------------------------- the lecture's example


@pytest.mark.parametrize("gate", list(GATES))
@pytest.mark.points(1)
def test_hand_example_gate(student, gate):
    """LSTM gates: the lecture's hand-computed value of each gate"""
    args = ref.slide_gate_args(gate)
    value = getattr(student, gate)(*args)
    concept, activation = GATES[gate]
    assert_array(value, gate, shape=(1, 1), hint="One example and one unit give a (1, 1) array.")
    check_activation(value, gate, args)
    assert_close(
        value, [[ref.SLIDE_VALUES[gate]]], f"{concept} in the hand-computed example", rtol=0, atol=5e-6,
        hint=f"{concept} = {activation}(W_x x + b_x + W_h h_prev + b_h): add both products and both biases.",
    )


@pytest.mark.points(2)
def test_hand_example_cell_and_hidden_state(student):
    """LSTM gates: the lecture's c ≈ 2.94757 and h ≈ 0.98623 (next_cell_state, next_hidden_state)"""
    f, i, g, o = (
        np.array([[ref.SLIDE_VALUES[gate]]])
        for gate in ("forget_gate", "input_gate", "candidate_memory", "output_gate")
    )
    c = student.next_cell_state(f, np.array([[ref.SLIDE_C_PREV]]), i, g)
    assert_close(
        c, [[ref.SLIDE_VALUES["c"]]], "c in the hand-computed example", rtol=0, atol=2e-5,
        hint="In the cell-state update the forget gate scales the old cell state and the input gate "
        "scales the candidate (elementwise); the two are added.",
    )
    h = student.next_hidden_state(o, np.array([[ref.SLIDE_VALUES["c"]]]))
    assert_close(
        h, [[ref.SLIDE_VALUES["h"]]], "h in the hand-computed example", rtol=0, atol=2e-5,
        hint="h = o * tanh(c) is a product (the slide's last line shows a sum by mistake).",
    )


# ---------------------------------------------------------------- random batches


@pytest.mark.parametrize("gate", list(GATES))
@pytest.mark.points(1)
def test_gate_matches_torch(student, rng, gate):
    """LSTM gates: each gate on a random batch with D != H"""
    args = gate_problem(rng)
    concept, activation = GATES[gate]
    value = getattr(student, gate)(*args)
    assert_array(
        value, gate, shape=(N, H),
        hint="x (N, D) @ W_x.T (D, H) and h_prev (N, H) @ W_h.T (H, H) both give (N, H).",
    )
    check_activation(value, gate, args)
    assert_close(
        value, ref.gate(*args, activation), concept,
        hint=f"{activation}(x @ W_x.T + b_x + h_prev @ W_h.T + b_h); W_h is not symmetric, so a "
        "missing transpose shows here.",
    )


@pytest.mark.points(1)
def test_candidate_can_be_negative(student, rng):
    """LSTM gates: the candidate memory uses tanh, so it can lower the cell state"""
    x, h_prev, W_x, b_x, W_h, b_h = gate_problem(rng)
    b_x = b_x - 3.0  # pre-activations mostly negative
    g = student.candidate_memory(x, h_prev, W_x, b_x, W_h, b_h)
    assert_array(g, "g", shape=(N, H))
    if (np.asarray(g) >= 0).all():
        raise AssertionError(
            "the candidate memory should use tanh: your values never go below 0, so it could only "
            "ever add to the cell state."
        )
    assert_close(g, ref.gate(x, h_prev, W_x, b_x, W_h, b_h, "tanh"), "the candidate memory g")


@pytest.mark.points(1)
def test_gates_leave_inputs_unchanged(student, rng):
    """LSTM gates: leave x, h_prev and the weights unchanged"""
    args = gate_problem(rng)
    names = ("x", "h_prev", "W_x", "b_x", "W_h", "b_h")
    for gate in GATES:
        result, after, _ = student.call_with_inputs(gate, *args)
        assert_array(result, gate, shape=(N, H), hint=f"This test needs a working {gate}.")
        for before, value, name in zip(args, after, names):
            assert_unchanged(before, value, f"{name} of {gate}")


@pytest.mark.points(1)
def test_cell_state_update(student, rng):
    """next_cell_state: the cell-state update on a random batch"""
    f, i = rng.uniform(size=(N, H)), rng.uniform(size=(N, H))
    g, c_prev = rng.uniform(-1, 1, size=(N, H)), rng.normal(size=(N, H))
    c, after, _ = student.call_with_inputs("next_cell_state", f, c_prev, i, g)
    assert_close(
        c, f * c_prev + i * g, "c",
        hint="Elementwise: the forget gate scales the old cell state, the input gate scales the "
        "candidate; note the argument order (f, c_prev, i, g).",
    )
    for before, value, name in zip((f, c_prev, i, g), after, ("f", "c_prev", "i", "g")):
        assert_unchanged(before, value, name)


@pytest.mark.points(1)
def test_hidden_state_update(student, rng):
    """next_hidden_state: h = o * tanh(c) on a random batch"""
    o, c = rng.uniform(size=(N, H)), rng.normal(scale=2.0, size=(N, H))
    h, after, _ = student.call_with_inputs("next_hidden_state", o, c)
    assert_close(
        h, o * np.tanh(c), "h",
        hint="The output gate multiplies the squashed cell state tanh(c), elementwise.",
    )
    for before, value, name in zip((o, c), after, ("o", "c")):
        assert_unchanged(before, value, name)
