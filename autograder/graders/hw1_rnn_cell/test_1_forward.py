"""Hidden graders for the forward passes: rnn_cell_forward and rnn_forward."""

import numpy as np
import pytest

from . import hw1_reference as ref
from rnnkit_testing import (
    ValueMismatch, assert_array, assert_arrays, assert_close, assert_raises, assert_unchanged,
)


def cell_problem(rng, N=3, D=4, H=5):
    """x (N, D), nonzero h_prev (N, H) and weights with D != H."""
    x, h_prev = rng.normal(size=(N, D)), rng.normal(size=(N, H))
    return (x, h_prev, *ref.random_params(rng, D, H))


# ---------------------------------------------------------------- rnn_cell_forward


def check_cell(h_next, args, name, hint, activation="tanh"):
    """h_next equals the reference cell's; a result that is another activation of the right
    pre-activation is named as such, whatever else the test is about."""
    # Every activation's result, whatever h_next is: the torch results stored for grading are
    # recorded on the reference solution, and must hold what a wrong cell is compared with too.
    results = {other: ref.cell_forward(*args, activation=other) for other in ("tanh", "sigmoid", "relu")}
    expected = results[activation]
    assert_array(h_next, name, shape=expected.shape)
    if not np.allclose(h_next, expected, rtol=1e-6, atol=1e-8):
        for other, result in results.items():
            if other != activation and np.allclose(h_next, result):
                raise ValueMismatch(
                    f"{name}: your cell applies {other} where activation={activation!r} was asked "
                    "(tanh is the default): apply the activation the argument names."
                )
    assert_close(h_next, expected, name, hint=hint)


@pytest.mark.points(1)
def test_cell_shape(student, rng):
    """rnn_cell_forward: h_next has shape (N, H) when D != H"""
    args = cell_problem(rng, N=3, D=4, H=5)
    h_next = student.rnn_cell_forward(*args)
    assert_array(
        h_next, "h_next", shape=(3, 5),
        hint="x (N, D) times W_xh.T (D, H) gives (N, H): check which weight multiplies x "
        "and that it is transposed.",
    )


@pytest.mark.points(1)
def test_cell_recurrent_term(student, rng):
    """rnn_cell_forward: the recurrent term, through W_hh"""
    _, h_prev, W_xh, W_hh, _ = cell_problem(rng)
    x, b_h = np.zeros((3, 4)), np.zeros(5)  # only the recurrent term is left
    h_next = student.rnn_cell_forward(x, h_prev, W_xh, W_hh, b_h)
    check_cell(
        h_next, (x, h_prev, W_xh, W_hh, b_h), "h_next (x = 0, b_h = 0)",
        hint="With x and b_h zero only the recurrent term is left. W_hh is not symmetric here, so "
        "check how the module docstring turns the slide's U h_{t-1} into batch-of-rows form (transpose).",
    )


@pytest.mark.points(1)
def test_cell_input_term(student, rng):
    """rnn_cell_forward: the input term, through W_xh (square W_xh)"""
    x, h_prev, W_xh, W_hh, _ = cell_problem(rng, D=5, H=5)
    h_prev, b_h = np.zeros_like(h_prev), np.zeros(5)  # only the input term is left
    h_next = student.rnn_cell_forward(x, h_prev, W_xh, W_hh, b_h)
    check_cell(
        h_next, (x, h_prev, W_xh, W_hh, b_h), "h_next (h_prev = 0, b_h = 0)",
        hint="With h_prev and b_h zero only the input term is left. W_xh is square here, so a "
        "missing transpose does not fail on shapes but gives wrong values: check the row-vector form of W x_t.",
    )


@pytest.mark.points(1)
def test_cell_bias(student, rng):
    """rnn_cell_forward: adds the bias b_h"""
    _, _, W_xh, W_hh, b_h = cell_problem(rng)
    x, h_prev = np.zeros((3, 4)), np.zeros((3, 5))  # only the bias is left
    h_next = student.rnn_cell_forward(x, h_prev, W_xh, W_hh, b_h)
    check_cell(
        h_next, (x, h_prev, W_xh, W_hh, b_h), "h_next (x = 0, h_prev = 0)",
        hint="With x and h_prev zero, h_next = tanh(b_h) in every row: add the bias b_h "
        "(broadcast over the batch).",
    )


@pytest.mark.points(1)
def test_cell_sigmoid(student, rng):
    """rnn_cell_forward: sigmoid activation (the lecture's σ)"""
    args = cell_problem(rng)
    h_next = student.rnn_cell_forward(*args, activation="sigmoid")
    check_cell(
        h_next, args, "h_next (sigmoid)", activation="sigmoid",
        hint="sigmoid(z) = 1 / (1 + exp(-z)), applied to z = x W_xh^T + h_prev W_hh^T + b_h.",
    )


@pytest.mark.points(1)
def test_cell_relu(student, rng):
    """rnn_cell_forward: relu activation matches torch.nn.RNNCell(nonlinearity='relu')"""
    args = cell_problem(rng)
    h_next = student.rnn_cell_forward(*args, activation="relu")
    check_cell(
        h_next, args, "h_next (relu)", activation="relu",
        hint="relu(z) = max(z, 0): negative pre-activations become 0, positive ones stay.",
    )


