"""HW3: character-level text generation with an LSTM, in torch.

The lecture's recipe. Cut a text into overlapping segments of maxlen = 40 characters, a new one
every step = 3 characters; the label of each segment is the character that follows it. A one-layer
LSTM reads the one-hot characters of a segment (no embedding layer) and a Linear layer turns its
last hidden state into one score (logit) per character of the vocabulary: a multi-class
classification with V classes. To write text, the model predicts the next character from the last
maxlen characters, one is drawn, appended, and the window slides on.

Shapes used in the docstrings:
    n  number of segments     maxlen  characters per segment     V  vocabulary size
"""

import inspect
import sys

import numpy as np
import torch
from torch import nn

MAXLEN = 40  # characters per segment, as in the lecture
STEP = 3  # a new segment every STEP characters


def build_vocab(text):
    """The characters a text uses, and the index of each.

    Inputs:
    - text: a string

    Returns a tuple (chars, char_to_idx):
    - chars: the distinct characters of text, sorted, a list of length V
    - char_to_idx: dict mapping each character c to its position in chars
    """
    # ========================= YOUR CODE BELOW ========================== #
    # TODO: implement build_vocab as its docstring describes.
    raise NotImplementedError("build_vocab is not implemented yet")
    # ========================= YOUR CODE ABOVE ========================== #


def make_segments(text, maxlen=MAXLEN, step=STEP):
    """Cut text into (segment, next character) pairs, the training data of the lecture.

    Segments start at 0, step, 2*step, ... for every start i with i < len(text) - maxlen, so
    each one has a next character: segment = text[i : i + maxlen], next = text[i + maxlen].

    Inputs:
    - text: a string
    - maxlen: characters per segment
    - step: distance between the starts of two segments

    Returns a tuple (segments, next_chars), two lists of n strings (segments of length maxlen,
    next characters of length 1). A text of at most maxlen characters gives two empty lists.
    """
    # ========================= YOUR CODE BELOW ========================== #
    # TODO: implement make_segments as its docstring describes.
    raise NotImplementedError("make_segments is not implemented yet")
    # ========================= YOUR CODE ABOVE ========================== #


def vectorize(segments, next_chars, char_to_idx):
    """One-hot inputs and index targets for training.

    Inputs:
    - segments: list of n strings of the same length maxlen
    - next_chars: list of n one-character strings
    - char_to_idx: dict from build_vocab, V entries

    Returns a tuple (X, y):
    - X: float32 tensor of shape (n, maxlen, V); X[i, t, char_to_idx[segments[i][t]]] = 1, all
      other entries 0
    - y: int64 tensor of shape (n,); y[i] = char_to_idx[next_chars[i]]
    """
    # ========================= YOUR CODE BELOW ========================== #
    # TODO: implement vectorize as its docstring describes.
    raise NotImplementedError("vectorize is not implemented yet")
    # ========================= YOUR CODE ABOVE ========================== #


class CharLSTM(nn.Module):
    """The lecture's model: LSTM(hidden_size) on one-hot characters, then Linear(hidden_size, V).

    Keep the submodule names: `lstm` (an nn.LSTM with batch_first=True, one layer) and `fc` (an
    nn.Linear); the autograder sets their weights by these names. For V = 57 and hidden_size = 128
    the model has 103,097 parameters (README: why Keras reports 102,585 for the same model).
    """

    def __init__(self, vocab_size, hidden_size=128):
        super().__init__()
        # ======================= YOUR CODE BELOW ======================== #
        # TODO: implement __init__ as its docstring describes.
        raise NotImplementedError("__init__ is not implemented yet")
        # ======================= YOUR CODE ABOVE ======================== #

    def forward(self, X):
        """Logits of the next character after each segment.

        Inputs:
        - X: float32 tensor (n, maxlen, V), one-hot characters

        Returns:
        - logits: tensor (n, V), computed from the LSTM's output at the last time step
        """
        # ======================= YOUR CODE BELOW ======================== #
        # TODO: implement forward as its docstring describes.
        raise NotImplementedError("forward is not implemented yet")
        # ======================= YOUR CODE ABOVE ======================== #


