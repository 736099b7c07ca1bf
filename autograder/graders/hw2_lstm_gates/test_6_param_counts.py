"""Hidden graders for layer_param_count and model_param_count (Keras summaries vs PyTorch modules)."""

import pytest

from . import hw2_reference as ref
from rnnkit_testing import StudentCodeError, assert_int, assert_raises

GATES = {"simple_rnn": "its single tanh unit", "lstm": "each of its four gates (i, f, g, o)", "gru": "each of its three gates (r, z, n)"}
KERAS_NAMES = {"simple_rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU", "dense": "Dense"}
TORCH_NAMES = {"simple_rnn": "nn.RNN", "lstm": "nn.LSTM", "gru": "nn.GRU", "dense": "nn.Linear"}

# The issue's numbers, checked against the references below so that the graders' data cannot drift.
LSTM_DENSE = [("lstm", 3), ("dense", 1)]
LSTM128_DENSE = [("lstm", 128), ("dense", 57)]
STACKED = [("lstm", 8), ("gru", 4), ("dense", 2)]


def expected_count(framework, input_dim, layers, reset_after=True):
    if framework == "torch":
        return ref.torch_param_count(input_dim, layers)  # real torch modules
    return ref.keras_param_count(input_dim, layers, reset_after=reset_after)


def layer_call(kind, input_dim, units, framework, reset_after):
    call = f"layer_param_count({kind!r}, {input_dim}, {units}, framework={framework!r}"
    return call + (", reset_after=False)" if not reset_after else ")")


def describe(kind, D, H, framework, reset_after=True):
    """How the layer is written in its framework, e.g. "Keras' LSTM(3) on 1 input feature"."""
    if framework == "torch":
        return f"PyTorch's {TORCH_NAMES[kind]}({D}, {H})"
    option = ", reset_after=False" if kind == "gru" and not reset_after else ""
    return f"Keras' {KERAS_NAMES[kind]}({H}{option}) on {D} input feature{'s' * (D != 1)}"


def layer_counts(kind, D, H, framework, reset_after=True):
    """Every count a wrong count of this layer is compared with (layer_hint), worked out before the
    answer is read: the torch results stored for grading are recorded on the reference solution,
    whose counts are all right, and must hold what a wrong count is compared with too."""
    return {
        "want": expected_count(framework, D, [(kind, H)], reset_after),
        "keras": ref.keras_param_count(D, [(kind, H)], reset_after),
        "torch": ref.torch_param_count(D, [(kind, H)]),
        "keras_other_reset": ref.keras_param_count(D, [(kind, H)], reset_after=not reset_after),
        "swapped": expected_count(framework, H, [(kind, D)], reset_after),  # input_dim and units swapped
    }


def layer_hint(kind, D, H, framework, reset_after, got, counts):
    """Name the concept behind a wrong layer count, using counts of torch modules and Keras' rules
    (``counts``: layer_counts of the layer)."""
    want, keras, torch_count = counts["want"], counts["keras"], counts["torch"]
    layer = describe(kind, D, H, framework, reset_after)
    if kind == "dense":
        if got == D * H:
            return f"{layer}: a Dense layer (nn.Linear) also has one bias per output unit."
        return f"{layer}: an (input_dim x units) weight matrix plus one bias per unit, the same in both frameworks."
    if kind == "gru" and framework == "torch" and not reset_after:
        return (f"{layer}: PyTorch's GRU has no reset_after option and always keeps two bias vectors per "
                "gate; reset_after only changes a Keras GRU.")
    if kind == "gru" and framework == "keras":
        other = counts["keras_other_reset"]
        if got == other != want and reset_after:
            return (f"{layer}: Keras' default GRU (reset_after=True) applies the reset gate after the "
                    "recurrent product, so it keeps two bias vectors per gate (an input bias and a "
                    "recurrent one), like PyTorch.")
        if got == other != want:
            return (f"{layer}: with reset_after=False the reset gate acts before the recurrent product and "
                    "Keras' GRU keeps one bias vector per gate; your count ignores reset_after.")
    if framework == "torch" and got == keras != want:
        return (f"{layer}: PyTorch's recurrent layers keep two bias vectors per gate (bias_ih and bias_hh), "
                "where Keras keeps one.")
    if framework == "keras" and got == torch_count != want:
        return f"{layer}: Keras keeps one bias vector per gate (only a GRU with reset_after=True keeps two)."
    if D != H and got == counts["swapped"]:
        return f"{layer}: each input matrix is (units x input_dim) and each recurrent one (units x units)."
    gates = {"lstm": 4, "gru": 3}.get(kind)
    if gates and got * gates == want:
        return f"{layer}: count the weights of {GATES[kind]}; every gate has its own matrices and biases."
    return (f"{layer}: count, for {GATES[kind]}, a (units x input_dim) input matrix, a (units x units) "
            "recurrent matrix and the bias vectors.")


