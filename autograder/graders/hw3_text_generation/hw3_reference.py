"""Grader-side references for HW3, written independently of the solution (stays on the autograder).

Segments and one-hot encodings in plain Python, the model as torch's own nn.LSTM and nn.Linear
holding the same weights the grader loads into the student's CharLSTM, and the next-character
distribution as a softmax of those logits.
"""

import numpy as np
import torch
from torch import nn

from memo import memoized, single_threaded

LECTURE_TEXT = "Recurrent neural networks are artificial neural networks that use sequential data."
TINY_CORPUS = (
    "the cat sat on the mat. the cat ate the rat. the rat sat on the cat. "
    "a cat and a rat sat on a mat and the mat sat on the cat. "
) * 3


def segments(text, maxlen, step):
    pairs = []
    start = 0
    while start + maxlen < len(text):
        pairs.append((text[start:start + maxlen], text[start + maxlen]))
        start += step
    return [s for s, _ in pairs], [c for _, c in pairs]


def vocab(text):
    chars = sorted(set(text))
    return chars, {c: i for i, c in enumerate(chars)}


def one_hot(segment_list, char_to_idx):
    X = np.zeros((len(segment_list), len(segment_list[0]), len(char_to_idx)), dtype=np.float32)
    for i, segment in enumerate(segment_list):
        for t, char in enumerate(segment):
            X[i, t, char_to_idx[char]] = 1.0
    return X


def random_state(rng, V, H, scale=0.4):
    """CharLSTM weights by their torch names, float32."""
    shapes = {
        "lstm.weight_ih_l0": (4 * H, V), "lstm.weight_hh_l0": (4 * H, H),
        "lstm.bias_ih_l0": (4 * H,), "lstm.bias_hh_l0": (4 * H,),
        "fc.weight": (V, H), "fc.bias": (V,),
    }
    return {name: rng.normal(scale=scale, size=shape).astype(np.float32) for name, shape in shapes.items()}


def torch_param_count(V, H):
    modules = [nn.LSTM(V, H, batch_first=True), nn.Linear(H, V)]
    return sum(p.numel() for m in modules for p in m.parameters())


def _model(state, V, H, batch_first=True):
    lstm, fc = nn.LSTM(V, H, batch_first=batch_first), nn.Linear(H, V)
    with torch.no_grad():
        for name, value in state.items():
            module, parameter = name.split(".", 1)
            getattr({"lstm": lstm, "fc": fc}[module], parameter).copy_(torch.tensor(value))
    return lstm, fc


@memoized
@single_threaded
def logits(state, X):
    V, H = state["fc.weight"].shape
    lstm, fc = _model(state, V, H)
    with torch.no_grad():
        outputs, _ = lstm(torch.tensor(X))
        return fc(outputs[:, -1]).numpy()


@memoized
@single_threaded
def lstm_outputs(state, X, batch_first=True):
    """The LSTM's outputs (n, maxlen, H) for X (n, maxlen, V); with batch_first=False, what an
    LSTM built without batch_first makes of the same tensor (time and batch swapped)."""
    V, H = state["fc.weight"].shape
    lstm, _ = _model(state, V, H, batch_first=batch_first)
    with torch.no_grad():
        return lstm(torch.tensor(X))[0].numpy()


@memoized
def fc_outputs(state, hidden):
    V, H = state["fc.weight"].shape
    _, fc = _model(state, V, H)
    with torch.no_grad():
        return fc(torch.tensor(hidden)).numpy()


@memoized
@single_threaded
def logits_variant(state, X, variant):
    """Logits of a slipped forward, to recognise the slip: "first_step" (the output at the first
    time step), "softmax" (probabilities), "log_softmax"."""
    V, H = state["fc.weight"].shape
    lstm, fc = _model(state, V, H)
    with torch.no_grad():
        outputs, _ = lstm(torch.tensor(X))
        if variant == "first_step":
            return fc(outputs[:, 0]).numpy()
        z = fc(outputs[:, -1])
        return (torch.softmax(z, dim=1) if variant == "softmax" else torch.log_softmax(z, dim=1)).numpy()