@pytest.mark.points(1)
def test_cell_unknown_activation(student, rng):
    """rnn_cell_forward: unknown activation raises ValueError"""
    args = cell_problem(rng)
    # a function that raises for every input must not earn this point
    assert_array(student.rnn_cell_forward(*args, activation="relu"), "h_next (relu)", shape=(3, 5),
                 hint="This test needs rnn_cell_forward to work for the supported activations.")
    for name in ("softmax", "Tanh"):
        assert_raises(
            ValueError, student.rnn_cell_forward, *args, activation=name,
            hint=f"activation={name!r} is not supported: raise ValueError "
            "(call _check_activation).",
        )


@pytest.mark.points(1)
def test_cell_inputs_unchanged(student, rng):
    """rnn_cell_forward: does not modify its inputs"""
    args = cell_problem(rng)
    h_next, after, _ = student.call_with_inputs("rnn_cell_forward", *args)
    assert_array(h_next, "h_next", shape=(3, 5), hint="This test needs a working rnn_cell_forward.")
    for before, now, name in zip(args, after, ("x", "h_prev", "W_xh", "W_hh", "b_h")):
        assert_unchanged(before, now, name)


# ---------------------------------------------------------------- rnn_forward


def unpack_forward(result):
    return assert_arrays(result, "rnn_forward", ("outputs", "h_last"))


@pytest.mark.points(1)
def test_rnn_shapes(student, rng):
    """rnn_forward: outputs is (N, T, H) and h_last is (N, H)"""
    N, T, D, H = 2, 6, 3, 4
    outputs, h_last = unpack_forward(student.rnn_forward(*ref.random_problem(rng, N, T, D, H)))
    assert_array(
        outputs, "outputs", shape=(N, T, H),
        hint="Keep the hidden state of every step, with time on axis 1 (batch_first).",
    )
    assert_array(h_last, "h_last", shape=(N, H), hint="h_last is one hidden state per example.")


@pytest.mark.points(2)
def test_rnn_tanh(student, rng):
    """rnn_forward: tanh sequence from a nonzero h0 matches torch.nn.RNN"""
    args = ref.random_problem(rng, N=3, T=7, D=2, H=5)
    outputs, _ = unpack_forward(student.rnn_forward(*args))
    assert_close(
        outputs, ref.sequence_forward(*args)[0], "outputs",
        hint="Start from h0 (not zeros), and give each step the state computed by the step "
        "before it, with x[:, t] as input.",
    )


@pytest.mark.points(1)
def test_rnn_h_last(student, rng):
    """rnn_forward: h_last is the state after the last step"""
    args = ref.random_problem(rng, N=2, T=5, D=3, H=4)
    outputs, h_last = unpack_forward(student.rnn_forward(*args))
    assert_close(
        h_last, ref.sequence_forward(*args)[1], "h_last",
        hint="h_last is the hidden state after the final time step, the same state as the last "
        "entry of outputs along the time axis (like h_n of torch.nn.RNN).",
    )


@pytest.mark.points(1)
def test_rnn_relu(student, rng):
    """rnn_forward: relu sequence matches torch.nn.RNN(nonlinearity='relu')"""
    args = ref.random_problem(rng, N=2, T=6, D=3, H=4)
    outputs, h_last = unpack_forward(student.rnn_forward(*args, activation="relu"))
    expected_outputs, expected_last = ref.sequence_forward(*args, activation="relu")
    hint = "Pass activation on to every step; relu(z) = max(z, 0)."
    assert_close(outputs, expected_outputs, "outputs (relu)", hint=hint)
    assert_close(h_last, expected_last, "h_last (relu)", hint=hint)


@pytest.mark.points(1)
def test_rnn_sigmoid(student, rng):
    """rnn_forward: sigmoid sequence"""
    args = ref.random_problem(rng, N=2, T=6, D=3, H=4)
    outputs, _ = unpack_forward(student.rnn_forward(*args, activation="sigmoid"))
    assert_close(
        outputs, ref.sequence_forward(*args, activation="sigmoid")[0], "outputs (sigmoid)",
        hint="Pass activation on to every step; sigmoid(z) = 1 / (1 + exp(-z)).",
    )


@pytest.mark.points(1)
def test_rnn_single_step_single_example(student, rng):
    """rnn_forward: T = 1 and N = 1 give one cell step"""
    args = ref.random_problem(rng, N=1, T=1, D=3, H=2)
    outputs, h_last = unpack_forward(student.rnn_forward(*args))
    expected_outputs, expected_last = ref.sequence_forward(*args)
    hint = "With one step and one example, outputs is (1, 1, H) and h_last is (1, H); " \
        "avoid squeezing axes away."
    assert_close(outputs, expected_outputs, "outputs (T = 1, N = 1)", hint=hint)
    assert_close(h_last, expected_last, "h_last (T = 1, N = 1)", hint=hint)


@pytest.mark.points(1)
def test_rnn_inputs_unchanged(student, rng):
    """rnn_forward: does not modify its inputs"""
    args = ref.random_problem(rng, N=2, T=4, D=3, H=4)
    result, after, _ = student.call_with_inputs("rnn_forward", *args)
    outputs, _ = unpack_forward(result)
    assert_array(outputs, "outputs", shape=(2, 4, 4), hint="This test needs a working rnn_forward.")
    for before, now, name in zip(args, after, ("x", "h0", "W_xh", "W_hh", "b_h")):
        assert_unchanged(before, now, name)
