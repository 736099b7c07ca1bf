"""Public tests for HW2. Run them with `pytest` in this folder.

They check the lecture's hand-computed LSTM step, your stable sigmoid, and compare your numpy code
with PyTorch: torch.nn.LSTMCell, torch.nn.LSTM and torch.nn.GRUCell for the forward passes,
autograd for the backward step, and the parameters of real torch layers for the counts. The
autograder runs these tests too, plus hidden ones that check more cases (every gate on its own,
other shapes, the gate order, reset_after=False, more model summaries, inputs left unchanged).

Each torch computation is a function of its inputs marked @oracle: here it simply runs; the
autograder finds its result stored, worked out ahead, and does not wait for torch to load.
"""

import numpy as np
import pytest

from rnnkit_testing import assert_array, assert_close, assert_int, assert_tuple, lazy_import, oracle

torch = lazy_import("torch")  # imported when a test first needs it
nn = lazy_import("torch.nn")

N, T, D, H = 2, 4, 3, 5


def tensor(array, requires_grad=False):
    return torch.tensor(array, dtype=torch.float64, requires_grad=requires_grad)


def stacked_weights(rng, gates):
    """W_ih (gates*H, D), W_hh (gates*H, H), b_ih, b_hh (gates*H,) in PyTorch's layout."""
    return (
        rng.normal(scale=0.7, size=(gates * H, D)),
        rng.normal(scale=0.7, size=(gates * H, H)),
        rng.normal(scale=0.5, size=gates * H),
        rng.normal(scale=0.5, size=gates * H),
    )


def with_weights(module, W_ih, W_hh, b_ih, b_hh, suffix=""):
    """Copy our weights into a torch cell (suffix "") or a one-layer nn.LSTM (suffix "_l0")."""
    with torch.no_grad():
        for name, value in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), (W_ih, W_hh, b_ih, b_hh)):
            getattr(module, name + suffix).copy_(tensor(value))
    return module


@oracle
def torch_sigmoid(z):
    return torch.sigmoid(tensor(z)).numpy()


