"""HW1 written another way: the forward step returns a cache that the backward step consumes,
truncated BPTT runs like a training loop (forward a chunk, backward that chunk, detach), and the
gradient norms come from explicit per-example Jacobians."""

import numbers

import numpy as np


def _nonlinearity(z, activation):
    if activation == "tanh":
        return np.tanh(z)
    elif activation == "sigmoid":
        return np.exp(-np.logaddexp(0.0, -z))  # a numerically safe 1 / (1 + exp(-z))
    elif activation == "relu":
        return z * (z > 0)
    raise ValueError("activation must be 'tanh', 'sigmoid' or 'relu'")


def _nonlinearity_grad(z, activation):
    """d act / d z evaluated at the pre-activation z."""
    if activation == "tanh":
        return 1.0 - np.tanh(z) ** 2
    if activation == "sigmoid":
        s = _nonlinearity(z, "sigmoid")
        return s * (1.0 - s)
    return (z > 0).astype(float)


def _step_forward(x, h_prev, W_xh, W_hh, b_h, activation):
    z = np.dot(x, W_xh.T) + np.dot(h_prev, W_hh.T) + b_h
    h = _nonlinearity(z, activation)
    return h, {"x": x, "h_prev": h_prev, "z": z, "activation": activation}


def _step_backward(dh, cache, W_xh, W_hh):
    dz = dh * _nonlinearity_grad(cache["z"], cache["activation"])
    return (
        np.dot(dz, W_xh),
        np.dot(dz, W_hh),
        np.dot(dz.T, cache["x"]),
        np.dot(dz.T, cache["h_prev"]),
        np.sum(dz, axis=0),
    )


def rnn_cell_forward(x, h_prev, W_xh, W_hh, b_h, activation="tanh"):
    return _step_forward(x, h_prev, W_xh, W_hh, b_h, activation)[0]


def _run(x, h0, W_xh, W_hh, b_h, activation, start=0, stop=None):
    stop = x.shape[1] if stop is None else stop
    h, hs, caches = h0, [], []
    for t in range(start, stop):
        h, cache = _step_forward(x[:, t], h, W_xh, W_hh, b_h, activation)
        hs.append(h)
        caches.append(cache)
    return hs, caches


def rnn_forward(x, h0, W_xh, W_hh, b_h, activation="tanh"):
    hs, _ = _run(x, h0, W_xh, W_hh, b_h, activation)
    outputs = np.stack(hs, axis=1)
    return outputs, hs[-1]


def rnn_cell_backward(dh_next, x, h_prev, W_xh, W_hh, b_h):
    _, cache = _step_forward(x, h_prev, W_xh, W_hh, b_h, "tanh")
    return _step_backward(dh_next, cache, W_xh, W_hh)


def rnn_backward(doutputs, x, h0, W_xh, W_hh, b_h, truncate=None):
    if truncate is not None:
        is_int = isinstance(truncate, numbers.Integral) and not isinstance(truncate, bool)
        if not is_int or truncate <= 0:
            raise ValueError("truncate: expected None or an integer >= 1")
    N, T, _ = x.shape
    chunk = T if truncate is None else int(truncate)
    grads = {"dx": np.zeros(x.shape), "dW_xh": np.zeros(W_xh.shape),
             "dW_hh": np.zeros(W_hh.shape), "db_h": np.zeros(b_h.shape)}
    dh0 = np.zeros(h0.shape)
    h = h0
    for start in range(0, T, max(chunk, 1)):
        stop = min(start + chunk, T)
        hs, caches = _run(x, h, W_xh, W_hh, b_h, "tanh", start, stop)
        dh = np.zeros(h0.shape)
        for t in range(stop - 1, start - 1, -1):
            cache = caches[t - start]
            dx_t, dh, dWx, dWh, db = _step_backward(doutputs[:, t] + dh, cache, W_xh, W_hh)
            grads["dx"][:, t] = dx_t
            grads["dW_xh"] += dWx
            grads["dW_hh"] += dWh
            grads["db_h"] += db
        if start == 0:
            dh0 = dh
        h = hs[-1]  # the next chunk starts from here, "detached": nothing flows back into it
    return grads["dx"], dh0, grads["dW_xh"], grads["dW_hh"], grads["db_h"]


def clip_grad_norm(grads, max_norm):
    total = float(np.sqrt(sum(float(np.vdot(g, g)) for g in grads)))
    if total > max_norm:
        return [np.multiply(g, max_norm / total) for g in grads]
    return [np.copy(g) for g in grads]


def output_layer(h, W_hy, b_y):
    return np.dot(h, W_hy.T) + b_y[np.newaxis, :]


def gradient_norms_through_time(dh_last, x, h0, W_xh, W_hh, b_h, activation="tanh"):
    _nonlinearity(np.zeros(1), activation)  # validates the name
    _, caches = _run(x, h0, W_xh, W_hh, b_h, activation)
    N = dh_last.shape[0]
    g = [dh_last[n].copy() for n in range(N)]
    norms = [np.linalg.norm(dh_last)]
    for cache in reversed(caches):
        d = _nonlinearity_grad(cache["z"], activation)
        for n in range(N):
            # Jacobian of h_t with respect to h_{t-1} for example n: diag(act'(z)) W_hh
            jacobian = np.diag(d[n]) @ W_hh
            g[n] = g[n] @ jacobian
        norms.append(np.sqrt(sum(np.sum(v ** 2) for v in g)))
    return np.asarray(norms)
