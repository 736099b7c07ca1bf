"""Hidden graders for lstm_cell_backward (one LSTM step, stacked weights in the order i, f, g, o)."""

import numpy as np
import pytest

from . import hw2_reference as ref
from rnnkit_testing import assert_arrays, assert_close, assert_shape, assert_unchanged

CELL_HINT = (
    "Go back through the hidden-state equation first: the cell state gets gradient both from dc "
    "and, through the output gate and tanh, from dh; then back through the cell-state update."
)
ORDER_HINT = (
    "The stacked rows are the gates in the order i, f, g, o: rows k*H to (k+1)*H of dW_ih, dW_hh, "
    "db_ih and db_hh belong to gate k; g goes through tanh (derivative 1 - g^2), the others through "
    "sigmoid (derivative s * (1 - s))."
)
INPUT_NAMES = ("dh", "dc", "x", "h_prev", "c_prev", "W_ih", "W_hh", "b_ih", "b_hh")


def backward_problem(rng, N=3, D=4, H=2):
    """dh, dc (N, H), x (N, D), nonzero h_prev and c_prev (N, H), stacked weights (4H, ...)."""
    dh, dc = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    x, h_prev, c_prev = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    return (dh, dc, x, h_prev, c_prev, *ref.random_stacked_params(rng, D, H, 4, scale=0.5))


def student_grads(student, args):
    return assert_arrays(student.lstm_cell_backward(*args), "lstm_cell_backward", ref.LSTM_GRADS)


def forget_gate(x, h_prev, W_ih, W_hh, b_ih, b_hh):
    """f of the step, by torch: block 1 of the stacks (order i, f, g, o)."""
    W_if, W_hf, b_if, b_hf = (np.split(w, 4)[1] for w in (W_ih, W_hh, b_ih, b_hh))
    return ref.gate(x, h_prev, W_if, b_if, W_hf, b_hf, "sigmoid")


@pytest.mark.points(1)
def test_shapes(student, rng):
    """lstm_cell_backward: each gradient has the shape of its variable (D != H)"""
    N, D, H = 3, 4, 2
    grads = student_grads(student, backward_problem(rng, N, D, H))
    shapes = [(N, D), (N, H), (N, H), (4 * H, D), (4 * H, H), (4 * H,), (4 * H,)]
    for grad, name, shape in zip(grads, ref.LSTM_GRADS, shapes):
        assert_shape(
            grad, shape, name,
            hint="A gradient has the shape of its variable; return (dx, dh_prev, dc_prev, dW_ih, dW_hh, "
            "db_ih, db_hh) in that order.",
        )


@pytest.mark.points(2)
def test_input_grads(student, rng):
    """lstm_cell_backward: dx, dh_prev and dc_prev match torch autograd"""
    args = backward_problem(rng, N=4, D=3, H=5)
    dx, dh_prev, dc_prev, *_ = student_grads(student, args)
    expected = ref.lstm_cell_grads(*args)
    assert_close(dc_prev, expected[2], "dc_prev", hint=f"{CELL_HINT} The old cell state reaches the new one only through the forget gate. {ORDER_HINT}")
    assert_close(dx, expected[0], "dx", hint=f"{CELL_HINT} {ORDER_HINT} Then dx = dz @ W_ih.")
    assert_close(dh_prev, expected[1], "dh_prev", hint=f"{CELL_HINT} {ORDER_HINT} Then dh_prev = dz @ W_hh.")


@pytest.mark.points(1)
def test_weight_grads(student, rng):
    """lstm_cell_backward: dW_ih and dW_hh match torch autograd"""
    args = backward_problem(rng, N=3, D=4, H=3)
    dW_ih, dW_hh = student_grads(student, args)[3:5]
    expected = ref.lstm_cell_grads(*args)
    assert_close(dW_ih, expected[3], "dW_ih", hint=f"{ORDER_HINT} dW_ih = dz.T @ x, summed over the batch.")
    assert_close(dW_hh, expected[4], "dW_hh", hint=f"{ORDER_HINT} W_hh multiplies the state the step started from; sum over the batch.")


@pytest.mark.points(1)
def test_bias_grads_sum_over_batch(student, rng):
    """lstm_cell_backward: db_ih and db_hh sum over the batch"""
    args = backward_problem(rng, N=6, D=2, H=3)
    db_ih, db_hh = student_grads(student, args)[5:]
    expected = ref.lstm_cell_grads(*args)
    hint = (
        "b_ih and b_hh are added to every example in the same way, so both gradients are the stacked "
        f"dz summed over the batch axis (a sum, not a mean). {ORDER_HINT}"
    )
    assert_close(db_ih, expected[5], "db_ih", hint=hint)
    assert_close(db_hh, expected[6], "db_hh", hint=hint)


@pytest.mark.points(1)
def test_cell_state_path_is_forget_gate(student, rng):
    """lstm_cell_backward: with dh = 0, dc_prev = dc * f (the slide's dc_t/dc_{t-1} = f_t)"""
    dh, dc, x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh = backward_problem(rng, N=3, D=4, H=2)
    args = (np.zeros_like(dh), dc, x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh)
    dc_prev = student_grads(student, args)[2]
    f = forget_gate(x, h_prev, W_ih, W_hh, b_ih, b_hh)
    assert_close(
        dc_prev, dc * f, "dc_prev (dh = 0)",
        hint="Along the cell state the gradient only meets the forget gate: c_t = f_t * c_{t-1} + i_t * g_t "
        "gives dc_t/dc_{t-1} = f_t (the lecture's point: no matrix product, no squashing), so with dh = 0, "
        "dc_prev = dc * f elementwise. f is block 1 of the stacks (order i, f, g, o).",
    )


@pytest.mark.points(1)
def test_inputs_unchanged(student, rng):
    """lstm_cell_backward: does not modify its inputs"""
    args = backward_problem(rng)
    result, after, _ = student.call_with_inputs("lstm_cell_backward", *args)
    assert_arrays(result, "lstm_cell_backward", ref.LSTM_GRADS)
    for before, now, name in zip(args, after, INPUT_NAMES):
        assert_unchanged(before, now, name)


@pytest.mark.points(1, visibility="after_due_date")
def test_numerical_gradient_check(student, rng):
    """lstm_cell_backward: passes a numerical gradient check"""
    args = backward_problem(rng, N=2, D=3, H=2)
    grads = student_grads(student, args)
    for grad, name, expected in zip(grads, ref.LSTM_GRADS, ref.lstm_numerical_grads(*args)):
        assert_close(
            grad, expected, name, rtol=1e-5, atol=1e-7,
            hint=f"Central differences of sum(dh * h + dc * c) disagree with this gradient. {CELL_HINT}",
        )
