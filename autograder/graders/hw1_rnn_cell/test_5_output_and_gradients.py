"""Hidden graders for output_layer and gradient_norms_through_time (vanishing / exploding)."""

import numpy as np
import pytest

from . import hw1_reference as ref
from rnnkit_testing import assert_array, assert_close, assert_raises, assert_unchanged

# ---------------------------------------------------------------- output_layer


@pytest.mark.points(1)
def test_output_shape(student, rng):
    """output_layer: y has shape (N, O) when O != H"""
    h, W_hy, b_y = rng.normal(size=(4, 3)), rng.normal(size=(7, 3)), rng.normal(size=7)
    y = student.output_layer(h, W_hy, b_y)
    assert_array(
        y, "y", shape=(4, 7),
        hint="W_hy is (O, H) in PyTorch's layout (rows are outputs); y needs one row of O outputs per example.",
    )
    assert_close(y, ref.linear(h, W_hy, b_y), "y", hint="An affine map of each row of h, with PyTorch's weight layout, plus the output bias b_y.")


@pytest.mark.points(1)
def test_output_bias(student, rng):
    """output_layer: adds the output bias b_y"""
    h, W_hy, b_y = np.zeros((3, 5)), rng.normal(size=(2, 5)), rng.normal(size=2)
    y = student.output_layer(h, W_hy, b_y)
    assert_close(
        y, ref.linear(h, W_hy, b_y), "y (h = 0)",
        hint="With h = 0 every row of y must equal b_y: add the output bias b_y.",
    )


# ---------------------------------------------------------------- gradient_norms_through_time


def norms_problem(rng, N=2, T=6, D=3, H=4):
    """dh_last (N, H), x (N, T, D), nonzero h0 (N, H) and weights with D != H."""
    x, h0, W_xh, W_hh, b_h = ref.random_problem(rng, N, T, D, H)
    return rng.normal(size=(N, H)), x, h0, W_xh, W_hh, b_h


def student_norms(student, args, T, **kwargs):
    norms = student.gradient_norms_through_time(*args, **kwargs)
    assert_array(
        norms, "norms", shape=(T + 1,),
        hint="Return a 1-D numpy array with one norm for each of h_T, h_{T-1}, ..., h_0.",
    )
    return norms


@pytest.mark.points(1)
def test_norms_order(student, rng):
    """gradient_norms_through_time: T + 1 norms, norms[0] = ||dh_last||"""
    args = norms_problem(rng, T=5)
    norms = student_norms(student, args, T=5)
    assert_close(
        norms[:1], [np.linalg.norm(args[0])], "norms[0]",
        hint="norms[0] is the (Frobenius) norm of dh_last itself, before any step back; "
        "the last entry belongs to h_0.",
    )


@pytest.mark.points(1)
def test_norms_sigmoid(student, rng):
    """gradient_norms_through_time: sigmoid norms match torch autograd"""
    args = norms_problem(rng)
    norms = student_norms(student, args, T=6, activation="sigmoid")
    assert_close(
        norms, ref.state_grad_norms(*args, activation="sigmoid"), "norms (sigmoid)",
        hint="Run the sigmoid forward pass, and at each step back multiply by the activation "
        "derivative sigmoid'(z) = h * (1 - h) before multiplying by W_hh.",
    )


@pytest.mark.points(1)
def test_norms_relu(student, rng):
    """gradient_norms_through_time: relu norms match torch autograd"""
    args = norms_problem(rng)
    norms = student_norms(student, args, T=6, activation="relu")
    assert_close(
        norms, ref.state_grad_norms(*args, activation="relu"), "norms (relu)",
        hint="Run the relu forward pass; the derivative of relu is 1 where h > 0 and 0 elsewhere.",
    )


def slide_problem(rng, w, N=2, T=100, D=3, H=4):
    """relu RNN with W_hh = w * I and positive inputs, weights, bias and h0: every
    pre-activation is positive, so relu' = 1 and each step back multiplies the gradient by w."""
    x = rng.uniform(0.1, 1.0, size=(N, T, D))
    h0 = rng.uniform(0.1, 1.0, size=(N, H))
    W_xh = rng.uniform(0.1, 0.5, size=(H, D))
    b_h = rng.uniform(0.1, 0.5, size=H)
    dh_last = rng.normal(size=(N, H))
    return dh_last, x, h0, W_xh, w * np.eye(H), b_h


@pytest.mark.points(2)
def test_exploding(student, rng):
    """gradient_norms_through_time: relu with W_hh = 1.2·I explodes like 1.2^t (≈ 8.28e7 at t = 100)"""
    args = slide_problem(rng, 1.2)
    norms = student_norms(student, args, T=100, activation="relu")
    hint = ("With relu, positive states and W_hh = 1.2 * I, every step back multiplies the "
            "gradient by exactly 1.2 (exploding gradients).")
    assert_close(norms, ref.state_grad_norms(*args, activation="relu"), "norms (W_hh = 1.2 I)",
                 hint=hint, rtol=1e-6, atol=0.0)
    assert_close(norms[-1:] / norms[0], [1.2 ** 100], "norms[100] / norms[0]", hint=hint,
                 rtol=1e-6, atol=0.0)


@pytest.mark.points(2)
def test_vanishing(student, rng):
    """gradient_norms_through_time: relu with W_hh = 0.8·I vanishes like 0.8^t (≈ 2.04e-10 at t = 100)"""
    args = slide_problem(rng, 0.8)
    norms = student_norms(student, args, T=100, activation="relu")
    hint = ("With relu, positive states and W_hh = 0.8 * I, every step back multiplies the "
            "gradient by exactly 0.8 (vanishing gradients).")
    assert_close(norms, ref.state_grad_norms(*args, activation="relu"), "norms (W_hh = 0.8 I)",
                 hint=hint, rtol=1e-6, atol=0.0)
    assert_close(norms[-1:] / norms[0], [0.8 ** 100], "norms[100] / norms[0]", hint=hint,
                 rtol=1e-6, atol=0.0)


@pytest.mark.points(1)
def test_norms_unknown_activation(student, rng):
    """gradient_norms_through_time: unknown activation raises ValueError"""
    args = norms_problem(rng, T=3)
    student_norms(student, args, T=3, activation="sigmoid")  # a supported activation works
    assert_raises(
        ValueError, student.gradient_norms_through_time, *args, activation="gelu",
        hint="Only tanh, sigmoid and relu are supported: raise ValueError "
        "(call _check_activation).",
    )


@pytest.mark.points(1)
def test_norms_inputs_unchanged(student, rng):
    """gradient_norms_through_time: does not modify its inputs"""
    args = norms_problem(rng)
    norms, after, _ = student.call_with_inputs("gradient_norms_through_time", *args)
    assert_array(
        norms, "norms", shape=(7,), hint="This test needs a working gradient_norms_through_time."
    )
    for before, now, name in zip(args, after, ("dh_last", "x", "h0", "W_xh", "W_hh", "b_h")):
        assert_unchanged(before, now, name)
