"""HW2 written another way: the sigmoid through tanh (sigmoid(z) = (1 + tanh(z / 2)) / 2 has no
exponential that could overflow, so it needs no branches), every product as an np.einsum, the
stacked pre-activations cut with explicit column ranges [k*H:(k+1)*H], the LSTM's input
projections computed for all time steps at once, and the parameter counts read from
per-framework tables of bias vectors."""

import numpy as np

LAYER_KINDS = ("simple_rnn", "lstm", "gru", "dense")
FRAMEWORKS = ("keras", "torch")

# Gate blocks of H units in each recurrent layer.
GATE_BLOCKS = {"simple_rnn": 1, "lstm": 4, "gru": 3}
# Bias vectors of H entries per gate block, for each framework. Keras keeps one, except a GRU
# with reset_after=True (its default), which keeps an input and a recurrent bias like torch.
BIAS_VECTORS = {
    "keras": {"simple_rnn": 1, "lstm": 1, "gru": 2, "gru_reset_before": 1},
    "torch": {"simple_rnn": 2, "lstm": 2, "gru": 2, "gru_reset_before": 2},
}


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
    # 1 / (1 + e^-z) == (1 + tanh(z/2)) / 2, and tanh saturates at +-1 instead of overflowing.
    z = np.asarray(z, dtype=float)
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * z)))


def _affine(x, W, b):
    """x W^T + b for a batch of rows: (N, D) and (K, D) -> (N, K)."""
    return np.einsum("nd,kd->nk", x, W) + b


def forget_gate(x, h_prev, W_if, b_if, W_hf, b_hf):
    return sigmoid(_affine(x, W_if, b_if) + _affine(h_prev, W_hf, b_hf))


def input_gate(x, h_prev, W_ii, b_ii, W_hi, b_hi):
    return sigmoid(_affine(x, W_ii, b_ii) + _affine(h_prev, W_hi, b_hi))


def candidate_memory(x, h_prev, W_ig, b_ig, W_hg, b_hg):
    return np.tanh(_affine(x, W_ig, b_ig) + _affine(h_prev, W_hg, b_hg))


def output_gate(x, h_prev, W_io, b_io, W_ho, b_ho):
    return sigmoid(_affine(x, W_io, b_io) + _affine(h_prev, W_ho, b_ho))


def next_cell_state(f, c_prev, i, g):
    return np.einsum("nh,nh->nh", f, c_prev) + np.einsum("nh,nh->nh", i, g)


def next_hidden_state(o, c):
    return o * np.tanh(c)


def _lstm_step(x_part, h_prev, c_prev, W_hh, b_hh):
    """One LSTM step given x_part = x W_ih^T + b_ih (N, 4H) already computed."""
    H = W_hh.shape[1]
    a = x_part + _affine(h_prev, W_hh, b_hh)  # columns: i, f, g, o blocks of H
    i = sigmoid(a[:, 0 * H:1 * H])
    f = sigmoid(a[:, 1 * H:2 * H])
    g = np.tanh(a[:, 2 * H:3 * H])
    o = sigmoid(a[:, 3 * H:4 * H])
    c = f * c_prev + i * g
    return o * np.tanh(c), c


def lstm_cell_forward(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    return _lstm_step(_affine(x, W_ih, b_ih), h_prev, c_prev, W_hh, b_hh)


def lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh):
    N, T, _ = x.shape
    H = W_hh.shape[1]
    # The input part of every gate at every step in one go: (N, T, 4H).
    x_parts = np.einsum("ntd,kd->ntk", x, W_ih) + b_ih
    outputs = np.empty((N, T, H))
    h = np.array(h0, dtype=float)
    c = np.array(c0, dtype=float)
    for t in range(T):
        h, c = _lstm_step(x_parts[:, t, :], h, c, W_hh, b_hh)
        outputs[:, t, :] = h
    return outputs, (h, c)


def gru_cell_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh, reset_after=True):
    H = W_hh.shape[1]
    a_x = _affine(x, W_ih, b_ih)       # (N, 3H): r, z, n blocks
    a_h = _affine(h_prev, W_hh, b_hh)  # (N, 3H)
    r = sigmoid(a_x[:, 0:H] + a_h[:, 0:H])
    z = sigmoid(a_x[:, H:2 * H] + a_h[:, H:2 * H])
    if reset_after:
        n = np.tanh(a_x[:, 2 * H:3 * H] + r * a_h[:, 2 * H:3 * H])
    else:
        n = np.tanh(a_x[:, 2 * H:3 * H] + _affine(r * h_prev, W_hh[2 * H:3 * H], b_hh[2 * H:3 * H]))
    # (1 - z) * n + z * h_prev, written as a step from n towards h_prev
    return n + z * (h_prev - n)


def layer_param_count(kind, input_dim, units, framework="keras", reset_after=True):
    _check_choice("layer kind", kind, LAYER_KINDS)
    _check_choice("framework", framework, FRAMEWORKS)
    if kind == "dense":
        return units * input_dim + units
    key = "gru_reset_before" if kind == "gru" and not reset_after else kind
    per_block = units * input_dim + units * units + BIAS_VECTORS[framework][key] * units
    return GATE_BLOCKS[kind] * per_block


def model_param_count(input_dim, layers, framework="keras"):
    count = 0
    d = input_dim
    for kind, units in layers:
        count = count + layer_param_count(kind, d, units, framework=framework)
        d = units
    return count


def concat_to_split(W, b, input_dim):
    H = W.shape[0]
    if W.shape[1] != H + input_dim:
        raise ValueError(f"expected W of shape ({H}, {H + input_dim}) = (H, H + D), got {W.shape}")
    W_h = W[:, 0:H].copy()
    W_x = W[:, H:H + input_dim].copy()
    return W_x, np.array(b, dtype=float, copy=True), W_h, np.zeros(H)


def lstm_cell_backward(dh, dc, x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    H = W_hh.shape[1]
    a = _affine(x, W_ih, b_ih) + _affine(h_prev, W_hh, b_hh)
    i = sigmoid(a[:, 0 * H:1 * H])
    f = sigmoid(a[:, 1 * H:2 * H])
    g = np.tanh(a[:, 2 * H:3 * H])
    o = sigmoid(a[:, 3 * H:4 * H])
    c = f * c_prev + i * g
    tc = np.tanh(c)

    dc_all = dc + dh * o * (1.0 - tc * tc)
    da = np.empty_like(a)
    da[:, 0 * H:1 * H] = dc_all * g * i * (1.0 - i)        # input gate
    da[:, 1 * H:2 * H] = dc_all * c_prev * f * (1.0 - f)   # forget gate
    da[:, 2 * H:3 * H] = dc_all * i * (1.0 - g * g)        # candidate
    da[:, 3 * H:4 * H] = dh * tc * o * (1.0 - o)           # output gate

    dx = np.einsum("nk,kd->nd", da, W_ih)
    dh_prev = np.einsum("nk,kh->nh", da, W_hh)
    dc_prev = dc_all * f
    dW_ih = np.einsum("nk,nd->kd", da, x)
    dW_hh = np.einsum("nk,nh->kh", da, h_prev)
    db_ih = np.einsum("nk->k", da)
    db_hh = np.einsum("nk->k", da)
    return dx, dh_prev, dc_prev, dW_ih, dW_hh, db_ih, db_hh
