"""Hidden graders for generate: length, vocabulary, feeding back its own output, the rng."""

import numpy as np
import pytest

import hw3_reference as ref

SEED = "the cat sat on"


def model_and_vocab(student, rng, H=12, scale=1.5):
    chars, char_to_idx = ref.vocab(ref.TINY_CORPUS)
    state = ref.random_state(rng, len(chars), H, scale=scale)
    model = student.make("CharLSTM", len(chars), hidden_size=H)
    model.load_state(state)
    return model, state, chars, char_to_idx


def written(student, model, chars, char_to_idx, length, temperature, seed, maxlen=40, text=SEED):
    value = student.generate(model, text, length, char_to_idx, chars, temperature=temperature,
                             rng=np.random.default_rng(seed), maxlen=maxlen)
    if not isinstance(value, str):
        raise AssertionError(f"generate should return a string, got {type(value).__name__}.")
    return value


@pytest.mark.points(1)
def test_length_and_vocabulary(student, rng):
    """generate: exactly `length` new characters, all from the vocabulary"""
    model, _, chars, char_to_idx = model_and_vocab(student, rng)
    text = written(student, model, chars, char_to_idx, 25, 1.0, seed=1)
    if text.startswith(SEED) and len(text) == len(SEED) + 25:
        raise AssertionError("generate returns the seed too: return only the new characters.")
    if len(text) != 25:
        raise AssertionError(f"generate(length=25) returned {len(text)} characters.")
    if not set(text) <= set(chars):
        raise AssertionError("generate wrote characters that are not in the vocabulary.")


@pytest.mark.points(3)
def test_feeds_back_its_own_output_in_a_sliding_window(student, rng):
    """generate: each step reads the last maxlen characters written so far"""
    model, state, chars, char_to_idx = model_and_vocab(student, rng)
    for maxlen in (40, 6):
        text = written(student, model, chars, char_to_idx, 20, 0.01, seed=2, maxlen=maxlen)
        if len(text) != 20 or ref.first_unlikely_step(state, SEED, text, chars, maxlen) is not None:
            raise AssertionError(
                f"at a temperature near 0 (each step the most likely character), maxlen = {maxlen}, "
                "the text differs from the model's own predictions: append each new character to the "
                "window and keep only its last maxlen characters before the next prediction."
            )


@pytest.mark.points(2)
def test_draws_follow_the_models_distribution(student, rng):
    """generate: at temperature 1 the first character follows softmax(logits)"""
    model, state, chars, char_to_idx = model_and_vocab(student, rng, scale=1.0)
    firsts = [written(student, model, chars, char_to_idx, 1, 1.0, seed=i) for i in range(200)]
    counts = np.array([firsts.count(c) for c in chars]) / len(firsts)
    probs = ref.next_char_probs(state, SEED, char_to_idx)
    if 0.5 * np.abs(counts - probs).sum() > 0.15:
        raise AssertionError(
            "at temperature 1 the first character does not follow the model's distribution: turn "
            "the logits into probabilities with one softmax, then draw with sample_next."
        )


@pytest.mark.points(1)
def test_temperature_is_passed_on(student, rng):
    """generate: a low temperature gives the most likely characters whatever the seed"""
    model, state, chars, char_to_idx = model_and_vocab(student, rng, scale=1.0)
    texts = [written(student, model, chars, char_to_idx, 8, 0.01, seed=s) for s in range(4)]
    if any(len(t) != 8 or ref.first_unlikely_step(state, SEED, t, chars, 40) is not None for t in texts):
        raise AssertionError("at temperature 0.02 each step should pick the most likely character: pass temperature on to sample_next.")


@pytest.mark.points(1)
def test_reproducible_with_the_rng(student, rng):
    """generate: the same rng seed gives the same text, another seed another text"""
    model, _, chars, char_to_idx = model_and_vocab(student, rng, scale=0.5)
    first = written(student, model, chars, char_to_idx, 30, 1.0, seed=7)
    if first != written(student, model, chars, char_to_idx, 30, 1.0, seed=7):
        raise AssertionError("the same rng seed gave two different texts: draw with the rng argument.")
    if all(first == written(student, model, chars, char_to_idx, 30, 1.0, seed=s) for s in (8, 9, 10)):
        raise AssertionError("different rng seeds always give the same text: pass rng on to sample_next.")
