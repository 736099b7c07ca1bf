"""Hidden graders for generate: length, vocabulary, feeding back its own output, the temperature
(applied once, by sample_next), the rng and the defaults.

The model is the student's CharLSTM holding the grader's weights, so every expected distribution
is computed here from those weights. Messages come from evidence: the seed at the front of the
text, a window rule the text follows instead of the sliding one, a first character that varies
with the seed at a temperature near 0, a distribution closer to a slip's than to the contract's,
a NaN error."""

import re

import numpy as np
import pytest

from . import hw3_reference as ref
from rnnkit_testing import StudentCodeError, assert_str

SEED = "the cat sat on"
SEED_TOO = "generate returns the seed too: return only the `length` new characters, the seed not included."
WINDOW_SLIPS = {
    "grow": "the window keeps growing: keep only the last maxlen characters written so far (seed included) "
            "before each prediction.",
    "fixed": "every step reads the seed's window again: append each new character to the window, so that the "
             "model reads its own predictions.",
}
# The distribution tests read FIRST_CHARS first characters, and more only when those are not
# already within SETTLED of the expected distribution (the verdict allows 0.15), as in
# test_3_sampling. Simulated (100,000 runs each): a correct generate settles early in 64% of the
# runs at T = 1, 99% at T = 0.5, 20% at T = 2 (nearly flat), fails as often as with all the draws,
# and each slip is missed as often as before.
FIRST_CHARS, SETTLED = 80, 0.12
# The length of the texts compared for the rng's effect: at temperature 1 (these models' first
# character: sum of p ** 2 = 0.12-0.13) two texts of 15 characters drawn independently coincide
# with a chance near 1e-13, as good as 30 characters for half the model calls.
COMPARED = 15
TEMPERATURE_NOT_APPLIED = (
    "at a temperature near 0 the first character still varies with the rng seed: pass temperature on to "
    "sample_next, which reweights the probabilities."
)


def model_and_vocab(student, rng, H=12, scale=1.5):
    chars, char_to_idx = ref.vocab(ref.TINY_CORPUS)
    state = ref.random_state(rng, len(chars), H, scale=scale)
    model = student.make("CharLSTM", len(chars), hidden_size=H)
    model.load_state(state)  # CharLSTM's own tests say why a model cannot take the weights
    return model, state, chars, char_to_idx


def check_text(value, length, chars, seed_text=SEED):
    """generate's result is a string of ``length`` characters of the vocabulary."""
    text = assert_str(value, "generate's result")
    if len(text) != length:
        if len(text) > length and seed_text.endswith(text[:len(text) - length]):
            raise AssertionError(SEED_TOO)
        raise AssertionError(f"generate(length={length}) returned {len(text)} characters.")
    if not set(text) <= set(chars):
        raise AssertionError("generate wrote characters that are not in the vocabulary (chars).")
    return text


def call_generate(student, *args, **kwargs):
    try:
        return student.generate(*args, **kwargs)
    except StudentCodeError as error:
        if re.search(r"\bnan\b|\binf\b|infinit", str(error).lower()):
            raise AssertionError(
                f"generate failed at temperature {kwargs.get('temperature', 1.0):g}: {ref.UNDERFLOW}\n\n{error}"
            ) from None
        raise


def written(student, model, chars, char_to_idx, length, temperature, seed, maxlen=40, text=SEED):
    value = call_generate(student, model, text, length, char_to_idx, chars, temperature=temperature,
                          rng=np.random.default_rng(seed), maxlen=maxlen)
    return check_text(value, length, chars, text)


def first_char_frequency(student, model, chars, char_to_idx, temperature, expected, count, first_seed=0):
    """How often each character comes first, written with rngs seeded first_seed, first_seed + 1,
    ...: FIRST_CHARS of them when they settle the test, else ``count`` (ref.settled_draws)."""
    def firsts(start, stop):
        return [char_to_idx[written(student, model, chars, char_to_idx, 1, temperature, seed=first_seed + i)]
                for i in range(start, stop)]

    indices = ref.settled_draws(firsts, FIRST_CHARS, count, ref.close_to(expected, SETTLED))
    return ref.frequencies(indices, len(chars))


