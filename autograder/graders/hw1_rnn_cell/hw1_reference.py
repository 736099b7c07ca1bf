"""Grader-side references for HW1, built on torch (stays on the autograder, never shipped).

Every expected value is computed here with torch's own RNN modules, autograd, clip_grad_norm_,
nn.Linear, or numerical differences of a torch forward pass. Nothing here imports or copies the
reference solution, so a bug in the solution cannot hide a bug in the graders.

Arrays go in and come out as numpy float64; layouts follow the homework:
x (N, D) or (N, T, D), h (N, H), W_xh (H, D), W_hh (H, H), b_h (H,).
"""

import numpy as np

from numerical import numerical_grad
from rnnkit_testing import lazy_import, oracle

# Grading finds these functions' results stored (rnnkit_testing/oracles.py) and never loads torch.
torch = lazy_import("torch")
nn = lazy_import("torch.nn")


# ---------------------------------------------------------------- data


def random_params(rng, D, H, scale=0.6):
    """W_xh (H, D), W_hh (H, H), b_h (H,): not symmetric, so a missing transpose shows."""
    W_xh = rng.normal(scale=scale / np.sqrt(D), size=(H, D))
    W_hh = rng.normal(scale=scale / np.sqrt(H), size=(H, H))
    b_h = rng.normal(scale=0.5, size=H)
    assert not np.allclose(W_hh, W_hh.T), "grader data: W_hh should not be symmetric"
    return W_xh, W_hh, b_h


def random_problem(rng, N, T, D, H):
    """x (N, T, D), nonzero h0 (N, H) and weights for a sequence problem."""
    x = rng.normal(size=(N, T, D))
    h0 = rng.normal(scale=0.5, size=(N, H))
    return (x, h0, *random_params(rng, D, H))


# ---------------------------------------------------------------- torch modules


def _t(array, requires_grad=False):
    array = np.asarray(array, dtype=np.float64)
    return torch.tensor(array, dtype=torch.float64, requires_grad=requires_grad)


def _np(tensor):
    return tensor.detach().numpy().copy()


def _load(module, suffix, W_xh, W_hh, b_h):
    """Copy the homework's weights into an nn.RNN/RNNCell; the second bias (bias_hh) is zero."""
    with torch.no_grad():
        getattr(module, "weight_ih" + suffix).copy_(_t(W_xh))
        getattr(module, "weight_hh" + suffix).copy_(_t(W_hh))
        getattr(module, "bias_ih" + suffix).copy_(_t(b_h))
        getattr(module, "bias_hh" + suffix).zero_()
    return module


def rnn_cell(W_xh, W_hh, b_h, activation="tanh"):
    """nn.RNNCell holding the weights (tanh, relu), or a sigmoid cell written with torch ops.

    Returns (cell, parameters) where parameters are the tensors that play W_xh, W_hh, b_h.
    """
    H, D = np.shape(W_xh)
    if activation == "sigmoid":
        params = [_t(W_xh, True), _t(W_hh, True), _t(b_h, True)]

        def cell(x, h):
            return torch.sigmoid(
                nn.functional.linear(x, params[0], params[2]) + nn.functional.linear(h, params[1])
            )

        return cell, params
    cell = _load(nn.RNNCell(D, H, nonlinearity=activation, dtype=torch.float64), "", W_xh, W_hh, b_h)
    return cell, [cell.weight_ih, cell.weight_hh, cell.bias_ih]


@oracle
def cell_forward(x, h_prev, W_xh, W_hh, b_h, activation="tanh"):
    """One step: h_next (N, H)."""
    cell, _ = rnn_cell(W_xh, W_hh, b_h, activation)
    with torch.no_grad():
        return _np(cell(_t(x), _t(h_prev)))


def _torch_rnn_forward(x, h0, W_xh, W_hh, b_h, activation):
    """Tensors in, (outputs, h_last) tensors out; nn.RNN for tanh/relu, a loop for sigmoid."""
    if activation == "sigmoid":
        cell, _ = rnn_cell(W_xh, W_hh, b_h, "sigmoid")
        states, h = [], h0
        for t in range(x.shape[1]):
            h = cell(x[:, t], h)
            states.append(h)
        return torch.stack(states, dim=1), h
    H, D = np.shape(W_xh)
    rnn = nn.RNN(D, H, nonlinearity=activation, batch_first=True, dtype=torch.float64)
    _load(rnn, "_l0", W_xh, W_hh, b_h)
    outputs, h_n = rnn(x, h0[None])
    return outputs, h_n[0]


@oracle
def sequence_forward(x, h0, W_xh, W_hh, b_h, activation="tanh"):
    """torch.nn.RNN(batch_first=True): (outputs (N, T, H), h_last (N, H))."""
    with torch.no_grad():
        outputs, h_last = _torch_rnn_forward(_t(x), _t(h0), W_xh, W_hh, b_h, activation)
    return _np(outputs), _np(h_last)


