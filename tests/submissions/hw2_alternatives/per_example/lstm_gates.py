"""HW2 written another way: one example of the batch at a time, with column vectors exactly as on
the slides (f_t = sigmoid(W_f x_t + b_f + U_f h_{t-1} + c_f)), results written row by row into
batch arrays; a sigmoid that exponentiates the negative and non-negative entries separately; an
LSTM that collects its hidden states in a list; a backward pass worked out gate by gate and
summed over the examples; parameter counts spelled out per layer kind."""

import numpy as np

LAYER_KINDS = ("simple_rnn", "lstm", "gru", "dense")
FRAMEWORKS = ("keras", "torch")


def _check_choice(name, value, allowed):
    """Raise ValueError unless `value` is one of `allowed`. Given: nothing to do here."""
    if value not in allowed:
        raise ValueError(f"unknown {name} {value!r}; expected one of {', '.join(map(repr, allowed))}")


def _split_rows(stacked, parts):
    """Split an array of `parts * H` rows (or entries) into `parts` blocks of H. Given."""
    if stacked.shape[0] % parts:
        raise ValueError(f"{stacked.shape[0]} rows cannot be split into {parts} equal gate blocks")
    return np.split(stacked, parts, axis=0)


def sigmoid(z):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    pos = z >= 0
    neg = ~pos
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))  # e^-z <= 1 here
    ez = np.exp(z[neg])                        # e^z < 1 here
    out[neg] = ez / (1.0 + ez)
    return out


def _col(v):
    """A 1-D vector as a column (K, 1)."""
    return np.reshape(v, (-1, 1))


def _gate_per_example(x, h_prev, W_x, b_x, W_h, b_h, activation):
    N = x.shape[0]
    H = W_x.shape[0]
    out = np.empty((N, H))
    for n in range(N):
        pre = W_x @ _col(x[n]) + _col(b_x) + W_h @ _col(h_prev[n]) + _col(b_h)  # (H, 1)
        out[n, :] = activation(pre)[:, 0]
    return out


def forget_gate(x, h_prev, W_if, b_if, W_hf, b_hf):
    return _gate_per_example(x, h_prev, W_if, b_if, W_hf, b_hf, sigmoid)


def input_gate(x, h_prev, W_ii, b_ii, W_hi, b_hi):
    return _gate_per_example(x, h_prev, W_ii, b_ii, W_hi, b_hi, sigmoid)


def candidate_memory(x, h_prev, W_ig, b_ig, W_hg, b_hg):
    return _gate_per_example(x, h_prev, W_ig, b_ig, W_hg, b_hg, np.tanh)


def output_gate(x, h_prev, W_io, b_io, W_ho, b_ho):
    return _gate_per_example(x, h_prev, W_io, b_io, W_ho, b_ho, sigmoid)


def next_cell_state(f, c_prev, i, g):
    c = np.empty(np.shape(f))
    for n in range(c.shape[0]):
        c[n] = f[n] * c_prev[n] + i[n] * g[n]
    return c


def next_hidden_state(o, c):
    h = np.empty(np.shape(o))
    for n in range(h.shape[0]):
        h[n] = o[n] * np.tanh(c[n])
    return h


def _lstm_gates_one(x_n, h_n, W_ih, W_hh, b_ih, b_hh):
    """Gate columns i, f, g, o (each (H, 1)) for one example."""
    pre = W_ih @ _col(x_n) + _col(b_ih) + W_hh @ _col(h_n) + _col(b_hh)  # (4H, 1)
    a_i, a_f, a_g, a_o = _split_rows(pre, 4)
    return sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)


def lstm_cell_forward(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    N = x.shape[0]
    H = W_hh.shape[1]
    h = np.empty((N, H))
    c = np.empty((N, H))
    for n in range(N):
        i, f, g, o = _lstm_gates_one(x[n], h_prev[n], W_ih, W_hh, b_ih, b_hh)
        c_col = f * _col(c_prev[n]) + i * g
        h_col = o * np.tanh(c_col)
        h[n] = h_col[:, 0]
        c[n] = c_col[:, 0]
    return h, c


def lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh):
    N, T, _ = x.shape
    H = W_hh.shape[1]
    h, c = np.array(h0, dtype=float), np.array(c0, dtype=float)
    hs = []
    for t in range(T):
        h, c = lstm_cell_forward(x[:, t, :], h, c, W_ih, W_hh, b_ih, b_hh)
        hs.append(h)
    outputs = np.stack(hs, axis=1) if hs else np.zeros((N, 0, H))
    return outputs, (h, c)