def temperature_not_applied(student, model, state, chars, char_to_idx):
    """Evidence that a temperature near 0 does not reach the draws: the first character varies with
    the rng seed although the model's most likely character is far ahead."""
    probs = ref.next_char_probs(state, SEED, char_to_idx)
    if np.sort(probs)[-2] > 0.9 * probs.max():  # a near tie: no evidence either way
        return False
    firsts = {written(student, model, chars, char_to_idx, 1, 0.01, seed=s) for s in range(8)}
    return len(firsts) > 1


def distribution_slip(frequency, probs, temperature):
    """What a first-character ``frequency`` at ``temperature`` looks like when it is closer to a
    slip's distribution than to the contract's reweighted softmax: a message, or None."""
    twice = np.exp(probs - probs.max())
    hypotheses = {
        None: ref.reweighted(probs, temperature),
        "the probabilities went through softmax twice: turn the logits into probabilities with one "
        "softmax, then draw with sample_next.": ref.reweighted(twice / twice.sum(), temperature),
        "the temperature does not reach the draws: pass it on to sample_next.": probs,
        "the temperature is applied twice: sample_next reweights the probabilities, so pass the "
        "plain softmax of the logits and the temperature on to it, and apply it nowhere else.":
            ref.reweighted(probs, temperature ** 2),
    }
    distances = {message: ref.total_variation(frequency, p) for message, p in hypotheses.items()}
    nearest = min(distances, key=distances.get)
    return nearest if distances[nearest] < distances[None] - 0.05 else None


@pytest.mark.points(1)
def test_length_and_vocabulary(student, rng):
    """generate: exactly `length` new characters, all from the vocabulary"""
    model, _, chars, char_to_idx = model_and_vocab(student, rng)
    written(student, model, chars, char_to_idx, 25, 1.0, seed=1)


@pytest.mark.points(3)
def test_feeds_back_its_own_output_in_a_sliding_window(student, rng):
    """generate: each step reads the last maxlen characters written so far"""
    model, state, chars, char_to_idx = model_and_vocab(student, rng)
    for maxlen in (40, 6):
        text = written(student, model, chars, char_to_idx, 20, 0.01, seed=2, maxlen=maxlen)
        if ref.first_unlikely_step(state, SEED, text, chars, maxlen) is None:
            continue
        for rule, message in WINDOW_SLIPS.items():
            if ref.first_unlikely_step(state, SEED, text, chars, maxlen, rule=rule) is None:
                raise AssertionError(f"with maxlen = {maxlen}, {message}")
        if temperature_not_applied(student, model, state, chars, char_to_idx):
            raise AssertionError(TEMPERATURE_NOT_APPLIED)
        raise AssertionError(
            f"at a temperature near 0 (each step the most likely character), maxlen = {maxlen}, the text "
            "differs from the model's own predictions: each step should read the last maxlen characters "
            "written so far, seed included, as one-hot vectors."
        )


@pytest.mark.points(2)
def test_draws_follow_the_models_distribution(student, rng):
    """generate: at temperature 1 the first character follows softmax(logits)"""
    model, state, chars, char_to_idx = model_and_vocab(student, rng, scale=1.0)
    probs = ref.next_char_probs(state, SEED, char_to_idx)
    frequency = first_char_frequency(student, model, chars, char_to_idx, 1.0, probs, 200)
    if ref.total_variation(frequency, probs) > 0.15:
        slip = distribution_slip(frequency, probs, 1.0)
        raise AssertionError(
            f"at temperature 1 the first character does not follow the model's distribution. {slip or ''}".strip()
        )