@oracle
def linear(h, W_hy, b_y):
    """nn.Linear with weight W_hy (O, H) and bias b_y (O,)."""
    O, H = np.shape(W_hy)
    layer = nn.Linear(H, O, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(_t(W_hy))
        layer.bias.copy_(_t(b_y))
        return _np(layer(_t(h)))


# ---------------------------------------------------------------- gradients by autograd


@oracle
def cell_grads(dh_next, x, h_prev, W_xh, W_hh, b_h):
    """Autograd through nn.RNNCell (tanh): (dx, dh_prev, dW_xh, dW_hh, db_h)."""
    cell, params = rnn_cell(W_xh, W_hh, b_h, "tanh")
    xt, ht = _t(x, True), _t(h_prev, True)
    (cell(xt, ht) * _t(dh_next)).sum().backward()
    return tuple(_np(v.grad) for v in (xt, ht, *params))


@oracle
def bptt_grads(doutputs, x, h0, W_xh, W_hh, b_h, truncate=None):
    """Autograd of sum(doutputs * outputs): (dx, dh0, dW_xh, dW_hh, db_h).

    Full BPTT goes through nn.RNN. Truncated BPTT is a loop of nn.RNNCell steps that detaches
    the state after steps k, 2k, ... (counted from 1), which is what the homework asks for.
    """
    xt, h0t = _t(x, True), _t(h0, True)
    if truncate is None:
        H, D = np.shape(W_xh)
        rnn = _load(nn.RNN(D, H, batch_first=True, dtype=torch.float64), "_l0", W_xh, W_hh, b_h)
        outputs, _ = rnn(xt, h0t[None])
        params = [rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0]
    else:
        cell, params = rnn_cell(W_xh, W_hh, b_h, "tanh")
        states, h = [], h0t
        for t in range(x.shape[1]):
            h = cell(xt[:, t], h)
            states.append(h)
            if (t + 1) % truncate == 0:
                h = h.detach()
        outputs = torch.stack(states, dim=1)
    (outputs * _t(doutputs)).sum().backward()
    return tuple(_np(v.grad) for v in (xt, h0t, *params))


@oracle
def state_grad_norms(dh_last, x, h0, W_xh, W_hh, b_h, activation="tanh"):
    """Autograd of sum(dh_last * h_T): norms of the gradient at h_T, h_{T-1}, ..., h_0."""
    cell, _ = rnn_cell(W_xh, W_hh, b_h, activation)
    h = _t(h0, True)
    states = [h]
    for t in range(x.shape[1]):
        h = cell(_t(x[:, t]), h)
        h.retain_grad()
        states.append(h)
    (h * _t(dh_last)).sum().backward()
    return np.array([float(torch.linalg.norm(s.grad)) for s in reversed(states)])


@oracle
def clip(grads, max_norm):
    """torch.nn.utils.clip_grad_norm_ applied to copies of `grads`: the clipped list."""
    params = []
    for g in grads:
        p = torch.zeros(np.shape(g), dtype=torch.float64, requires_grad=True)
        p.grad = _t(g)
        params.append(p)
    nn.utils.clip_grad_norm_(params, max_norm)
    return [_np(p.grad) for p in params]


# ---------------------------------------------------------------- numerical gradients


def cell_loss(dh_next, x, h_prev, W_xh, W_hh, b_h):
    """sum(dh_next * h_next) through nn.RNNCell, as a float."""
    return float(np.sum(dh_next * cell_forward(x, h_prev, W_xh, W_hh, b_h, "tanh")))


def sequence_loss(doutputs, x, h0, W_xh, W_hh, b_h):
    """sum(doutputs * outputs) through nn.RNN, as a float."""
    return float(np.sum(doutputs * sequence_forward(x, h0, W_xh, W_hh, b_h, "tanh")[0]))


@oracle
def cell_numerical_grads(dh_next, x, h_prev, W_xh, W_hh, b_h):
    """Central differences of cell_loss for x, h_prev, W_xh, W_hh, b_h."""
    variables = [np.array(v) for v in (x, h_prev, W_xh, W_hh, b_h)]
    return tuple(numerical_grad(lambda: cell_loss(dh_next, *variables), v) for v in variables)


@oracle
def sequence_numerical_grads(doutputs, x, h0, W_xh, W_hh, b_h):
    """Central differences of sequence_loss for x, h0, W_xh, W_hh, b_h."""
    variables = [np.array(v) for v in (x, h0, W_xh, W_hh, b_h)]
    return tuple(numerical_grad(lambda: sequence_loss(doutputs, *variables), v) for v in variables)


CELL_GRADS = ("dx", "dh_prev", "dW_xh", "dW_hh", "db_h")
BPTT_GRADS = ("dx", "dh0", "dW_xh", "dW_hh", "db_h")