@oracle
def torch_lstm_cell(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    """(h, c) of torch.nn.LSTMCell."""
    cell = with_weights(nn.LSTMCell(D, H, dtype=torch.float64), W_ih, W_hh, b_ih, b_hh)
    with torch.no_grad():
        h, c = cell(tensor(x), (tensor(h_prev), tensor(c_prev)))
    return h.numpy(), c.numpy()


@oracle
def torch_lstm(x, h0, c0, W_ih, W_hh, b_ih, b_hh):
    """(outputs, h_T, c_T) of torch.nn.LSTM(batch_first=True)."""
    lstm = with_weights(nn.LSTM(D, H, batch_first=True, dtype=torch.float64), W_ih, W_hh, b_ih, b_hh, suffix="_l0")
    with torch.no_grad():
        outputs, (h_n, c_n) = lstm(tensor(x), (tensor(h0)[None], tensor(c0)[None]))
    return outputs.numpy(), h_n[0].numpy(), c_n[0].numpy()


@oracle
def torch_gru_cell(x, h_prev, W_ih, W_hh, b_ih, b_hh):
    """h of torch.nn.GRUCell."""
    cell = with_weights(nn.GRUCell(D, H, dtype=torch.float64), W_ih, W_hh, b_ih, b_hh)
    with torch.no_grad():
        return cell(tensor(x), tensor(h_prev)).numpy()


@oracle
def torch_parameter_count(layers):
    """The number of parameters of torch layers [(module name in torch.nn, args), ...]."""
    return sum(p.numel() for name, args in layers for p in getattr(nn, name)(*args).parameters())


@oracle
def torch_lstm_cell_grads(dh, dc, x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    """Autograd of sum(dh * h + dc * c) through torch.nn.LSTMCell:
    (dx, dh_prev, dc_prev, dW_ih, dW_hh, db_ih, db_hh)."""
    cell = with_weights(nn.LSTMCell(D, H, dtype=torch.float64), W_ih, W_hh, b_ih, b_hh)
    xt, ht, ct = tensor(x, True), tensor(h_prev, True), tensor(c_prev, True)
    h, c = cell(xt, (ht, ct))
    (h * tensor(dh) + c * tensor(dc)).sum().backward()
    variables = (xt, ht, ct, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
    return tuple(variable.grad.numpy() for variable in variables)


@oracle
def torch_concat_gate(x, h_prev, W, b):
    """sigmoid(W . [h_{t-1}, x_t] + b) with torch."""
    with torch.no_grad():
        return torch.sigmoid(torch.cat([tensor(h_prev), tensor(x)], dim=1) @ tensor(W).T + tensor(b)).numpy()


@pytest.mark.points(1)
def test_sigmoid_values_and_stability(student):
    """sigmoid: matches torch.sigmoid, without overflow warnings at |z| = 1000"""
    z = np.array([[-1000.0, -30.0, -1.5, 0.0], [0.25, 2.0, 40.0, 1000.0]])
    s, warnings = student.call_with_warnings("sigmoid", z)
    assert_close(s, torch_sigmoid(z), "sigmoid(z)", hint="sigmoid(z) = 1 / (1 + exp(-z)).")
    if warnings:
        raise AssertionError(
            f"sigmoid raised a warning ({warnings[0]}): exp(-z) overflows for large negative z. "
            "Only exponentiate numbers <= 0: use exp(z) / (1 + exp(z)) where z < 0."
        )


@pytest.mark.points(2)
def test_hand_computed_example(student):
    """LSTM gates: the lecture's hand-computed step (x = 1, h_prev = 1, c_prev = 2)"""
    x, h_prev, c_prev = np.array([[1.0]]), np.array([[1.0]]), np.array([[2.0]])

    def weights(W_x, b_x, W_h, b_h):
        return np.array([[W_x]]), np.array([b_x]), np.array([[W_h]]), np.array([b_h])

    # Each gate is checked before it goes into the next function, which must not be blamed for it.
    f = assert_array(student.forget_gate(x, h_prev, *weights(1.63, 0.0, 2.7, 1.62)), "f", shape=(1, 1))
    i = assert_array(student.input_gate(x, h_prev, *weights(1.65, 0.62, 2.0, 0.0)), "i", shape=(1, 1))
    g = assert_array(student.candidate_memory(x, h_prev, *weights(0.94, -0.32, 1.41, 0.0)), "g", shape=(1, 1))
    o = assert_array(student.output_gate(x, h_prev, *weights(-0.19, 0.0, 4.38, 0.59)), "o", shape=(1, 1))
    c = assert_array(student.next_cell_state(f, c_prev, i, g), "c", shape=(1, 1))
    h = student.next_hidden_state(o, c)

    # Computed exactly; the slide rounds every intermediate to three digits.
    for value, name, expected in [
        (f, "f", 0.99740), (i, "i", 0.98621), (g, "g", 0.96609),
        (o, "o", 0.99167), (c, "c", 2.94757), (h, "h", 0.98623),
    ]:
        assert_close(value, [[expected]], name, rtol=0, atol=5e-6, hint="Work the step out on paper as in the lecture.")


@pytest.mark.points(2)
def test_lstm_cell_matches_torch(student, rng):
    """lstm_cell_forward: h and c match torch.nn.LSTMCell"""
    x, h_prev, c_prev = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    weights = stacked_weights(rng, 4)
    h, c = assert_tuple(student.lstm_cell_forward(x, h_prev, c_prev, *weights), 2, "lstm_cell_forward", hint="Return (h, c).")
    expected_h, expected_c = torch_lstm_cell(x, h_prev, c_prev, *weights)

    assert_array(h, "h", shape=(N, H))
    assert_close(c, expected_c, "c", hint="The gate rows are stacked in the order i, f, g, o.")
    assert_close(h, expected_h, "h", hint="h = o * tanh(c).")


@pytest.mark.points(2)
def test_lstm_forward_matches_torch(student, rng):
    """lstm_forward: outputs, h_T and c_T match torch.nn.LSTM"""
    x, h0, c0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    weights = stacked_weights(rng, 4)
    outputs, final = assert_tuple(
        student.lstm_forward(x, h0, c0, *weights), 2, "lstm_forward", hint="Return (outputs, (h_T, c_T))."
    )
    h_T, c_T = assert_tuple(final, 2, "the second value of lstm_forward", hint="It is the pair (h_T, c_T).")
    expected, expected_h, expected_c = torch_lstm(x, h0, c0, *weights)

    assert_close(outputs, expected, "outputs", hint="Keep h_t of every step, carrying h and c forward.")
    assert_close(h_T, expected_h, "h_T")
    assert_close(c_T, expected_c, "c_T")


@pytest.mark.points(2)
def test_gru_cell_matches_torch(student, rng):
    """gru_cell_forward: matches torch.nn.GRUCell"""
    x, h_prev = rng.normal(size=(N, D)), rng.normal(size=(N, H))
    weights = stacked_weights(rng, 3)
    h = student.gru_cell_forward(x, h_prev, *weights)
    expected = torch_gru_cell(x, h_prev, *weights)

    assert_close(h, expected, "h", hint="Rows are stacked r, z, n; torch applies r after the product with W_hn.")


@pytest.mark.points(1)
def test_layer_counts_match_torch_modules(student):
    """layer_param_count: PyTorch counts match the parameters of nn.RNN, nn.LSTM, nn.GRU and nn.Linear"""
    modules = {"simple_rnn": "RNN", "lstm": "LSTM", "gru": "GRU", "dense": "Linear"}
    for kind, module in modules.items():
        expected = torch_parameter_count([(module, (3, 5))])
        call = f"layer_param_count({kind!r}, 3, 5, framework='torch')"
        count = assert_int(student.layer_param_count(kind, 3, 5, framework="torch"), call, whole=True)
        if count != expected:
            raise AssertionError(
                f"{call} is {count!r}, which is not the number of parameters of the PyTorch layer: "
                "count its input weights, recurrent weights and biases per gate (PyTorch keeps two bias vectors)."
            )


@pytest.mark.points(2)
def test_lecture_model_counts(student):
    """model_param_count: LSTM(3) + Dense(1) on 1 feature is 64 in Keras, 76 in PyTorch"""
    layers = [("lstm", 3), ("dense", 1)]
    torch_count = torch_parameter_count([("LSTM", (1, 3)), ("Linear", (3, 1))])
    assert torch_count == 76
    for framework, expected in (("keras", 64), ("torch", torch_count)):
        call = f"model_param_count(1, {layers}, framework={framework!r})"
        count = assert_int(student.model_param_count(1, layers, framework=framework), call, whole=True)
        if count != expected:
            raise AssertionError(
                f"{call} is {count!r}: count, per gate, the input weights, the recurrent weights and "
                "the biases (Keras: one bias per gate; PyTorch: two), then the Dense layer's weights and bias."
            )


@pytest.mark.points(2)
def test_lstm_cell_backward_matches_autograd(student, rng):
    """lstm_cell_backward: gradients match torch autograd"""
    x, h_prev, c_prev = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    dh, dc = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    weights = stacked_weights(rng, 4)
    names = ("dx", "dh_prev", "dc_prev", "dW_ih", "dW_hh", "db_ih", "db_hh")
    grads = assert_tuple(
        student.lstm_cell_backward(dh, dc, x, h_prev, c_prev, *weights), len(names),
        "lstm_cell_backward", hint=f"Return ({', '.join(names)}).",
    )
    expected = torch_lstm_cell_grads(dh, dc, x, h_prev, c_prev, *weights)

    for grad, name, reference in zip(grads, names, expected):
        assert_close(grad, reference, name, hint="Go back through the hidden-state equation, then through the cell-state update.")


@pytest.mark.points(1)
def test_concat_to_split_gives_the_same_gate(student, rng):
    """concat_to_split: the split form computes the same gate as sigmoid(W . [h_{t-1}, x_t] + b)"""
    x, h_prev = rng.normal(size=(N, D)), rng.normal(size=(N, H))
    W, b = rng.normal(size=(H, H + D)), rng.normal(size=H)
    parts = assert_tuple(
        student.concat_to_split(W, b, D), 4, "concat_to_split", hint="Return (W_x, b_x, W_h, b_h)."
    )
    W_x, b_x, W_h, b_h = (assert_array(p, name) for p, name in zip(parts, ("W_x", "b_x", "W_h", "b_h")))
    # Your weights in numpy (the autograder cannot know them ahead), the gate to match by torch.
    z = x @ W_x.T + b_x + h_prev @ W_h.T + b_h
    split = 0.5 * (1.0 + np.tanh(z / 2))  # sigmoid(z), without overflow
    assert_close(
        split, torch_concat_gate(x, h_prev, W, b), "the gate computed from your split weights",
        hint="In [h_{t-1}, x_t] the hidden state comes first; the one bias b must be added exactly once.",
    )