def sample_next(probs, temperature, rng):
    """Draw the index of the next character from a reweighted distribution.

    The lecture's two extremes are argmax (deterministic, dull) and a plain draw from probs (too
    random); temperature interpolates: reweight every probability as p ** (1 / temperature),
    renormalize to sum 1, and draw one index from the result. Temperature 1 keeps probs, a low
    temperature approaches argmax, a high one flattens the distribution. An index whose
    probability is 0 is never drawn.

    Inputs:
    - probs: numpy array (V,) of probabilities (non-negative, summing to 1)
    - temperature: positive float
    - rng: numpy Generator (np.random.default_rng(seed)) to draw with: never the global
      np.random, so that a run can be repeated

    Returns:
    - index: int in [0, V)
    """
    # ========================= YOUR CODE BELOW ========================== #
    # TODO: implement sample_next as its docstring describes.
    raise NotImplementedError("sample_next is not implemented yet")
    # ========================= YOUR CODE ABOVE ========================== #


def generate(model, seed_text, length, char_to_idx, chars, temperature=1.0, rng=None, maxlen=MAXLEN):
    """Write `length` new characters after seed_text, one at a time.

    Each step feeds the model the last (at most) maxlen characters written so far, seed included,
    as a (1, window, V) one-hot tensor, turns the logits into probabilities (softmax), draws the
    next character with sample_next, and appends it, so the window slides over the model's own
    output.

    Inputs:
    - model: a CharLSTM
    - seed_text: the text to start from (its characters are in char_to_idx)
    - length: number of characters to write
    - char_to_idx, chars: the vocabulary, from build_vocab
    - temperature: passed to sample_next
    - rng: numpy Generator for sample_next (default: np.random.default_rng())
    - maxlen: the longest window the model is given

    Returns:
    - the `length` new characters, a string (the seed not included)
    """
    # ========================= YOUR CODE BELOW ========================== #
    # TODO: implement generate as its docstring describes.
    raise NotImplementedError("generate is not implemented yet")
    # ========================= YOUR CODE ABOVE ========================== #


# ---------------------------------------------------------------- given: the corpus and training


def default_corpus(max_chars=200_000):
    """A corpus every machine has without a download: the docstrings of Python's standard library
    (the modules this Python has loaded or can import quietly), lower-cased, in a fixed order.
    Only what the standard library itself defines is read, so the corpus is the same in a plain
    Python, under pytest and in a Jupyter kernel (which adds its own `display` to builtins)."""
    names = ["builtins", "collections", "itertools", "functools", "json", "re", "string", "textwrap",
             "math", "statistics", "random", "datetime", "pathlib", "os", "argparse", "logging",
             "unittest", "email", "http", "csv", "calendar", "decimal", "fractions", "heapq", "shutil"]
    stdlib = getattr(sys, "stdlib_module_names", None)  # Python 3.10+
    parts = []
    for name in names:
        try:
            module = sys.modules.get(name) or __import__(name)
        except ImportError:
            continue
        for _, member in sorted(vars(module).items()):
            defined_in = getattr(member, "__module__", None) or type(member).__module__ or ""
            if stdlib is not None and (not isinstance(defined_in, str) or defined_in.split(".")[0] not in stdlib):
                continue
            doc = inspect.getdoc(member) if callable(member) else None
            if doc and len(doc) > 80:
                parts.append(doc)
    text = "\n\n".join(dict.fromkeys(parts)).lower()
    return "".join(char for char in text if char.isascii())[:max_chars]


def train(model, X, y, epochs=1, batch_size=128, lr=0.01, seed=0):
    """The lecture's model.fit: cross-entropy on the logits, Adam, shuffled mini-batches.

    Returns the list of the mini-batches' losses, in order.
    """
    torch.manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_function = nn.CrossEntropyLoss()
    losses = []
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(X))
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            optimizer.zero_grad()
            loss = loss_function(model(X[batch]), y[batch])
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach()))
    return losses
