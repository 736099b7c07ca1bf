"""Grader-side references for HW2, built on torch (stays on the autograder, never shipped).

Expected values come from torch.nn.LSTMCell, nn.LSTM, nn.GRUCell, nn.RNN, nn.Linear, autograd, and
(for the split-gate functions and the slides' GRU variant) a few lines of torch ops that follow the
lecture's formulas. Nothing here imports or copies the reference solution.

Arrays go in and come out as numpy float64; layouts follow the homework: x (N, D), h and c (N, H),
stacked LSTM weights W_ih (4H, D), W_hh (4H, H), b_ih and b_hh (4H,) with gate rows i, f, g, o;
stacked GRU weights (3H, ...) with rows r, z, n.
"""

import itertools

import numpy as np

from numerical import numerical_grad
from rnnkit_testing import lazy_import, oracle

# Grading finds these functions' results stored (rnnkit_testing/oracles.py) and never loads torch.
torch = lazy_import("torch")
nn = lazy_import("torch.nn")
LSTM_GATES = ("i", "f", "g", "o")  # torch's row order in the stacked weights
GRU_GATES = ("r", "z", "n")


def _t(array, requires_grad=False):
    return torch.tensor(np.asarray(array, dtype=np.float64), dtype=torch.float64, requires_grad=requires_grad)


def _np(tensor):
    return tensor.detach().numpy().copy()


# ---------------------------------------------------------------- the slides' hand-computed example

# x = 1, h_prev = 1, c_prev = 2 and one unit: each gate is (W_i*, b_i*, W_h*, b_h*).
SLIDE_X, SLIDE_H_PREV, SLIDE_C_PREV = 1.0, 1.0, 2.0
SLIDE_GATES = {
    "forget_gate": (1.63, 0.0, 2.7, 1.62),
    "input_gate": (1.65, 0.62, 2.0, 0.0),
    "candidate_memory": (0.94, -0.32, 1.41, 0.0),
    "output_gate": (-0.19, 0.0, 4.38, 0.59),
}
# Computed exactly (the slide rounds the intermediates to three digits).
SLIDE_VALUES = {
    "forget_gate": 0.99740,
    "input_gate": 0.98621,
    "candidate_memory": 0.96609,
    "output_gate": 0.99167,
    "c": 2.94757,
    "h": 0.98623,
}


def slide_gate_args(gate):
    """(x, h_prev, W_x, b_x, W_h, b_h) of the slide's example for `gate`, as 1-unit arrays."""
    W_x, b_x, W_h, b_h = SLIDE_GATES[gate]
    return (
        np.array([[SLIDE_X]]), np.array([[SLIDE_H_PREV]]),
        np.array([[W_x]]), np.array([b_x]), np.array([[W_h]]), np.array([b_h]),
    )


# ---------------------------------------------------------------- data


def random_gate_params(rng, D, H, scale=0.8):
    """W_x (H, D), b_x (H,), W_h (H, H), b_h (H,) for one gate; W_h is not symmetric."""
    W_x = rng.normal(scale=scale, size=(H, D))
    W_h = rng.normal(scale=scale, size=(H, H))
    assert not np.allclose(W_h, W_h.T), "grader data: W_h should not be symmetric"
    return W_x, rng.normal(scale=0.5, size=H), W_h, rng.normal(scale=0.5, size=H)


def random_stacked_params(rng, D, H, gates, scale=0.7):
    """W_ih (gates*H, D), W_hh (gates*H, H), b_ih, b_hh (gates*H,).

    Each gate gets its own scale and offset so that any two gate blocks are clearly different and
    a mix-up in the gate order always changes the result.
    """
    blocks = []
    for k in range(gates):
        offset = (k - (gates - 1) / 2) * 0.6
        blocks.append((
            rng.normal(loc=offset, scale=scale, size=(H, D)),
            rng.normal(loc=-offset, scale=scale, size=(H, H)),
            rng.normal(loc=offset, scale=0.5, size=H),
            rng.normal(loc=-offset / 2, scale=0.5, size=H),
        ))
    return tuple(np.concatenate([b[j] for b in blocks], axis=0) for j in range(4))


