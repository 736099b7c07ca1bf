"""Hidden graders for concat_to_split: the slides' W . [h_{t-1}, x_t] + b as the split gate form.

The split weights are used in split_gate here, not with the student's gate functions, so these
tests depend on concat_to_split alone; the gate they must give is torch's (hw2_reference.concat_gate).
"""

import numpy as np
import pytest

from . import hw2_reference as ref
from rnnkit_testing import assert_array, assert_arrays, assert_close, assert_unchanged

SPLIT_NAMES = ("W_x", "b_x", "W_h", "b_h")
ORDER_HINT = (
    "The slides stack the vector as [h_{t-1}, x_t], h first: the first H columns of W act on "
    "h_{t-1} (they are W_h) and the last D columns on x_t (they are W_x)."
)
BIAS_HINT = (
    "The concatenated form has one bias b, while the split form adds b_x and b_h: give b to b_x and "
    "make b_h zeros, so that b is added exactly once."
)


def concat_problem(rng, N=3, D=2, H=4):
    """x (N, D), h_prev (N, H), a concatenated W (H, H + D) and its bias b (H,)."""
    W = rng.normal(scale=0.8, size=(H, H + D))
    return rng.normal(size=(N, D)), rng.normal(size=(N, H)), W, rng.normal(scale=0.5, size=H)


def split_gate(x, h_prev, W_x, b_x, W_h, b_h, activation="sigmoid"):
    """The split form's gate with the student's split weights. In numpy: they are this submission's
    own data, which the torch results stored ahead cannot hold (sigmoid(z) = (1 + tanh(z / 2)) / 2
    does not overflow)."""
    z = x @ W_x.T + b_x + h_prev @ W_h.T + b_h
    return np.tanh(z) if activation == "tanh" else 0.5 * (1.0 + np.tanh(z / 2))


def student_split(student, W, b, D):
    H = W.shape[0]
    parts = assert_arrays(student.concat_to_split(W, b, D), "concat_to_split", SPLIT_NAMES)
    for part, name, shape in zip(parts, SPLIT_NAMES, ((H, D), (H,), (H, H), (H,))):
        assert_array(part, name, shape=shape, hint="W_x is (H, D), W_h is (H, H); b_x and b_h are (H,).")
    return parts


def split_hint(split, W, b, D):
    """Name the mistake: the columns cut as [x, h], or the bias not added exactly once."""
    W_x, b_x, W_h, b_h = split
    if np.allclose(W_x, W[:, :D]) or np.allclose(W_h, W[:, D:]):
        return f"Your split treats the columns as [x_t, h_{{t-1}}]. {ORDER_HINT}"
    if not np.allclose(b_x + b_h, b):
        return BIAS_HINT
    return ORDER_HINT


@pytest.mark.points(1)
def test_shapes(student, rng):
    """concat_to_split: returns W_x (H, D), b_x (H,), W_h (H, H), b_h (H,) when D != H"""
    _, _, W, b = concat_problem(rng, D=3, H=5)
    student_split(student, W, b, 3)


@pytest.mark.points(2)
def test_gate_matches_concat_form(student, rng):
    """concat_to_split: the split gate equals sigmoid(W . [h_{t-1}, x_t] + b) computed by torch"""
    x, h_prev, W, b = concat_problem(rng, N=3, D=2, H=4)
    split = W_x, b_x, W_h, b_h = student_split(student, W, b, 2)
    for activation in ("sigmoid", "tanh"):
        assert_close(
            split_gate(x, h_prev, W_x, b_x, W_h, b_h, activation), ref.concat_gate(x, h_prev, W, b, activation),
            f"the gate computed from your split weights ({activation})",
            hint=split_hint(split, W, b, 2),
        )


@pytest.mark.points(1)
def test_column_order(student, rng):
    """concat_to_split: the first H columns act on h_{t-1}, the last D on x_t"""
    x, h_prev, W, _ = concat_problem(rng, N=2, D=3, H=2)
    b = np.zeros(2)  # no bias here: only the columns matter
    split = W_x, b_x, W_h, b_h = student_split(student, W, b, 3)
    hint = split_hint(split, W, b, 3)
    zeros_x, zeros_h = np.zeros_like(x), np.zeros_like(h_prev)
    assert_close(
        split_gate(zeros_x, h_prev, W_x, b_x, W_h, b_h, "sigmoid"), ref.concat_gate(zeros_x, h_prev, W, b),
        "the gate from your split weights with x = 0 (only h_{t-1} left)", hint=hint,
    )
    assert_close(
        split_gate(x, zeros_h, W_x, b_x, W_h, b_h, "sigmoid"), ref.concat_gate(x, zeros_h, W, b),
        "the gate from your split weights with h_prev = 0 (only x_t left)", hint=hint,
    )


@pytest.mark.points(1)
def test_bias_once(student, rng):
    """concat_to_split: the single bias b becomes b_x = b and b_h = 0"""
    x, h_prev, W, b = concat_problem(rng, D=2, H=3)
    W_x, b_x, W_h, b_h = student_split(student, W, b, 2)
    assert_close(
        split_gate(np.zeros_like(x), np.zeros_like(h_prev), W_x, b_x, W_h, b_h, "sigmoid"),
        ref.concat_gate(np.zeros_like(x), np.zeros_like(h_prev), W, b),
        "the gate from your split weights with x = 0 and h_prev = 0", hint=BIAS_HINT,
    )
    hint = "The gate works either way, but concat_to_split's docstring asks for b_x = b (a copy) and b_h = zeros."
    assert_close(b_x, b, "b_x", hint=hint, rtol=0, atol=0)
    assert_close(b_h, np.zeros_like(b), "b_h", hint=hint, rtol=0, atol=0)


@pytest.mark.points(1)
def test_inputs_unchanged(student, rng):
    """concat_to_split: does not modify its inputs"""
    _, _, W, b = concat_problem(rng, D=3, H=4)
    result, (W_after, b_after, _), _ = student.call_with_inputs("concat_to_split", W, b, 3)
    assert_arrays(result, "concat_to_split", SPLIT_NAMES)
    assert_unchanged(W, W_after, "W")
    assert_unchanged(b, b_after, "b")
