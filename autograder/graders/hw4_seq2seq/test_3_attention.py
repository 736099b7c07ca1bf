"""Hidden graders for Attention: valid, masked weights; scores and context against a reference."""

import numpy as np
import pytest
import torch

import hw4_reference as ref
from rnnkit_testing import assert_array, assert_close, assert_tuple

H = 6
LENGTHS = [5, 2, 4]
ATTENTION_HINT = (
    "Score every key against the query additively (v applied to the tanh of the two projections "
    "added), softmax the scores over the time axis with the padded positions left out, and average "
    "the keys with those weights."
)


def attend(student, state, query, keys, mask):
    module = student.make("Attention", H)
    module.load_state(state)
    context, weights = assert_tuple(
        module.call("forward", torch.from_numpy(query), torch.from_numpy(keys), torch.from_numpy(mask)),
        2, "Attention.forward", hint="Return (context, weights).")
    B, T, _ = keys.shape
    assert_array(context, "context", shape=(B, H), hint="context is one (H,) vector per batch row.")
    assert_array(weights, "weights", shape=(B, T), hint="weights has one entry per (batch row, source position).")
    return context, weights


def inputs(rng):
    B, T = len(LENGTHS), max(LENGTHS)
    query = rng.normal(size=(B, H)).astype(np.float32)
    keys = rng.normal(size=(B, T, H)).astype(np.float32)
    mask = ref.mask_of(LENGTHS, T)
    keys[~mask] = rng.normal(size=(int((~mask).sum()), H))  # padding that is not zero, to be sure it is ignored
    return query, keys, mask


@pytest.mark.points(1)
def test_layers(student):
    """Attention: W_query and W_key (H to H, no bias) and v (H to 1, no bias)"""
    state = student.make("Attention", H).state()
    if {name: tuple(np.shape(value)) for name, value in state.items()} != ref.attention_shapes(H):
        raise AssertionError(
            f"the attention's weights are {sorted(state)}; expected nn.Linear(H, H, bias=False) named "
            "W_query and W_key and nn.Linear(H, 1, bias=False) named v."
        )


@pytest.mark.points(3)
def test_weights_are_masked_and_sum_to_one(student, rng):
    """Attention.forward: weights sum to 1 over each row's real positions and are exactly 0 at padding"""
    query, keys, mask = inputs(rng)
    _, weights = attend(student, ref.random_state(rng, ref.attention_shapes(H)), query, keys, mask)
    if np.any(weights[~mask] != 0):
        raise AssertionError(
            "padded positions get attention weight: they must get exactly 0. Set their scores to minus "
            "infinity (masked_fill with the mask) before the softmax."
        )
    sums = weights.sum(axis=1)
    if not np.allclose(sums, 1.0, atol=1e-5):
        if np.allclose(weights.sum(axis=0)[mask.any(axis=0)], 1.0, atol=1e-5):
            raise AssertionError("the weights sum to 1 over the batch, not over the source positions: softmax over the time axis.")
        raise AssertionError("each row of weights should sum to 1 over its real positions (a softmax over the time axis).")
    if np.any(weights < 0):
        raise AssertionError("attention weights are a softmax: never negative.")


@pytest.mark.points(3)
def test_values_match(student, rng):
    """Attention.forward: additive scores, weights and context equal the reference's"""
    query, keys, mask = inputs(rng)
    state = ref.random_state(rng, ref.attention_shapes(H))
    context, weights = attend(student, state, query, keys, mask)
    expected_context, expected_weights = ref.attend(state, query.astype(np.float64), keys.astype(np.float64), mask)
    assert_close(weights, expected_weights, "weights", rtol=1e-4, atol=1e-5, hint=ATTENTION_HINT)
    assert_close(context, expected_context, "context", rtol=1e-4, atol=1e-5,
                 hint="context is the weighted average of the keys: the weights times the keys, summed over time.")


@pytest.mark.points(1)
def test_one_position(student, rng):
    """Attention.forward: a sequence of one real token puts all its weight there"""
    query, keys, _ = inputs(rng)
    mask = ref.mask_of([1, 1, 1], keys.shape[1])
    context, weights = attend(student, ref.random_state(rng, ref.attention_shapes(H)), query, keys, mask)
    if not np.allclose(weights[:, 0], 1.0, atol=1e-6):
        raise AssertionError("with one real position, its weight should be 1 and every padded one 0: apply the mask.")
    assert_close(context, keys[:, 0], "context", rtol=1e-5, atol=1e-6, hint="With one real position, context is that key.")