# ---------------------------------------------------------------- forward references


def wrong_gate_order(matches, cell, torch_order, W_ih, W_hh, b_ih, b_hh):
    """The order in which a student read the stacked gate blocks, if their result shows one.

    For each reading other than `torch_order` (a reading names the gate each block is taken for:
    ("i", "f", "o", "g") uses block 2 as o and block 3 as g), the weights are rearranged so that
    torch, which reads `torch_order`, computes what that student computes. Returns the first
    reading for which ``matches(cell(*rearranged_weights))`` holds, or None.

    Every reading's result is computed before any is compared: the torch results stored for
    grading are recorded on the reference solution, and must hold every reading whatever answer
    the first match stops at.
    """
    results = []
    for reading in itertools.permutations(torch_order):
        if reading == tuple(torch_order):
            continue
        rearranged = tuple(
            np.concatenate([np.split(w, len(torch_order))[reading.index(gate)] for gate in torch_order])
            for w in (W_ih, W_hh, b_ih, b_hh)
        )
        results.append((reading, cell(*rearranged)))
    return next((reading for reading, result in results if matches(result)), None)



@oracle
def sigmoid(z):
    with torch.no_grad():
        return _np(torch.sigmoid(_t(z)))


@oracle
def gate(x, h_prev, W_x, b_x, W_h, b_h, activation):
    """activation(x W_x^T + b_x + h_prev W_h^T + b_h) with torch ops: one gate of the split form."""
    act = {"sigmoid": torch.sigmoid, "tanh": torch.tanh}[activation]
    with torch.no_grad():
        return _np(act(nn.functional.linear(_t(x), _t(W_x), _t(b_x)) + nn.functional.linear(_t(h_prev), _t(W_h), _t(b_h))))


def _load(module, suffix, W_ih, W_hh, b_ih, b_hh):
    with torch.no_grad():
        for name, value in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), (W_ih, W_hh, b_ih, b_hh)):
            getattr(module, name + suffix).copy_(_t(value))
    return module


