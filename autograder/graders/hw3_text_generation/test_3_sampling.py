"""Hidden graders for sample_next: temperature reshapes the distribution, the rng given is used."""

import numpy as np
import pytest

import hw3_reference as ref

PROBS = np.array([0.05, 0.1, 0.0, 0.5, 0.2, 0.15])
DRAWS = 300
TEMPERATURE_HINT = (
    "Reweight each probability as p ** (1 / temperature) (divide by the temperature, do not "
    "multiply), renormalize, then draw."
)


def draws(student, probs, temperature, count=DRAWS, first_seed=0):
    """Indices drawn with rngs seeded first_seed, first_seed + 1, ..."""
    values = [student.sample_next(probs, temperature, np.random.default_rng(first_seed + i)) for i in range(count)]
    for value in values[:1]:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise AssertionError(f"sample_next should return an int index, got {type(value).__name__}.")
    return np.array(values)


def frequencies(values, size):
    return np.bincount(values, minlength=size)[:size] / len(values)


def total_variation(p, q):
    return 0.5 * np.abs(np.asarray(p) - np.asarray(q)).sum()


@pytest.mark.points(2)
def test_temperature_one_keeps_the_distribution(student):
    """sample_next: at temperature 1 the draws follow probs"""
    values = draws(student, PROBS, 1.0)
    if values.min() < 0 or values.max() >= len(PROBS):
        raise AssertionError("sample_next returned an index outside [0, V).")
    if len(set(values.tolist())) == 1:
        raise AssertionError(
            "every draw gave the same index: draw at random from the reweighted distribution (with "
            "the rng you are given), rather than taking its argmax."
        )
    if total_variation(frequencies(values, len(PROBS)), PROBS) > 0.12:
        raise AssertionError(f"at temperature 1 the draws do not follow probs. {TEMPERATURE_HINT}")


@pytest.mark.points(1)
def test_low_temperature_concentrates_on_the_argmax(student):
    """sample_next: a low temperature draws the most likely index almost always"""
    values = draws(student, PROBS, 0.1, count=200)
    if np.mean(values == np.argmax(PROBS)) < 0.95:
        raise AssertionError(f"at temperature 0.1 the most likely index should win almost every draw. {TEMPERATURE_HINT}")


@pytest.mark.points(1)
def test_high_temperature_flattens(student):
    """sample_next: a high temperature flattens the distribution"""
    values = draws(student, PROBS, 5.0)
    expected = ref.reweighted(PROBS, 5.0)
    if total_variation(frequencies(values, len(PROBS)), expected) > 0.12:
        raise AssertionError(f"at temperature 5 the draws should be close to uniform over the possible indices. {TEMPERATURE_HINT}")


@pytest.mark.points(1)
def test_zero_probability_never_drawn(student):
    """sample_next: an index of probability 0 is never drawn, at any temperature"""
    for temperature in (0.5, 1.0, 3.0):
        if np.any(draws(student, PROBS, temperature, count=200) == 2):
            raise AssertionError(
                f"at temperature {temperature:g} an index of probability 0 was drawn: reweighting "
                "keeps a zero at zero."
            )


@pytest.mark.points(2)
def test_uses_the_rng_it_is_given(student):
    """sample_next: draws with the rng it is given (the same seed, the same draw; other seeds vary)"""
    uniform = np.full(10, 0.1)
    first = draws(student, uniform, 1.0, count=30, first_seed=100)
    again = draws(student, uniform, 1.0, count=30, first_seed=100)
    if len(set(first.tolist())) < 3:
        raise AssertionError(
            "draws with different seeds hardly vary: use the rng argument (rng.choice, rng.random or "
            "rng.multinomial), not the global np.random, so a run can be repeated."
        )
    if not np.array_equal(first, again):
        raise AssertionError("the same seed gave different draws: draw with the rng argument only.")
