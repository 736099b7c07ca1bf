"""Grader-side references for HW3, written independently of the solution (stays on the autograder).

Segments and one-hot encodings in plain Python, the model as torch's own nn.LSTM and nn.Linear
holding the same weights the grader loads into the student's CharLSTM, and the next-character
distribution as a softmax of those logits.
"""

import numpy as np
import torch
from torch import nn

from memo import memoized

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


def _model(state, V, H):
    lstm, fc = nn.LSTM(V, H, batch_first=True), nn.Linear(H, V)
    with torch.no_grad():
        for name, value in state.items():
            module, parameter = name.split(".", 1)
            getattr({"lstm": lstm, "fc": fc}[module], parameter).copy_(torch.tensor(value))
    return lstm, fc


@memoized
def logits(state, X):
    V, H = state["fc.weight"].shape
    lstm, fc = _model(state, V, H)
    with torch.no_grad():
        outputs, _ = lstm(torch.tensor(X))
        return fc(outputs[:, -1]).numpy()


def next_char_probs(state, window, char_to_idx):
    """float64 softmax of the logits after ``window``."""
    z = logits(state, one_hot([window], char_to_idx))[0].astype(np.float64)
    z = np.exp(z - z.max())
    return z / z.sum()


def first_unlikely_step(state, seed, text, chars, maxlen, tolerance=0.98):
    """The first step where ``text`` (written after ``seed`` at a temperature near 0) does not
    pick the model's most likely character, or a near tie (within ``tolerance`` of it), given the
    window of at most maxlen characters that text itself leads to; None if there is none."""
    char_to_idx = {c: i for i, c in enumerate(chars)}
    window = seed[-maxlen:]
    for step, char in enumerate(text):
        probs = next_char_probs(state, window, char_to_idx)
        if char not in char_to_idx or probs[char_to_idx[char]] < tolerance * probs.max():
            return step
        window = (window + char)[-maxlen:]
    return None


def reweighted(probs, temperature):
    weights = np.where(probs > 0, np.power(np.maximum(probs, 1e-300), 1.0 / temperature), 0.0)
    return weights / weights.sum()
