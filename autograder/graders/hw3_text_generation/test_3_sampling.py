"""Hidden graders for sample_next: temperature reshapes the distribution, the rng given is used.

Each message comes from the evidence that shows the slip: every draw the argmax whatever the seed
and the probabilities (argmax); the rng left untouched or the same seed drawing differently (the
global np.random); a NaN error at a low temperature (underflow); draws closer to another
reweighting than to p ** (1 / T) (the temperature multiplied, ignored or applied twice)."""

import numpy as np
import pytest

from . import hw3_reference as ref
from rnnkit_testing import StudentCodeError, assert_int

PROBS = np.array([0.05, 0.1, 0.0, 0.5, 0.2, 0.15])
SHIFTED = np.roll(PROBS, 3)  # the same probabilities, the most likely first (a fixed draw does not hit it)
DRAWS = 300


def draw(student, probs, temperature, seed):
    """One index, type-checked; a NaN error from the student's code is explained."""
    try:
        value = student.sample_next(probs, temperature, np.random.default_rng(seed))
    except StudentCodeError as error:
        if "nan" in str(error).lower():
            raise AssertionError(f"at temperature {temperature:g}, {ref.UNDERFLOW}\n\n{error}") from None
        raise
    return assert_int(value, "sample_next's index", low=0, high=len(probs))


def draws(student, probs, temperature, count=DRAWS, first_seed=0):
    """Indices drawn with rngs seeded first_seed, first_seed + 1, ..."""
    return np.array([draw(student, probs, temperature, first_seed + i) for i in range(count)])


def rng_slip(student):
    """The argmax or global-rng slip sample_next shows, as a message; None without such evidence."""
    values = draws(student, PROBS, 1.0, count=20)
    if len(set(values.tolist())) == 1:
        shifted = draws(student, SHIFTED, 1.0, count=10)
        if values[0] == np.argmax(PROBS) and np.all(shifted == np.argmax(SHIFTED)):
            return ref.ARGMAX
    rng = np.random.default_rng(5)
    before = rng.bit_generator.state
    _, args, _ = student.call_with_inputs("sample_next", PROBS, 1.0, rng)
    after = args[2].bit_generator.state if isinstance(args[2], np.random.Generator) else before
    if after == before:
        return ref.GLOBAL_RNG
    if not np.array_equal(draws(student, PROBS, 1.0, count=20), values):
        return "the same rng seed gave different draws: " + ref.GLOBAL_RNG
    return None


def check_distribution(student, probs, temperature, values, what):
    frequency = ref.frequencies(values, len(probs))
    if ref.total_variation(frequency, ref.reweighted(probs, temperature)) > 0.12:
        slip = rng_slip(student) or ref.temperature_slip(
            frequency, probs, temperature)
        raise AssertionError(f"at temperature {temperature:g} {what}. {slip or ''}".strip())


@pytest.mark.points(2)
def test_temperature_one_keeps_the_distribution(student):
    """sample_next: at temperature 1 the draws follow probs"""
    values = draws(student, PROBS, 1.0)
    check_distribution(student, PROBS, 1.0, values, "the draws do not follow probs")


@pytest.mark.points(1)
def test_low_temperature_concentrates_on_the_argmax(student):
    """sample_next: a low temperature draws the most likely index almost always"""
    values = draws(student, PROBS, 0.1, count=200)
    if np.mean(values == np.argmax(PROBS)) < 0.95:
        check_distribution(student, PROBS, 0.1, values, "the most likely index should win almost every draw")
        raise AssertionError("at temperature 0.1 the most likely index should win almost every draw.")


@pytest.mark.points(1)
def test_high_temperature_flattens(student):
    """sample_next: a high temperature flattens the distribution"""
    values = draws(student, PROBS, 5.0)
    check_distribution(student, PROBS, 5.0, values, "the draws should be close to uniform over the possible indices")


@pytest.mark.points(1)
def test_middle_temperatures(student):
    """sample_next: at temperatures 0.5 and 2 the draws follow p ** (1 / T), renormalized"""
    for temperature in (0.5, 2.0):
        values = draws(student, SHIFTED, temperature, first_seed=1000)
        check_distribution(student, SHIFTED, temperature, values, "the draws do not follow the reweighted probabilities")


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
    slip = rng_slip(student)
    if slip:
        raise AssertionError(slip)
    if len(set(first.tolist())) < 3:
        raise AssertionError("draws with different seeds hardly vary: draw at random with the rng argument.")


@pytest.mark.points(1)
def test_leaves_probs_alone(student):
    """sample_next: leaves probs as it was"""
    probs = SHIFTED.copy()
    value, args, _ = student.call_with_inputs("sample_next", probs, 0.5, np.random.default_rng(1))
    assert_int(value, "sample_next's index", low=0, high=len(probs))
    after = args[0]
    if not (isinstance(after, np.ndarray) and after.shape == probs.shape and np.array_equal(after, probs)):
        raise AssertionError("sample_next modified its input probs in place: compute new weights in a new array.")