def lstm_cell(W_ih, W_hh, b_ih, b_hh):
    """torch.nn.LSTMCell holding the stacked weights."""
    H4, D = np.shape(W_ih)
    return _load(nn.LSTMCell(D, H4 // 4, dtype=torch.float64), "", W_ih, W_hh, b_ih, b_hh)


@oracle
def lstm_cell_forward(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    """(h, c) from torch.nn.LSTMCell."""
    with torch.no_grad():
        h, c = lstm_cell(W_ih, W_hh, b_ih, b_hh)(_t(x), (_t(h_prev), _t(c_prev)))
    return _np(h), _np(c)


@oracle
def lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh):
    """(outputs, (h_T, c_T)) from torch.nn.LSTM(batch_first=True)."""
    H4, D = np.shape(W_ih)
    lstm = _load(nn.LSTM(D, H4 // 4, batch_first=True, dtype=torch.float64), "_l0", W_ih, W_hh, b_ih, b_hh)
    with torch.no_grad():
        outputs, (h_n, c_n) = lstm(_t(x), (_t(h0)[None], _t(c0)[None]))
    return _np(outputs), (_np(h_n[0]), _np(c_n[0]))


@oracle
def gru_cell_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh, reset_after=True):
    """torch.nn.GRUCell (reset_after=True), or the slides' GRU written with torch ops."""
    H3, D = np.shape(W_ih)
    if reset_after:
        with torch.no_grad():
            cell = _load(nn.GRUCell(D, H3 // 3, dtype=torch.float64), "", W_ih, W_hh, b_ih, b_hh)
            return _np(cell(_t(x), _t(h_prev)))
    _, z, n = gru_gates(x, h_prev, W_ih, W_hh, b_ih, b_hh, reset_after=False)
    return (1 - z) * n + z * np.asarray(h_prev, dtype=float)


# ---------------------------------------------------------------- backward reference


@oracle
def lstm_cell_grads(dh, dc, x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    """Autograd of sum(dh * h + dc * c) through nn.LSTMCell:
    (dx, dh_prev, dc_prev, dW_ih, dW_hh, db_ih, db_hh)."""
    cell = lstm_cell(W_ih, W_hh, b_ih, b_hh)
    xt, ht, ct = _t(x, True), _t(h_prev, True), _t(c_prev, True)
    h, c = cell(xt, (ht, ct))
    (h * _t(dh) + c * _t(dc)).sum().backward()
    return tuple(_np(v.grad) for v in (xt, ht, ct, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh))


LSTM_GRADS = ("dx", "dh_prev", "dc_prev", "dW_ih", "dW_hh", "db_ih", "db_hh")


# ---------------------------------------------------------------- parameter counts

TORCH_LAYERS = {"simple_rnn": "RNN", "lstm": "LSTM", "gru": "GRU", "dense": "Linear"}  # in torch.nn


@oracle
def torch_param_count(input_dim, layers):
    """sum(p.numel() for p in model.parameters()) of real torch layers stacked as `layers`."""
    total = 0
    for kind, units in layers:
        module = getattr(nn, TORCH_LAYERS[kind])(input_dim, units)
        total += sum(p.numel() for p in module.parameters())
        input_dim = units
    return total


def keras_param_count(input_dim, layers, reset_after=True):
    """What Keras 3's model.summary() reports for `layers` (checked against real Keras by the
    kit's own tests, tests/test_hw2_keras_counts.py, since the autograder does not ship Keras).

    Keras keeps one bias vector per gate (a GRU with reset_after=True keeps two); the matrices are
    the same as torch's: per gate, an (input_dim x units) kernel and a (units x units) recurrent one.
    """
    gates = {"simple_rnn": 1, "lstm": 4, "gru": 3}
    total = 0
    for kind, units in layers:
        if kind == "dense":
            total += input_dim * units + units
        else:
            biases = 2 if kind == "gru" and reset_after else 1
            total += gates[kind] * (input_dim * units + units * units + biases * units)
        input_dim = units
    return total


# ---------------------------------------------------------------- helpers of test_5 to test_8


@oracle
def gru_gates(x, h_prev, W_ih, W_hh, b_ih, b_hh, reset_after=True):
    """(r, z, n) of one GRU step with torch ops: the slides' GRU (reset_after=False), and the
    gates behind a student's known mistakes."""
    H = np.shape(W_ih)[0] // 3
    x, h = _t(x), _t(h_prev)
    W_ir, W_iz, W_in = _t(W_ih).split(H)
    W_hr, W_hz, W_hn = _t(W_hh).split(H)
    b_ir, b_iz, b_in = _t(b_ih).split(H)
    b_hr, b_hz, b_hn = _t(b_hh).split(H)
    linear = nn.functional.linear
    r = torch.sigmoid(linear(x, W_ir, b_ir) + linear(h, W_hr, b_hr))
    z = torch.sigmoid(linear(x, W_iz, b_iz) + linear(h, W_hz, b_hz))
    if reset_after:
        n = torch.tanh(linear(x, W_in, b_in) + r * linear(h, W_hn, b_hn))
    else:
        n = torch.tanh(linear(x, W_in, b_in) + linear(r * h, W_hn, b_hn))
    return _np(r), _np(z), _np(n)


@oracle
def concat_gate(x, h_prev, W, b, activation="sigmoid"):
    """activation(W . [h_{t-1}, x_t] + b) computed by torch on the concatenated rows [h_prev, x]."""
    act = {"sigmoid": torch.sigmoid, "tanh": torch.tanh}[activation]
    with torch.no_grad():
        return _np(act(nn.functional.linear(torch.cat([_t(h_prev), _t(x)], dim=1), _t(W), _t(b))))


def lstm_cell_loss(dh, dc, x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    """sum(dh * h + dc * c) through nn.LSTMCell, as a float."""
    h, c = lstm_cell_forward(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh)
    return float(np.sum(dh * h) + np.sum(dc * c))


@oracle
def lstm_numerical_grads(dh, dc, x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    """Central differences of lstm_cell_loss for x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh."""
    variables = [np.array(v) for v in (x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh)]
    return tuple(numerical_grad(lambda: lstm_cell_loss(dh, dc, *variables), v) for v in variables)
