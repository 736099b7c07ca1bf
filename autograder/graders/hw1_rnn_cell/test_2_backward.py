"""Hidden graders for rnn_cell_backward (one tanh step)."""

import pytest

from . import hw1_reference as ref
from rnnkit_testing import assert_arrays, assert_close, assert_shape, assert_unchanged

TANH_HINT = (
    "First go back through the activation: the derivative of tanh is 1 - tanh^2, and h_next "
    "already holds tanh of the pre-activation z."
)


def cell_problem(rng, N=3, D=4, H=5):
    """dh_next (N, H), x (N, D), h_prev (N, H) and weights with D != H."""
    dh_next, x, h_prev = rng.normal(size=(N, H)), rng.normal(size=(N, D)), rng.normal(size=(N, H))
    return (dh_next, x, h_prev, *ref.random_params(rng, D, H))


def student_grads(student, args):
    return assert_arrays(student.rnn_cell_backward(*args), "rnn_cell_backward", ref.CELL_GRADS)


@pytest.mark.points(1)
def test_shapes(student, rng):
    """rnn_cell_backward: each gradient has the shape of its variable"""
    args = cell_problem(rng, N=3, D=4, H=5)
    grads = student_grads(student, args)
    shapes = {"dx": (3, 4), "dh_prev": (3, 5), "dW_xh": (5, 4), "dW_hh": (5, 5), "db_h": (5,)}
    for grad, name in zip(grads, ref.CELL_GRADS):
        assert_shape(
            grad, shapes[name], name,
            hint="A gradient has the shape of the variable it belongs to; return them in the "
            "order (dx, dh_prev, dW_xh, dW_hh, db_h).",
        )


@pytest.mark.points(2)
def test_input_grads(student, rng):
    """rnn_cell_backward: dx and dh_prev match torch autograd"""
    args = cell_problem(rng)
    dx, dh_prev, *_ = student_grads(student, args)
    expected = ref.cell_grads(*args)
    assert_close(dx, expected[0], "dx", hint=f"{TANH_HINT} Then the chain rule through the input term of z.")
    assert_close(dh_prev, expected[1], "dh_prev", hint=f"{TANH_HINT} Then the chain rule through the recurrent term of z.")


@pytest.mark.points(2)
def test_weight_grads(student, rng):
    """rnn_cell_backward: dW_xh and dW_hh match torch autograd"""
    args = cell_problem(rng)
    _, _, dW_xh, dW_hh, _ = student_grads(student, args)
    expected = ref.cell_grads(*args)
    assert_close(
        dW_xh, expected[2], "dW_xh",
        hint=f"{TANH_HINT} A weight gradient sums the contributions of every example in the batch; "
        "its shape is the shape of W_xh.",
    )
    assert_close(
        dW_hh, expected[3], "dW_hh",
        hint=f"{TANH_HINT} W_hh multiplies the state the step started from, so its gradient pairs "
        "the pre-activation gradient with that state, summed over the batch.",
    )


@pytest.mark.points(1)
def test_bias_grad_sums_over_batch(student, rng):
    """rnn_cell_backward: db_h sums over the batch"""
    args = cell_problem(rng, N=6)
    db_h = student_grads(student, args)[4]
    assert_close(
        db_h, ref.cell_grads(*args)[4], "db_h",
        hint="b_h is added to every example, so db_h is dz summed over the batch axis "
        "(a sum, not a mean).",
    )


@pytest.mark.points(1, visibility="after_due_date")
def test_numerical_gradient_check(student, rng):
    """rnn_cell_backward: passes a numerical gradient check"""
    args = cell_problem(rng, N=2, D=3, H=3)
    grads = student_grads(student, args)
    for grad, name, expected in zip(grads, ref.CELL_GRADS, ref.cell_numerical_grads(*args)):
        assert_close(
            grad, expected, name, rtol=1e-5, atol=1e-7,
            hint="Central differences of sum(dh_next * h_next) disagree with this gradient. "
            + TANH_HINT,
        )


@pytest.mark.points(1)
def test_inputs_unchanged(student, rng):
    """rnn_cell_backward: does not modify its inputs"""
    args = cell_problem(rng)
    result, after, _ = student.call_with_inputs("rnn_cell_backward", *args)
    assert_arrays(result, "rnn_cell_backward", ref.CELL_GRADS)
    for before, now, name in zip(args, after, ("dh_next", "x", "h_prev", "W_xh", "W_hh", "b_h")):
        assert_unchanged(before, now, name)