def gru_cell_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh, reset_after=True):
    W_ir, W_iz, W_in = _split_rows(W_ih, 3)
    W_hr, W_hz, W_hn = _split_rows(W_hh, 3)
    b_ir, b_iz, b_in = _split_rows(b_ih, 3)
    b_hr, b_hz, b_hn = _split_rows(b_hh, 3)
    N = x.shape[0]
    H = W_hh.shape[1]
    h_new = np.empty((N, H))
    for n in range(N):
        x_n, h_n = _col(x[n]), _col(h_prev[n])
        r = sigmoid(W_ir @ x_n + _col(b_ir) + W_hr @ h_n + _col(b_hr))
        z = sigmoid(W_iz @ x_n + _col(b_iz) + W_hz @ h_n + _col(b_hz))
        if reset_after:
            cand = np.tanh(W_in @ x_n + _col(b_in) + r * (W_hn @ h_n + _col(b_hn)))
        else:
            cand = np.tanh(W_in @ x_n + _col(b_in) + W_hn @ (r * h_n) + _col(b_hn))
        h_new[n] = ((1 - z) * cand + z * h_n)[:, 0]
    return h_new


def layer_param_count(kind, input_dim, units, framework="keras", reset_after=True):
    if kind not in LAYER_KINDS:
        raise ValueError("unknown layer kind: " + repr(kind))
    if framework not in FRAMEWORKS:
        raise ValueError("unknown framework: " + repr(framework))
    D, H = input_dim, units
    if kind == "dense":
        return D * H + H
    if kind == "simple_rnn":
        n_gates = 1
    elif kind == "lstm":
        n_gates = 4
    else:
        n_gates = 3
    if framework == "torch":
        n_bias = 2  # bias_ih and bias_hh
    elif kind == "gru" and reset_after:
        n_bias = 2  # Keras GRU(reset_after=True) has a (2, 3H) bias
    else:
        n_bias = 1
    return n_gates * (H * D + H * H + n_bias * H)


def model_param_count(input_dim, layers, framework="keras"):
    layers = list(layers)
    # each layer's input size: the model's input, then the previous layer's units
    in_sizes = [input_dim] + [units for _, units in layers[:-1]]
    return sum(
        layer_param_count(kind, d, units, framework) for d, (kind, units) in zip(in_sizes, layers)
    )


def concat_to_split(W, b, input_dim):
    H, cols = W.shape
    if cols != H + input_dim:
        raise ValueError("W must have H + input_dim columns")
    W_h = np.array(W[:, :H])
    W_x = np.array(W[:, H:])
    return W_x, np.array(b, dtype=float), W_h, np.zeros(H)


def lstm_cell_backward(dh, dc, x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    N, D = x.shape
    H = W_hh.shape[1]
    dx = np.zeros((N, D))
    dh_prev = np.zeros((N, H))
    dc_prev = np.zeros((N, H))
    dW_ih = np.zeros(W_ih.shape)
    dW_hh = np.zeros(W_hh.shape)
    db = np.zeros(4 * H)
    for n in range(N):
        x_n, h_n, c_n = _col(x[n]), _col(h_prev[n]), _col(c_prev[n])
        i, f, g, o = _lstm_gates_one(x[n], h_prev[n], W_ih, W_hh, b_ih, b_hh)
        c_new = f * c_n + i * g
        tanh_c = np.tanh(c_new)
        dh_n, dc_n = _col(dh[n]), _col(dc[n])

        # h = o * tanh(c)
        d_o = dh_n * tanh_c
        d_c = dc_n + dh_n * o * (1 - tanh_c ** 2)
        # c = f * c_prev + i * g
        d_f = d_c * c_n
        d_i = d_c * g
        d_g = d_c * i
        dc_prev[n] = (d_c * f)[:, 0]
        # through each gate's nonlinearity
        da_i = d_i * i * (1 - i)
        da_f = d_f * f * (1 - f)
        da_g = d_g * (1 - g ** 2)
        da_o = d_o * o * (1 - o)
        da = np.vstack([da_i, da_f, da_g, da_o])  # (4H, 1), rows in torch's order

        dx[n] = (W_ih.T @ da)[:, 0]
        dh_prev[n] = (W_hh.T @ da)[:, 0]
        dW_ih += da @ x_n.T
        dW_hh += da @ h_n.T
        db += da[:, 0]
    return dx, dh_prev, dc_prev, dW_ih, dW_hh, db, db.copy()