def check_layer(student, kind, D, H, framework=None, reset_after=True):
    kwargs = {} if framework is None else {"framework": framework}
    if not reset_after:
        kwargs["reset_after"] = False
    framework = framework or "keras"
    call = layer_call(kind, D, H, framework, reset_after)
    counts = layer_counts(kind, D, H, framework, reset_after)
    got = assert_int(student.layer_param_count(kind, D, H, **kwargs), call, whole=True)
    if got != counts["want"]:
        raise AssertionError(f"{call} is wrong. {layer_hint(kind, D, H, framework, reset_after, got, counts)}")


# ---------------------------------------------------------------- layer_param_count


@pytest.mark.points(1)
def test_layer_simple_rnn(student):
    """layer_param_count: SimpleRNN(4) on 2 features is 28 in Keras, 32 in PyTorch"""
    assert expected_count("keras", 2, [("simple_rnn", 4)]) == 28, "grader data: Keras SimpleRNN(4) on 2"
    assert expected_count("torch", 2, [("simple_rnn", 4)]) == 32, "grader data: nn.RNN(2, 4)"
    check_layer(student, "simple_rnn", 2, 4)  # the default framework is Keras
    for framework in ("keras", "torch"):
        check_layer(student, "simple_rnn", 2, 4, framework)
        check_layer(student, "simple_rnn", 7, 3, framework)


@pytest.mark.points(1)
def test_layer_lstm(student):
    """layer_param_count: LSTM counts four gates (LSTM(3) on 1 feature is 60 in Keras)"""
    assert expected_count("keras", 1, [("lstm", 3)]) == 60, "grader data: Keras LSTM(3) on 1"
    assert expected_count("torch", 1, [("lstm", 3)]) == 72, "grader data: nn.LSTM(1, 3)"
    for framework in ("keras", "torch"):
        check_layer(student, "lstm", 1, 3, framework)
        check_layer(student, "lstm", 9, 5, framework)


@pytest.mark.points(1)
def test_layer_gru(student):
    """layer_param_count: GRU(3) on 1 feature is 54 in Keras (default) and PyTorch"""
    assert expected_count("keras", 1, [("gru", 3)]) == 54, "grader data: Keras GRU(3) on 1"
    assert expected_count("torch", 1, [("gru", 3)]) == 54, "grader data: nn.GRU(1, 3)"
    for framework in ("keras", "torch"):
        check_layer(student, "gru", 1, 3, framework)
        check_layer(student, "gru", 6, 2, framework)
    # PyTorch has no reset_after option: the flag must not change a torch count.
    check_layer(student, "gru", 6, 2, "torch", reset_after=False)


@pytest.mark.points(1)
def test_layer_gru_reset_after_false(student):
    """layer_param_count: Keras GRU(3, reset_after=False) on 1 feature is 45"""
    assert expected_count("keras", 1, [("gru", 3)], reset_after=False) == 45, "grader data: Keras GRU, reset_after=False"
    check_layer(student, "gru", 1, 3, "keras", reset_after=False)
    check_layer(student, "gru", 5, 7, "keras", reset_after=False)


@pytest.mark.points(1)
def test_layer_dense(student):
    """layer_param_count: Dense counts weights and one bias per unit (both frameworks)"""
    assert expected_count("torch", 5, [("dense", 7)]) == 42, "grader data: nn.Linear(5, 7)"
    for framework in ("keras", "torch"):
        check_layer(student, "dense", 5, 7, framework)
        check_layer(student, "dense", 128, 57, framework)


