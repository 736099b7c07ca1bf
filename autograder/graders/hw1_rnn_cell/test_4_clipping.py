"""Hidden graders for clip_grad_norm (global-norm gradient clipping)."""

import numpy as np
import pytest

from . import hw1_reference as ref
from rnnkit_testing import assert_array, assert_close, assert_tuple, assert_unchanged

GLOBAL_HINT = (
    "Use one global norm sqrt(sum of squares of every entry of every gradient) and scale all "
    "gradients by the same factor max_norm / global_norm."
)


def rnn_grads(rng, D=3, H=4, scale=1.0):
    """Gradients shaped like dW_xh (H, D), dW_hh (H, H) and db_h (H,)."""
    return [rng.normal(scale=scale, size=shape) for shape in ((H, D), (H, H), (H,))]


def global_norm(arrays):
    return float(np.sqrt(sum(np.sum(np.square(a)) for a in arrays)))


def clipped_list(result, grads):
    """The result is a list of arrays shaped like `grads`."""
    result = assert_tuple(
        result, len(grads), "clip_grad_norm", hint="Return a list with one array per gradient."
    )
    for i, (c, g) in enumerate(zip(result, grads)):
        assert_array(c, f"clipped[{i}]", shape=g.shape, hint="Keep the shape of each gradient.")
    return result


@pytest.mark.points(1)
def test_returns_list_of_same_shapes(student, rng):
    """clip_grad_norm: returns one array per gradient, same shapes"""
    grads = rnn_grads(rng, D=2, H=5, scale=3.0)
    clipped_list(student.clip_grad_norm(grads, 1.0), grads)


@pytest.mark.points(1)
def test_clipped_norm_is_max_norm(student, rng):
    """clip_grad_norm: gradients above max_norm come back with global norm max_norm"""
    grads = rnn_grads(rng, scale=2.0)
    max_norm = 0.25 * global_norm(grads)
    clipped = clipped_list(student.clip_grad_norm(grads, max_norm), grads)
    if not np.isclose(global_norm(clipped), max_norm, rtol=1e-6):
        raise AssertionError(
            "the global norm of the clipped gradients is not max_norm. " + GLOBAL_HINT
        )
    for i, (c, expected) in enumerate(zip(clipped, ref.clip(grads, max_norm))):
        assert_close(c, expected, f"clipped[{i}]", rtol=1e-5, hint=GLOBAL_HINT)


@pytest.mark.points(1)
def test_one_scale_for_all(student, rng):
    """clip_grad_norm: one scale factor for all gradients (global norm, not per tensor)"""
    grads = rnn_grads(rng)
    grads[0] *= 10.0  # one large gradient, the others well below max_norm on their own
    max_norm = 0.5 * global_norm(grads)
    clipped = clipped_list(student.clip_grad_norm(grads, max_norm), grads)
    ratios = [c / g for c, g in zip(clipped, grads)]
    if not all(np.allclose(r, ratios[0][0, 0], rtol=1e-6) for r in ratios):
        raise AssertionError(
            "the gradients were not all scaled by the same factor: clipping each tensor by its "
            "own norm changes the direction of the update. " + GLOBAL_HINT
        )
    for i, (c, expected) in enumerate(zip(clipped, ref.clip(grads, max_norm))):
        assert_close(c, expected, f"clipped[{i}]", rtol=1e-5, hint=GLOBAL_HINT)


@pytest.mark.points(1)
def test_small_gradients_unchanged(student, rng):
    """clip_grad_norm: gradients already within max_norm are returned unchanged"""
    grads = rnn_grads(rng, scale=0.1)
    max_norm = 2.0 * global_norm(grads)
    clipped = clipped_list(student.clip_grad_norm(grads, max_norm), grads)
    for i, (c, g) in enumerate(zip(clipped, grads)):
        assert_close(
            c, g, f"clipped[{i}] (norm already below max_norm)", rtol=1e-12, atol=0.0,
            hint="When the global norm is already at most max_norm, return copies of the "
            "gradients as they are; do not scale them up to max_norm.",
        )


@pytest.mark.points(1)
def test_inputs_unchanged(student, rng):
    """clip_grad_norm: does not modify the input gradients"""
    grads = rnn_grads(rng, scale=2.0)
    max_norm = 0.3 * global_norm(grads)
    result, (grads_after, _), _ = student.call_with_inputs("clip_grad_norm", grads, max_norm)
    clipped_list(result, grads)
    if not isinstance(grads_after, list) or len(grads_after) != len(grads):
        raise AssertionError(
            "your function modified its input `grads` in place (the list itself changed); "
            "build and return a new list."
        )
    for i, (before, now) in enumerate(zip(grads, grads_after)):
        assert_unchanged(before, now, f"grads[{i}]")
