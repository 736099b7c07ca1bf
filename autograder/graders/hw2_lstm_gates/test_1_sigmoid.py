"""Hidden graders for sigmoid: values, shapes, and numerical stability."""

import numpy as np
import pytest

from . import hw2_reference as ref
from rnnkit_testing import assert_array, assert_close, assert_unchanged

STABLE_HINT = (
    "exp(-z) overflows for large negative z. Only exponentiate numbers <= 0: use 1 / (1 + exp(-z)) "
    "where z >= 0 and exp(z) / (1 + exp(z)) where z < 0."
)


@pytest.mark.points(1)
def test_values(student, rng):
    """sigmoid: matches torch.sigmoid on ordinary inputs"""
    z = rng.normal(scale=3.0, size=(4, 6))
    assert_close(student.sigmoid(z), ref.sigmoid(z), "sigmoid(z)", hint="sigmoid(z) = 1 / (1 + exp(-z)).")


@pytest.mark.points(1)
def test_keeps_shape(student, rng):
    """sigmoid: works elementwise on 1-D and 3-D arrays"""
    for shape in [(7,), (2, 3, 4)]:
        z = rng.normal(size=shape)
        s = student.sigmoid(z)
        assert_array(s, f"sigmoid of a {shape} array", shape=shape, hint="Apply the function to every entry.")
        assert_close(s, ref.sigmoid(z), f"sigmoid of a {shape} array")


@pytest.mark.points(1)
def test_extremes(student):
    """sigmoid: exact limits 0 and 1 at z = -1000 and 1000, 0.5 at 0"""
    z = np.array([-1000.0, -745.0, -50.0, 0.0, 50.0, 745.0, 1000.0])
    s = student.sigmoid(z)
    assert_close(s, ref.sigmoid(z), "sigmoid at extreme z", hint=STABLE_HINT)


@pytest.mark.points(2)
def test_no_overflow_warning(student):
    """sigmoid: no overflow warning for |z| up to 1000"""
    z = np.linspace(-1000.0, 1000.0, 41).reshape(1, 41)
    s, warnings = student.call_with_warnings("sigmoid", z)
    assert_close(s, ref.sigmoid(z), "sigmoid(z)", hint=STABLE_HINT)
    if warnings:
        raise AssertionError(f"sigmoid is not numerically stable: it raised {warnings[0]}. {STABLE_HINT}")


@pytest.mark.points(1)
def test_input_unchanged(student, rng):
    """sigmoid: leaves z unchanged"""
    z = rng.normal(size=(3, 4))
    s, (z_after,), _ = student.call_with_inputs("sigmoid", z)
    assert_array(s, "sigmoid(z)", shape=z.shape, hint="This test needs a working sigmoid.")
    assert_unchanged(z, z_after, "z")