@pytest.mark.points(1)
def test_layer_unknown_kind_or_framework(student):
    """layer_param_count: an unknown kind or framework raises ValueError"""
    # a function that raises for every input must not earn this point
    call = "layer_param_count('lstm', 2, 3, framework='keras')"
    assert_int(student.layer_param_count("lstm", 2, 3, framework="keras"), call, whole=True)
    for args, kwargs, what in [
        (("conv1d", 2, 3), {}, "kind='conv1d'"),
        (("LSTM", 2, 3), {}, "kind='LSTM' (the kinds are lower case)"),
        (("lstm", 2, 3), {"framework": "jax"}, "framework='jax'"),
        (("dense", 2, 3), {"framework": "pytorch"}, "framework='pytorch' (the name is 'torch')"),
    ]:
        assert_raises(
            ValueError, student.layer_param_count, *args, **kwargs,
            hint=f"{what} is not supported: raise ValueError (call _check_choice).",
        )


# ---------------------------------------------------------------- model_param_count


def check_model(student, D, layers, framework=None):
    kwargs = {} if framework is None else {"framework": framework}
    framework = framework or "keras"
    call = f"model_param_count({D}, {layers}, framework={framework!r})"
    # What a wrong count is compared with, worked out before it is read (see layer_counts).
    want = expected_count(framework, D, layers)
    other = "keras" if framework == "torch" else "torch"
    other_count = expected_count(other, D, layers)
    unchained = sum(expected_count(framework, D, [layer]) for layer in layers)
    inputs = [D, *(units for _, units in layers[:-1])]  # each layer's input size
    per_layer = [layer_counts(kind, d, units, framework) for (kind, units), d in zip(layers, inputs)]
    got = assert_int(student.model_param_count(D, layers, **kwargs), call, whole=True)
    if got == want:
        return
    if got == other_count and framework == "torch":
        hint = ("PyTorch's recurrent layers keep two bias vectors per gate (bias_ih and bias_hh), where "
                "Keras keeps one; pass framework on to every layer.")
    elif got == other_count:
        hint = "Keras keeps one bias vector per gate (a GRU with reset_after=True keeps two); pass framework on to every layer."
    elif len(layers) > 1 and got == unchained:
        hint = "Each layer's input size is the previous layer's units; only the first layer sees input_dim."
    else:
        hint = wrong_layer_hint(student, layers, inputs, framework, per_layer) or (
            "Add the layer counts, each layer taking the previous layer's units as its input size."
        )
    raise AssertionError(f"{call} is wrong. {hint}")


def wrong_layer_hint(student, layers, inputs, framework, per_layer):
    """When a layer of the model is wrong in layer_param_count too, say which and why
    (``inputs``: each layer's input size; ``per_layer``: its layer_counts)."""
    for (kind, units), D, counts in zip(layers, inputs, per_layer):
        try:
            got = assert_int(student.layer_param_count(kind, D, units, framework=framework), "", whole=True)
        except (AssertionError, StudentCodeError):
            return ""
        if got != counts["want"]:
            return f"It adds up the layers, and layer_param_count is wrong for one of them: {layer_hint(kind, D, units, framework, True, got, counts)}"
    return ""


@pytest.mark.points(1)
def test_model_issue_summaries(student):
    """model_param_count: LSTM(3)+Dense(1) on 1 is 64/76, LSTM(128)+Dense(57) on 57 is 102,585/103,097"""
    assert expected_count("keras", 1, LSTM_DENSE) == 64 == 60 + 4, "grader data: Keras LSTM(3) + Dense(1)"
    assert expected_count("torch", 1, LSTM_DENSE) == 76, "grader data: nn.LSTM(1, 3) + nn.Linear(3, 1)"
    assert expected_count("keras", 57, LSTM128_DENSE) == 102_585, "grader data: Keras LSTM(128) + Dense(57)"
    assert expected_count("torch", 57, LSTM128_DENSE) == 103_097, "grader data: nn.LSTM(57, 128) + nn.Linear(128, 57)"
    check_model(student, 1, LSTM_DENSE)  # the default framework is Keras
    for framework in ("keras", "torch"):
        check_model(student, 1, LSTM_DENSE, framework)
        check_model(student, 57, LSTM128_DENSE, framework)


@pytest.mark.points(1)
def test_model_stacked(student):
    """model_param_count: stacked LSTM, GRU and Dense layers, and Dense alone"""
    for framework in ("keras", "torch"):
        check_model(student, 6, STACKED, framework)
        check_model(student, 2, [("simple_rnn", 4), ("simple_rnn", 5), ("dense", 3)], framework)
        check_model(student, 10, [("dense", 3)], framework)
