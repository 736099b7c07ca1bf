"""Hidden graders for Attention: valid, masked weights; scores and context against a reference."""

import numpy as np
import pytest
import torch

from . import hw4_reference as ref
from rnnkit_testing import assert_close, assert_float_tensor, assert_loads_weights, assert_tuple

H = 6
LENGTHS = [5, 2, 4]
ATTENTION_HINT = (
    "Score every key against the query additively (v applied to the tanh of the two projections "
    "added), softmax the scores over the time axis with the padded positions left out, and average "
    "the keys with those weights."
)


LAYERS = "W_query and W_key, nn.Linear(H, H, bias=False), and v, nn.Linear(H, 1, bias=False)"


def weights_problem(weights, mask):
    """What is wrong with attention weights (B, T) for ``mask``, from the evidence; None if they are
    a valid masked softmax over the time axis."""
    if np.isnan(weights).any():
        return ("the weights contain NaN: a softmax over a set of positions that are all masked (a column "
                "of padding) gives NaN. Softmax each row over its time axis.")
    rows_sum_to_one = np.allclose(weights.sum(axis=1), 1.0, atol=1e-5)
    if not rows_sum_to_one and np.allclose(weights.sum(axis=0)[mask.any(axis=0)], 1.0, atol=1e-5):
        return "the weights sum to 1 over the batch, not over the source positions: softmax over the time axis."
    if np.any(weights[~mask] != 0):
        return ("padded positions get attention weight: they must get exactly 0. Give their scores minus "
                "infinity (from the mask) before the softmax.")
    if not rows_sum_to_one:
        return "each row of weights should sum to 1 over its real positions (a softmax over the time axis)."
    if np.any(weights < 0):
        return "attention weights are a softmax: never negative."
    return None


def attend(student, state, query, keys, mask):
    module = assert_loads_weights(student.make("Attention", H), state, "Attention", LAYERS)
    context, weights = assert_tuple(
        module.call("forward", torch.from_numpy(query), torch.from_numpy(keys), torch.from_numpy(mask)),
        2, "Attention.forward", hint="Return (context, weights).")
    B, T, _ = keys.shape
    assert_float_tensor(context, "context", (B, H), hint="context is one (H,) vector per batch row.")
    assert_float_tensor(weights, "weights", (B, T), hint="weights has one entry per (batch row, source position).")
    return context, weights


def inputs(rng):
    B, T = len(LENGTHS), max(LENGTHS)
    query = rng.normal(size=(B, H)).astype(np.float32)
    keys = rng.normal(size=(B, T, H)).astype(np.float32)
    mask = ref.mask_of(LENGTHS, T)
    keys[~mask] = rng.normal(size=(int((~mask).sum()), H))  # padding that is not zero, to be sure it is ignored
    return query, keys, mask


@pytest.mark.points(1)
def test_layers(student, rng):
    """Attention: W_query and W_key (H to H, no bias) and v (H to 1, no bias)"""
    state = ref.random_state(rng, ref.attention_shapes(H))
    module = assert_loads_weights(student.make("Attention", H), state, "Attention", LAYERS)
    x = rng.normal(size=(2, H)).astype(np.float32)
    for name in ("W_query", "W_key", "v"):
        got = module.call(name, torch.from_numpy(x))
        expected = x @ state[f"{name}.weight"].T
        assert_float_tensor(got, f"{name}'s output", expected.shape, hint=f"{name} is a linear layer.")
        if not np.allclose(got, expected, atol=1e-5):
            raise AssertionError(f"{name} is not a plain linear map: create it with bias=False, as the docstring says.")


@pytest.mark.points(3)
def test_weights_are_masked_and_sum_to_one(student, rng):
    """Attention.forward: weights sum to 1 over each row's real positions and are exactly 0 at padding"""
    query, keys, mask = inputs(rng)
    _, weights = attend(student, ref.random_state(rng, ref.attention_shapes(H)), query, keys, mask)
    problem = weights_problem(weights, mask)
    if problem:
        raise AssertionError(problem)


@pytest.mark.points(3)
def test_values_match(student, rng):
    """Attention.forward: additive scores, weights and context equal the reference's"""
    query, keys, mask = inputs(rng)
    state = ref.random_state(rng, ref.attention_shapes(H))
    context, weights = attend(student, state, query, keys, mask)
    query, keys = query.astype(np.float64), keys.astype(np.float64)
    expected_context, expected_weights = ref.attend(state, query, keys, mask)
    problem = weights_problem(weights, mask)
    if problem:
        raise AssertionError(problem)
    if np.allclose(weights, ref.attend(state, query, keys, mask, tanh=False)[1], atol=1e-5):
        raise AssertionError("the weights are those of scores without the tanh: additive attention squashes the "
                             "sum of the two projections with tanh before v scores it.")
    assert_close(weights, expected_weights, "weights", rtol=1e-4, atol=1e-5, hint=ATTENTION_HINT)
    if np.allclose(context, keys.mean(axis=1), atol=1e-5) or np.allclose(
            context, (keys * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True), atol=1e-5):
        raise AssertionError("context is a plain mean of the keys: it must be the weighted average, "
                             "each key times its attention weight, summed over time.")
    assert_close(context, expected_context, "context", rtol=1e-4, atol=1e-5,
                 hint="context is the weighted average of the keys: the weights times the keys, summed over time.")


@pytest.mark.points(1)
def test_one_position(student, rng):
    """Attention.forward: a sequence of one real token puts all its weight there"""
    query, keys, _ = inputs(rng)
    mask = ref.mask_of([1, 1, 1], keys.shape[1])
    context, weights = attend(student, ref.random_state(rng, ref.attention_shapes(H)), query, keys, mask)
    problem = weights_problem(weights, mask)
    if problem:
        raise AssertionError(f"with one real position per row, {problem}")
    assert_close(context, keys[:, 0], "context", rtol=1e-5, atol=1e-6, hint="With one real position, context is that key.")