@pytest.mark.points(2)
def test_temperature_is_applied_once(student, rng):
    """generate: at temperatures 0.5 and 2 the first character follows softmax(logits) ** (1 / T), renormalized"""
    model, state, chars, char_to_idx = model_and_vocab(student, rng, scale=1.0)
    probs = ref.next_char_probs(state, SEED, char_to_idx)
    for temperature in (0.5, 2.0):
        frequency = first_char_frequency(student, model, chars, char_to_idx, temperature,
                                         ref.reweighted(probs, temperature), 150, first_seed=500)
        if ref.total_variation(frequency, ref.reweighted(probs, temperature)) > 0.15:
            slip = distribution_slip(frequency, probs, temperature)
            raise AssertionError(
                f"at temperature {temperature:g} the first character does not follow the model's "
                f"distribution reweighted by the temperature. {slip or ''}".strip()
            )


@pytest.mark.points(1)
def test_low_temperature_picks_the_most_likely(student, rng):
    """generate: a low temperature gives the most likely characters whatever the seed"""
    model, state, chars, char_to_idx = model_and_vocab(student, rng, scale=1.0)
    texts = [written(student, model, chars, char_to_idx, 8, 0.01, seed=s) for s in range(4)]
    if any(ref.first_unlikely_step(state, SEED, t, chars, 40) is not None for t in texts):
        if temperature_not_applied(student, model, state, chars, char_to_idx):
            raise AssertionError(TEMPERATURE_NOT_APPLIED)
        raise AssertionError("at temperature 0.01 each step should pick the most likely character.")


@pytest.mark.points(1)
def test_reproducible_with_the_rng(student, rng):
    """generate: the same rng seed gives the same text, another seed another text"""
    model, _, chars, char_to_idx = model_and_vocab(student, rng, scale=0.5)
    first = written(student, model, chars, char_to_idx, COMPARED, 1.0, seed=7)
    if first != written(student, model, chars, char_to_idx, COMPARED, 1.0, seed=7):
        raise AssertionError("the same rng seed gave two different texts: draw with the rng argument.")
    if all(first == written(student, model, chars, char_to_idx, COMPARED, 1.0, seed=s) for s in (8, 9, 10)):
        raise AssertionError("different rng seeds always give the same text: pass rng on to sample_next.")


@pytest.mark.points(1)
def test_no_rng_means_a_fresh_generator(student, rng):
    """generate: rng=None (the default) draws with a fresh np.random.default_rng(), different every call"""
    model, _, chars, char_to_idx = model_and_vocab(student, rng, scale=0.5)
    texts = [check_text(call_generate(student, model, SEED, COMPARED, char_to_idx, chars, temperature=1.0), COMPARED, chars)
             for _ in range(3)]
    if len(set(texts)) == 1:
        raise AssertionError(
            "without an rng, three calls wrote the same text: rng=None means a fresh "
            "np.random.default_rng() (seeded by the operating system), not a fixed seed or the global np.random."
        )


@pytest.mark.points(1)
def test_defaults_and_inputs(student, rng):
    """generate: temperature and maxlen default to 1.0 and 40; chars and char_to_idx are left as they were"""
    model, _, chars, char_to_idx = model_and_vocab(student, rng, scale=1.5)
    seed_text = ref.TINY_CORPUS[:60]  # longer than maxlen: the window is cut from the first step
    explicit = written(student, model, chars, char_to_idx, 40, 1.0, seed=11, maxlen=40, text=seed_text)
    value, args, _ = student.call_with_inputs("generate", model, seed_text, 40, dict(char_to_idx), list(chars),
                                              rng=np.random.default_rng(11))
    if check_text(value, 40, chars, seed_text) != explicit:
        raise AssertionError(
            "called without temperature and maxlen, generate writes another text than with temperature=1.0 "
            "and maxlen=40 (the same rng seed): the defaults are 1.0 and the lecture's MAXLEN."
        )
    if args[3] != char_to_idx or args[4] != chars:
        raise AssertionError("generate changed chars or char_to_idx: read the vocabulary, never modify it.")
