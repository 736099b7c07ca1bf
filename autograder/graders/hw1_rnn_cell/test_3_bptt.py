"""Hidden graders for rnn_backward: full and truncated backpropagation through time."""

import pytest

from . import hw1_reference as ref
from rnnkit_testing import assert_arrays, assert_close, assert_raises, assert_shape, assert_unchanged

TRUNCATE_HINT = (
    "With truncate=k, cut the gradient between chunks: the state after steps k, 2k, ... "
    "(counting from 1) passes no gradient back to earlier steps, but its own doutputs still counts."
)


def problem(rng, N=2, T=5, D=3, H=4):
    """doutputs (N, T, H), x (N, T, D), nonzero h0 (N, H) and weights with D != H."""
    x, h0, W_xh, W_hh, b_h = ref.random_problem(rng, N, T, D, H)
    return rng.normal(size=(N, T, H)), x, h0, W_xh, W_hh, b_h


def student_grads(student, args, **kwargs):
    return assert_arrays(student.rnn_backward(*args, **kwargs), "rnn_backward", ref.BPTT_GRADS)


def assert_grads(grads, expected, hint, names=ref.BPTT_GRADS, context=""):
    for grad, reference, name in zip(grads, expected, ref.BPTT_GRADS):
        if name in names:
            assert_close(grad, reference, name + context, hint=hint)


@pytest.mark.points(1)
def test_shapes(student, rng):
    """rnn_backward: each gradient has the shape of its variable"""
    args = problem(rng, N=2, T=5, D=3, H=4)
    grads = student_grads(student, args)
    shapes = {"dx": (2, 5, 3), "dh0": (2, 4), "dW_xh": (4, 3), "dW_hh": (4, 4), "db_h": (4,)}
    for grad, name in zip(grads, ref.BPTT_GRADS):
        assert_shape(
            grad, shapes[name], name,
            hint="Return (dx, dh0, dW_xh, dW_hh, db_h); dx has a gradient for every time step.",
        )


@pytest.mark.points(2)
def test_full_bptt_input_grads(student, rng):
    """rnn_backward: dx and dh0 match autograd through torch.nn.RNN"""
    args = problem(rng, T=6)
    grads = student_grads(student, args)
    assert_grads(
        grads, ref.bptt_grads(*args), names=("dx", "dh0"),
        hint="Go back through time, one step at a time in reverse: at every time step the gradient "
        "reaching h_t has two parts, that step's own output gradient and what step t+1 sends back; "
        "dh0 is what the first step sends back.",
    )


@pytest.mark.points(2)
def test_full_bptt_weight_grads(student, rng):
    """rnn_backward: weight gradients accumulate over all time steps"""
    args = problem(rng, T=6)
    grads = student_grads(student, args)
    assert_grads(
        grads, ref.bptt_grads(*args), names=("dW_xh", "dW_hh", "db_h"),
        hint="The weights are shared by every step: accumulate (+=) each step's dW_xh, dW_hh "
        "and db_h instead of overwriting them.",
    )


@pytest.mark.points(1)
def test_gradient_flows_back_from_last_output(student, rng):
    """rnn_backward: the last output's gradient reaches every earlier step"""
    doutputs, *rest = problem(rng, T=5)
    doutputs[:, :-1] = 0.0  # only the final output gets a gradient
    args = (doutputs, *rest)
    grads = student_grads(student, args)
    assert_grads(
        grads, ref.bptt_grads(*args), names=("dx", "dh0"),
        context=" (gradient on the last output only)",
        hint="The gradient must travel back through time: the dh_prev of step t becomes part "
        "of the gradient at h_{t-1}, all the way down to dh0.",
    )


@pytest.mark.points(1)
def test_every_output_contributes(student, rng):
    """rnn_backward: doutputs of every time step is used"""
    doutputs, *rest = problem(rng, T=5)
    doutputs[:, -1] = 0.0  # only the intermediate outputs get a gradient
    args = (doutputs, *rest)
    grads = student_grads(student, args)
    assert_grads(
        grads, ref.bptt_grads(*args), context=" (no gradient on the last output)",
        hint="Every output is used by the loss: at every time step (not only the last one) "
        "the gradient reaching h_t includes that step's own output gradient plus what step t+1 sends back.",
    )


@pytest.mark.points(1)
def test_single_step(student, rng):
    """rnn_backward: T = 1 is a single cell backward"""
    args = problem(rng, N=3, T=1, D=2, H=4)
    grads = student_grads(student, args)
    assert_grads(
        grads, ref.bptt_grads(*args), context=" (T = 1)",
        hint="With one step, rnn_backward is rnn_cell_backward applied to doutputs[:, 0], "
        "x[:, 0] and h0; keep the time axis in dx.",
    )


@pytest.mark.points(2)
def test_truncated(student, rng):
    """rnn_backward: truncate=k matches detaching the state after steps k, 2k, ..."""
    args = problem(rng, T=8)
    grads = student_grads(student, args, truncate=3)
    expected = ref.bptt_grads(*args, truncate=3)
    assert_grads(grads, expected, context=" (truncate=3, T=8)", hint=TRUNCATE_HINT)


@pytest.mark.points(1)
def test_truncate_one(student, rng):
    """rnn_backward: truncate=1 keeps each gradient inside its own step"""
    args = problem(rng, T=4)
    grads = student_grads(student, args, truncate=1)
    expected = ref.bptt_grads(*args, truncate=1)
    assert_grads(grads, expected, context=" (truncate=1)", hint=TRUNCATE_HINT)


@pytest.mark.points(1)
def test_truncate_longer_than_sequence(student, rng):
    """rnn_backward: truncate >= T is full BPTT"""
    args = problem(rng, T=4)
    expected = ref.bptt_grads(*args)
    for k in (4, 10):
        grads = student_grads(student, args, truncate=k)
        assert_grads(
            grads, expected, context=f" (truncate={k}, T=4)",
            hint="A chunk of k >= T steps covers the whole sequence, so truncated BPTT must "
            "give exactly the full-BPTT gradients.",
        )


@pytest.mark.points(1)
def test_invalid_truncate(student, rng):
    """rnn_backward: invalid truncate raises ValueError"""
    args = problem(rng, T=3)
    # a function that raises for every input must not earn this point
    assert_arrays(student.rnn_backward(*args, truncate=2), "rnn_backward", ref.BPTT_GRADS)
    for bad in (0, -2, 1.5):
        assert_raises(
            ValueError, student.rnn_backward, *args, truncate=bad,
            hint=f"truncate={bad!r}: truncate must be None or a positive int.",
        )


@pytest.mark.points(1, visibility="after_due_date")
def test_numerical_gradient_check(student, rng):
    """rnn_backward: passes a numerical gradient check"""
    args = problem(rng, N=2, T=4, D=2, H=3)
    grads = student_grads(student, args)
    for grad, name, expected in zip(grads, ref.BPTT_GRADS, ref.sequence_numerical_grads(*args)):
        assert_close(
            grad, expected, name, rtol=1e-5, atol=1e-7,
            hint="Central differences of sum(doutputs * outputs) disagree with this gradient.",
        )


@pytest.mark.points(1)
def test_inputs_unchanged(student, rng):
    """rnn_backward: does not modify its inputs"""
    args = problem(rng)
    result, after, _ = student.call_with_inputs("rnn_backward", *args, truncate=2)
    assert_arrays(result, "rnn_backward", ref.BPTT_GRADS)
    for before, now, name in zip(args, after, ("doutputs", "x", "h0", "W_xh", "W_hh", "b_h")):
        assert_unchanged(before, now, name)
