"""HW1 written another way: np.einsum for every product, an activation table, and truncated
BPTT done chunk by chunk (each chunk backpropagated on its own, starting from zero)."""

import numpy as np

_ACT = {
    "tanh": np.tanh,
    "sigmoid": lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)),  # the same function as 1 / (1 + e^-z)
    "relu": lambda z: np.where(z > 0, z, 0.0),
}
# derivative as a function of the activation's output a = act(z)
_DACT = {
    "tanh": lambda a: 1.0 - a * a,
    "sigmoid": lambda a: a - a * a,
    "relu": lambda a: np.where(a > 0, 1.0, 0.0),
}


def _act(name):
    try:
        return _ACT[name], _DACT[name]
    except (KeyError, TypeError):
        raise ValueError(f"bad activation {name!r}") from None


def rnn_cell_forward(x, h_prev, W_xh, W_hh, b_h, activation="tanh"):
    f, _ = _act(activation)
    return f(np.einsum("nd,hd->nh", x, W_xh) + np.einsum("nk,hk->nh", h_prev, W_hh) + b_h[None, :])


def _states(x, h0, W_xh, W_hh, b_h, activation):
    """All states h_0 .. h_T stacked on axis 1: (N, T + 1, H)."""
    states = [np.array(h0, dtype=float)]
    for t in range(x.shape[1]):
        states.append(rnn_cell_forward(x[:, t, :], states[-1], W_xh, W_hh, b_h, activation))
    return np.stack(states, axis=1)


def rnn_forward(x, h0, W_xh, W_hh, b_h, activation="tanh"):
    s = _states(x, h0, W_xh, W_hh, b_h, activation)
    return s[:, 1:, :], s[:, -1, :].copy()


def rnn_cell_backward(dh_next, x, h_prev, W_xh, W_hh, b_h):
    a = rnn_cell_forward(x, h_prev, W_xh, W_hh, b_h)
    g = dh_next * _DACT["tanh"](a)
    return (
        np.einsum("nh,hd->nd", g, W_xh),
        np.einsum("nh,hk->nk", g, W_hh),
        np.einsum("nh,nd->hd", g, x),
        np.einsum("nh,nk->hk", g, h_prev),
        np.einsum("nh->h", g),
    )


def rnn_backward(doutputs, x, h0, W_xh, W_hh, b_h, truncate=None):
    T = x.shape[1]
    if truncate is None:
        k = max(T, 1)
    elif isinstance(truncate, (int, np.integer)) and type(truncate) is not bool and truncate > 0:
        k = int(truncate)
    else:
        raise ValueError("truncate must be None or a positive integer")
    s = _states(x, h0, W_xh, W_hh, b_h, "tanh")
    dx = np.zeros_like(x, dtype=float)
    dWx, dWh, db = (np.zeros_like(w, dtype=float) for w in (W_xh, W_hh, b_h))
    dh0 = np.zeros_like(h0, dtype=float)
    # chunks [0, k), [k, 2k), ...: gradient never leaves a chunk
    for start in range(0, T, k):
        carry = np.zeros_like(h0, dtype=float)
        for t in range(min(start + k, T) - 1, start - 1, -1):
            g = (doutputs[:, t, :] + carry) * (1.0 - s[:, t + 1, :] ** 2)
            dx[:, t, :] = np.einsum("nh,hd->nd", g, W_xh)
            carry = np.einsum("nh,hk->nk", g, W_hh)
            dWx = dWx + np.einsum("nh,nd->hd", g, x[:, t, :])
            dWh = dWh + np.einsum("nh,nk->hk", g, s[:, t, :])
            db = db + g.sum(0)
        if start == 0:
            dh0 = carry
    return dx, dh0, dWx, dWh, db


def clip_grad_norm(grads, max_norm):
    norm = np.sqrt(sum(np.einsum("i,i->", np.ravel(g), np.ravel(g)) for g in grads))
    factor = max_norm / norm if norm > max_norm else 1.0
    return [np.array(g, dtype=float) * factor for g in grads]


def output_layer(h, W_hy, b_y):
    return np.einsum("nh,oh->no", h, W_hy) + b_y


def gradient_norms_through_time(dh_last, x, h0, W_xh, W_hh, b_h, activation="tanh"):
    _, dact = _act(activation)
    s = _states(x, h0, W_xh, W_hh, b_h, activation)
    g = np.array(dh_last, dtype=float)
    out = [np.sqrt(np.einsum("nh,nh->", g, g))]
    for t in range(x.shape[1], 0, -1):
        g = np.einsum("nh,hk->nk", g * dact(s[:, t, :]), W_hh)
        out.append(np.sqrt(np.einsum("nh,nh->", g, g)))
    return np.array(out)
