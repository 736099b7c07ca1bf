"""Are HW2's expected parameter counts what the frameworks really report?

The autograder image ships torch but not Keras, so hw2_reference.keras_param_count is a formula.
Here the kit checks it against real Keras 3 models (torch backend): model.count_params() of
keras.Input -> SimpleRNN / LSTM / GRU / Dense layers, for the course's examples (with their
literal numbers) and a grid of single and stacked layers. Keras comes with the `dev` extra, so a
missing Keras fails these tests instead of skipping them. hw2_reference.torch_param_count, which
builds real torch layers, is checked against the literal torch numbers of the same examples.
"""

import os
import sys
import tempfile

import pytest

from conftest import ROOT

os.environ["KERAS_BACKEND"] = "torch"  # must be set before keras is imported
# Keras writes keras.json into its home at import; keep that out of the user's ~/.keras.
os.environ.setdefault("KERAS_HOME", tempfile.mkdtemp(prefix="rnnkit-keras-"))
import keras  # noqa: E402

# hw2_reference and the graders' shared modules (memo.py), as the graders' rootdir provides them.
for folder in (ROOT / "autograder" / "graders", ROOT / "autograder" / "graders" / "hw2_lstm_gates"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
import hw2_reference  # noqa: E402

RECURRENT = {"simple_rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


def keras_model(input_dim, layers, reset_after=True):
    """A real Keras model: (batch, time, input_dim) inputs through `layers` [(kind, units), ...].

    Every recurrent layer followed by another recurrent layer returns its whole sequence; `reset_after`
    is passed to every GRU.
    """
    inputs = keras.Input(shape=(None, input_dim))
    y = inputs
    kinds = [kind for kind, _ in layers]
    for k, (kind, units) in enumerate(layers):
        if kind == "dense":
            y = keras.layers.Dense(units)(y)
            continue
        options = {"return_sequences": any(later != "dense" for later in kinds[k + 1:])}
        if kind == "gru":
            options["reset_after"] = reset_after
        y = RECURRENT[kind](units, **options)(y)
    return keras.Model(inputs, y)


def test_keras_is_keras_3_on_torch():
    assert int(keras.__version__.split(".")[0]) >= 3, keras.__version__
    assert keras.backend.backend() == "torch"


# (input_dim, layers, reset_after, Keras' count): the examples from the lecture and the issue.
LITERAL_KERAS = [
    (1, [("lstm", 3), ("dense", 1)], True, 64),
    (2, [("simple_rnn", 4)], True, 28),
    (57, [("lstm", 128), ("dense", 57)], True, 102_585),
    (1, [("gru", 3)], True, 54),
    (1, [("gru", 3)], False, 45),
]


def _id(input_dim, layers, reset_after):
    stack = "+".join(f"{kind}{units}" for kind, units in layers)
    return f"{input_dim}in-{stack}" + ("" if reset_after else "-reset_before")


@pytest.mark.parametrize(
    "input_dim, layers, reset_after, expected",
    LITERAL_KERAS,
    ids=[_id(*case[:3]) for case in LITERAL_KERAS],
)
def test_keras_literal_counts(input_dim, layers, reset_after, expected):
    assert keras_model(input_dim, layers, reset_after).count_params() == expected
    assert hw2_reference.keras_param_count(input_dim, layers, reset_after=reset_after) == expected


GRID = [
    # single layers, each kind
    (3, [("simple_rnn", 5)]),
    (1, [("lstm", 1)]),
    (6, [("lstm", 2)]),
    (4, [("gru", 7)]),
    (8, [("dense", 3)]),
    # recurrent layer and a classifier head
    (5, [("simple_rnn", 8), ("dense", 2)]),
    (2, [("gru", 16), ("dense", 4)]),
    # stacked recurrent layers (the earlier ones return sequences)
    (3, [("lstm", 8), ("lstm", 4)]),
    (10, [("gru", 6), ("gru", 3), ("dense", 1)]),
    (4, [("simple_rnn", 5), ("lstm", 6), ("gru", 2), ("dense", 3)]),
    (7, [("gru", 4), ("simple_rnn", 3), ("lstm", 5)]),
    # a Dense layer before the recurrent ones acts on every time step
    (6, [("dense", 4), ("lstm", 3), ("dense", 2)]),
]


@pytest.mark.parametrize("reset_after", [True, False], ids=["reset_after", "reset_before"])
@pytest.mark.parametrize("input_dim, layers", GRID, ids=[_id(d, layers, True) for d, layers in GRID])
def test_keras_formula_matches_real_keras(input_dim, layers, reset_after):
    real = keras_model(input_dim, layers, reset_after).count_params()
    assert hw2_reference.keras_param_count(input_dim, layers, reset_after=reset_after) == real


# (input_dim, layers, torch's count): the same examples as PyTorch layers (two biases per gate).
LITERAL_TORCH = [
    (1, [("lstm", 3), ("dense", 1)], 76),
    (2, [("simple_rnn", 4)], 32),
    (57, [("lstm", 128), ("dense", 57)], 103_097),
    (1, [("gru", 3)], 54),
]


@pytest.mark.parametrize(
    "input_dim, layers, expected",
    LITERAL_TORCH,
    ids=[_id(d, layers, True) for d, layers, _ in LITERAL_TORCH],
)
def test_torch_literal_counts(input_dim, layers, expected):
    assert hw2_reference.torch_param_count(input_dim, layers) == expected
