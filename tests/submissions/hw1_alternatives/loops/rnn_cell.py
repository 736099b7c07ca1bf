"""HW1 written another way: one example at a time, with column-vector formulas exactly as on
the slides (h_t = act(W x_t + U h_{t-1} + b)), and results gathered into batch arrays."""

import numpy as np


def _apply(activation, z):
    if activation == "tanh":
        return np.tanh(z)
    if activation == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if activation == "relu":
        return np.maximum(0, z)
    raise ValueError("unsupported activation: " + repr(activation))


def _slope(activation, h):
    if activation == "tanh":
        return 1 - h ** 2
    if activation == "sigmoid":
        return h * (1 - h)
    return np.where(h > 0, 1.0, 0.0)


def rnn_cell_forward(x, h_prev, W_xh, W_hh, b_h, activation="tanh"):
    rows = []
    for n in range(x.shape[0]):
        rows.append(_apply(activation, W_xh @ x[n] + W_hh @ h_prev[n] + b_h))
    if not rows:  # still validate the activation for an empty batch
        _apply(activation, np.zeros(0))
    return np.array(rows).reshape(x.shape[0], W_hh.shape[0])


def rnn_forward(x, h0, W_xh, W_hh, b_h, activation="tanh"):
    N, T = x.shape[0], x.shape[1]
    H = W_hh.shape[0]
    outputs = np.zeros((N, T, H))
    for n in range(N):
        h = h0[n]
        for t in range(T):
            h = _apply(activation, W_xh @ x[n, t] + W_hh @ h + b_h)
            outputs[n, t] = h
    return outputs, np.array(outputs[:, T - 1])


def rnn_cell_backward(dh_next, x, h_prev, W_xh, W_hh, b_h):
    N, H, D = x.shape[0], W_hh.shape[0], W_xh.shape[1]
    dx, dh_prev = np.zeros((N, D)), np.zeros((N, H))
    dW_xh, dW_hh, db_h = np.zeros((H, D)), np.zeros((H, H)), np.zeros(H)
    for n in range(N):
        h = np.tanh(W_xh @ x[n] + W_hh @ h_prev[n] + b_h)
        delta = dh_next[n] * (1 - h ** 2)
        dx[n] = W_xh.T @ delta
        dh_prev[n] = W_hh.T @ delta
        dW_xh += np.outer(delta, x[n])
        dW_hh += np.outer(delta, h_prev[n])
        db_h += delta
    return dx, dh_prev, dW_xh, dW_hh, db_h


def rnn_backward(doutputs, x, h0, W_xh, W_hh, b_h, truncate=None):
    if truncate is not None:
        if type(truncate) is bool or not isinstance(truncate, (int, np.integer)):
            raise ValueError("truncate must be an int")
        if truncate < 1:
            raise ValueError("truncate must be at least 1")
    N, T, D = x.shape
    H = W_hh.shape[0]
    outputs, _ = rnn_forward(x, h0, W_xh, W_hh, b_h)
    dx, dh0 = np.zeros((N, T, D)), np.zeros((N, H))
    dW_xh, dW_hh, db_h = np.zeros((H, D)), np.zeros((H, H)), np.zeros(H)
    for n in range(N):
        back = np.zeros(H)
        for t in range(T - 1, -1, -1):
            step = t + 1  # 1-indexed step that produced outputs[n, t]
            if truncate is not None and step % truncate == 0:
                back = np.zeros(H)  # the state after this step was detached
            h_before = h0[n] if t == 0 else outputs[n, t - 1]
            delta = (doutputs[n, t] + back) * (1 - outputs[n, t] ** 2)
            dx[n, t] = W_xh.T @ delta
            dW_xh += np.outer(delta, x[n, t])
            dW_hh += np.outer(delta, h_before)
            db_h += delta
            back = W_hh.T @ delta
        dh0[n] = back
    return dx, dh0, dW_xh, dW_hh, db_h


def clip_grad_norm(grads, max_norm):
    squares = 0.0
    for g in grads:
        for value in np.ravel(g):
            squares += value * value
    norm = squares ** 0.5
    result = []
    for g in grads:
        if norm > max_norm:
            result.append(g / norm * max_norm)
        else:
            result.append(np.array(g, copy=True))
    return result


def output_layer(h, W_hy, b_y):
    rows = [W_hy @ h[n] + b_y for n in range(h.shape[0])]
    return np.array(rows).reshape(h.shape[0], W_hy.shape[0])


def gradient_norms_through_time(dh_last, x, h0, W_xh, W_hh, b_h, activation="tanh"):
    outputs, _ = rnn_forward(x, h0, W_xh, W_hh, b_h, activation)
    N, T = x.shape[0], x.shape[1]
    norms = np.zeros(T + 1)
    squares = np.zeros(T + 1)
    for n in range(N):
        g = dh_last[n]
        squares[0] += g @ g
        for k in range(1, T + 1):
            t = T - k  # index of h_{t+1} in outputs
            g = W_hh.T @ (g * _slope(activation, outputs[n, t]))
            squares[k] += g @ g
    norms[:] = np.sqrt(squares)
    return norms