def cross_entropy(logits, targets):
    """Mean cross-entropy of float64 logits (n, V) against integer targets (n,)."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(targets)), targets].mean())


def next_char_probs(state, window, char_to_idx):
    """float64 softmax of the logits after ``window``."""
    z = logits(state, one_hot([window], char_to_idx))[0].astype(np.float64)
    z = np.exp(z - z.max())
    return z / z.sum()


def next_window(window, char, maxlen, rule="slide"):
    """The window after ``char`` is written: "slide" (the contract: append, keep the last maxlen),
    or a slip: "grow" (append, never cut), "fixed" (the seed's window, never updated)."""
    if rule == "grow":
        return window + char
    if rule == "fixed":
        return window
    return (window + char)[-maxlen:]


def first_unlikely_step(state, seed, text, chars, maxlen, tolerance=0.98, rule="slide"):
    """The first step where ``text`` (written after ``seed`` at a temperature near 0) does not
    pick the model's most likely character, or a near tie (within ``tolerance`` of it), given the
    window of at most maxlen characters that text itself leads to; None if there is none."""
    char_to_idx = {c: i for i, c in enumerate(chars)}
    window = seed[-maxlen:]
    for step, char in enumerate(text):
        probs = next_char_probs(state, window, char_to_idx)
        if char not in char_to_idx or probs[char_to_idx[char]] < tolerance * probs.max():
            return step
        window = next_window(window, char, maxlen, rule)
    return None


def reweighted(probs, temperature):
    weights = np.where(probs > 0, np.power(np.maximum(probs, 1e-300), 1.0 / temperature), 0.0)
    return weights / weights.sum()


def total_variation(p, q):
    return 0.5 * float(np.abs(np.asarray(p, dtype=float) - np.asarray(q, dtype=float)).sum())


def frequencies(indices, size):
    return np.bincount(np.asarray(indices, dtype=np.int64), minlength=size)[:size] / max(len(indices), 1)


def settled_draws(draw_range, first, total, settles):
    """The draws a statistical test judges, taken in two stages: ``draw_range(0, first)``, kept
    when ``settles(them)``, else those and ``draw_range(first, total)``. ``settles`` must be
    stricter than the test's own verdict, so that early draws can only pass a test, never fail
    it: a correct sampler usually settles on the first ones, and anything else is judged on
    exactly the ``total`` draws it always was (the same seeds, the same rule)."""
    values = np.asarray(draw_range(0, first))
    if settles(values):
        return values
    return np.concatenate([values, np.asarray(draw_range(first, total), dtype=values.dtype)])


def close_to(expected, distance):
    """``settles`` for settled_draws: the draws' frequencies within ``distance`` of ``expected``."""
    return lambda values: total_variation(frequencies(values, len(expected)), expected) <= distance


# ---- sample_next's slips, recognised by their evidence (the draws, the rng, the error raised)

ARGMAX = (
    "sample_next always returns the most likely index, whatever the seed: draw at random from the "
    "reweighted distribution (with the rng you are given) rather than taking its argmax."
)
GLOBAL_RNG = (
    "sample_next does not draw with the rng it is given (that rng is left as it was): use the rng "
    "argument (rng.choice, rng.random or rng.multinomial), never the global np.random, so a run "
    "can be repeated."
)
UNDERFLOW = (
    "at a low temperature every p ** (1 / temperature) underflows to 0 (or an exp overflows), and "
    "0 / 0 gives NaN: scale the weights by the largest one (subtract the largest log before "
    "exponentiating) before you normalize."
)


def temperature_slip(frequency, probs, temperature):
    """What the observed ``frequency`` of draws at ``temperature`` looks like, when it is closer to
    a slip's distribution than to the reweighted one: a message, or None."""
    hypotheses = {
        None: reweighted(probs, temperature),
        "the draws look like p ** temperature: the exponent is 1 / temperature (divide by the "
        "temperature, do not multiply).": reweighted(probs, 1.0 / temperature),
        "the temperature has no effect on the draws: reweight every probability as "
        "p ** (1 / temperature) and renormalize before drawing.": np.asarray(probs, dtype=float),
        "the temperature is applied twice: reweight the probabilities once, as p ** (1 / "
        "temperature).": reweighted(probs, temperature ** 2),
    }
    distances = {message: total_variation(frequency, p) for message, p in hypotheses.items()}
    nearest = min(distances, key=distances.get)
    return nearest if distances[nearest] < distances[None] - 0.05 else None


def student_model_holding(student, state):
    """The student's CharLSTM holding ``state`` (CharLSTM's own tests say why it cannot take it)."""
    V, H = state["fc.weight"].shape
    model = student.make("CharLSTM", V, hidden_size=H)
    model.load_state(state)
    return model
