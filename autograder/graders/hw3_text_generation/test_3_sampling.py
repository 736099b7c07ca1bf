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
# A distribution test first takes FIRST_DRAWS draws; they settle it (pass) when within SETTLED of
# the expected distribution, stricter than the verdict's 0.12, else it takes all DRAWS as it
# always did. Simulated (multinomial draws, 100,000 runs each): a correct sampler settles early in
# 66-94% of the tests (147 draws on average instead of 300), fails no more often than with DRAWS
# alone (at most 2e-4), and the temperature slips are missed as often as before (the temperature
# ignored at T = 2: 6% instead of 4%; applied twice at T = 2 or 5, too close to tell: 89-99% both).
FIRST_DRAWS, SETTLED = 100, 0.09
# At T = 0.1 a correct sampler draws the argmax 99.98% of the time: 60 argmax draws in a row
# settle the test (a sampler at the verdict's 95% does that 5% of the time, at 90% 0.2%).
LOW_FIRST, LOW_DRAWS = 60, 200
# The first draws of the distribution tests (probs, temperature, first seed, count): the
# zero-probability test looks them up (400 draws at five temperatures; it used to make 600 more).
FIRST_DRAWN = [(PROBS, 1.0, 0, FIRST_DRAWS), (PROBS, 5.0, 0, FIRST_DRAWS), (SHIFTED, 0.5, 1000, FIRST_DRAWS),
               (SHIFTED, 2.0, 1000, FIRST_DRAWS), (PROBS, 0.1, 0, LOW_FIRST)]


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


class Sampler:
    """sample_next's draws for one submission, each (probs, temperature, seed) asked for once:
    every call is a round trip to the sandbox, and tests that read the same draws share them."""

    def __init__(self, student):
        self.student = student
        self._drawn = {}

    def draws(self, probs, temperature, count=DRAWS, first_seed=0):
        return np.array([self._draw(probs, temperature, seed) for seed in range(first_seed, first_seed + count)])

    def _draw(self, probs, temperature, seed):
        key = (probs.tobytes(), temperature, seed)
        if key not in self._drawn:
            self._drawn[key] = draw(self.student, probs, temperature, seed)
        return self._drawn[key]

    def in_stages(self, probs, temperature, settles=None, first=FIRST_DRAWS, total=DRAWS, first_seed=0):
        """The draws a distribution test judges (ref.settled_draws); by default they settle when
        close to probs reweighted by the temperature."""
        settles = settles or ref.close_to(ref.reweighted(probs, temperature), SETTLED)
        return ref.settled_draws(lambda start, stop: self.draws(probs, temperature, stop - start, first_seed + start),
                                 first, total, settles)


@pytest.fixture(scope="module")
def sampler(student):
    return Sampler(student)


def rng_slip(sampler):
    """The argmax or global-rng slip sample_next shows, as a message; None without such evidence."""
    values = sampler.draws(PROBS, 1.0, count=20)
    if len(set(values.tolist())) == 1:
        shifted = sampler.draws(SHIFTED, 1.0, count=10)
        if values[0] == np.argmax(PROBS) and np.all(shifted == np.argmax(SHIFTED)):
            return ref.ARGMAX
    rng = np.random.default_rng(5)
    before = rng.bit_generator.state
    _, args, _ = sampler.student.call_with_inputs("sample_next", PROBS, 1.0, rng)
    after = args[2].bit_generator.state if isinstance(args[2], np.random.Generator) else before
    if after == before:
        return ref.GLOBAL_RNG
    # Drawn again, not looked up: a sampler that does not use the seed answers differently.
    if not np.array_equal(draws(sampler.student, PROBS, 1.0, count=20), values):
        return "the same rng seed gave different draws: " + ref.GLOBAL_RNG
    return None


def check_distribution(sampler, probs, temperature, values, what):
    frequency = ref.frequencies(values, len(probs))
    if ref.total_variation(frequency, ref.reweighted(probs, temperature)) > 0.12:
        slip = rng_slip(sampler) or ref.temperature_slip(
            frequency, probs, temperature)
        raise AssertionError(f"at temperature {temperature:g} {what}. {slip or ''}".strip())


@pytest.mark.points(2)
def test_temperature_one_keeps_the_distribution(sampler):
    """sample_next: at temperature 1 the draws follow probs"""
    values = sampler.in_stages(PROBS, 1.0)
    check_distribution(sampler, PROBS, 1.0, values, "the draws do not follow probs")


@pytest.mark.points(1)
def test_low_temperature_concentrates_on_the_argmax(sampler):
    """sample_next: a low temperature draws the most likely index almost always"""
    values = sampler.in_stages(PROBS, 0.1, lambda first: np.all(first == np.argmax(PROBS)), LOW_FIRST, LOW_DRAWS)
    if np.mean(values == np.argmax(PROBS)) < 0.95:
        check_distribution(sampler, PROBS, 0.1, values, "the most likely index should win almost every draw")
        raise AssertionError("at temperature 0.1 the most likely index should win almost every draw.")


@pytest.mark.points(1)
def test_high_temperature_flattens(sampler):
    """sample_next: a high temperature flattens the distribution"""
    values = sampler.in_stages(PROBS, 5.0)
    check_distribution(sampler, PROBS, 5.0, values, "the draws should be close to uniform over the possible indices")


@pytest.mark.points(1)
def test_middle_temperatures(sampler):
    """sample_next: at temperatures 0.5 and 2 the draws follow p ** (1 / T), renormalized"""
    for temperature in (0.5, 2.0):
        values = sampler.in_stages(SHIFTED, temperature, first_seed=1000)
        check_distribution(sampler, SHIFTED, temperature, values, "the draws do not follow the reweighted probabilities")


@pytest.mark.points(1)
def test_zero_probability_never_drawn(sampler):
    """sample_next: an index of probability 0 is never drawn, at any temperature"""
    for probs, temperature, first_seed, count in FIRST_DRAWN:
        if np.any(probs[sampler.draws(probs, temperature, count, first_seed)] == 0):
            raise AssertionError(
                f"at temperature {temperature:g} an index of probability 0 was drawn: reweighting "
                "keeps a zero at zero."
            )


@pytest.mark.points(2)
def test_uses_the_rng_it_is_given(sampler):
    """sample_next: draws with the rng it is given (the same seed, the same draw; other seeds vary)"""
    uniform = np.full(10, 0.1)
    first = sampler.draws(uniform, 1.0, count=30, first_seed=100)
    slip = rng_slip(sampler)
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
