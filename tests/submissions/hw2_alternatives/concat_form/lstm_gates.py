"""HW2 written another way: every gate computed in the concatenated form of the slides,
W . [h_{t-1}, x_t] + b, with W built from the split or stacked weights by np.hstack and the
input [h_{t-1}, x_t] by np.concatenate (the two biases added into one); a branch-free sigmoid
that only exponentiates non-positive numbers; the LSTM's four gates read from a (N, 4, H) view;
parameter counts as weights plus biases, counted separately."""

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
    # e^min(z,0) / (e^min(z,0) + e^min(-z,0)): for z >= 0 that is 1 / (1 + e^-z), for z < 0 it is
    # e^z / (e^z + 1); both exponents are <= 0, so nothing overflows.
    a = np.exp(np.minimum(z, 0.0))
    b = np.exp(np.minimum(-z, 0.0))
    return np.asarray(a / (a + b))


def _concat(W_h, W_x):
    """The slides' W of shape (K, H + D): columns for h_{t-1} first, then for x_t."""
    return np.hstack([W_h, W_x])


def _hx(h_prev, x):
    """[h_{t-1}, x_t] for every example: (N, H + D)."""
    return np.concatenate([h_prev, x], axis=1)


def _preact(x, h_prev, W_x, b_x, W_h, b_h):
    return _hx(h_prev, x) @ _concat(W_h, W_x).T + (b_x + b_h)


def forget_gate(x, h_prev, W_if, b_if, W_hf, b_hf):
    return sigmoid(_preact(x, h_prev, W_if, b_if, W_hf, b_hf))


def input_gate(x, h_prev, W_ii, b_ii, W_hi, b_hi):
    return sigmoid(_preact(x, h_prev, W_ii, b_ii, W_hi, b_hi))


def candidate_memory(x, h_prev, W_ig, b_ig, W_hg, b_hg):
    return np.tanh(_preact(x, h_prev, W_ig, b_ig, W_hg, b_hg))


def output_gate(x, h_prev, W_io, b_io, W_ho, b_ho):
    return sigmoid(_preact(x, h_prev, W_io, b_io, W_ho, b_ho))


def next_cell_state(f, c_prev, i, g):
    return np.add(np.multiply(f, c_prev), np.multiply(i, g))


def next_hidden_state(o, c):
    return np.multiply(o, np.tanh(c))


def _gates(hx, W, b, H):
    """i, f, g, o from [h, x] (N, H + D) and the concatenated stacked W (4H, H + D), b (4H,)."""
    a = (hx @ W.T + b).reshape(hx.shape[0], 4, H)
    return sigmoid(a[:, 0]), sigmoid(a[:, 1]), np.tanh(a[:, 2]), sigmoid(a[:, 3])


def _step(x, h_prev, c_prev, W, b):
    H = h_prev.shape[1]
    i, f, g, o = _gates(_hx(h_prev, x), W, b, H)
    c = f * c_prev + i * g
    return o * np.tanh(c), c


def lstm_cell_forward(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    h, c = _step(x, h_prev, c_prev, _concat(W_hh, W_ih), b_ih + b_hh)
    return (h, c)


def lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh):
    N, T, _ = x.shape
    W, b = _concat(W_hh, W_ih), b_ih + b_hh  # built once for all steps
    h, c = h0.copy(), c0.copy()
    outputs = np.zeros((N, T, h.shape[1]))
    t = 0
    while t < T:
        h, c = _step(x[:, t], h, c, W, b)
        outputs[:, t] = h
        t += 1
    return outputs, (h, c)


def gru_cell_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh, reset_after=True):
    H = h_prev.shape[1]
    hx = _hx(h_prev, x)
    # reset and update gates together, in the concatenated form: (N, 2H)
    rz = sigmoid(hx @ _concat(W_hh[:2 * H], W_ih[:2 * H]).T + b_ih[:2 * H] + b_hh[:2 * H])
    r, z = rz[:, :H], rz[:, H:]
    W_in, W_hn, b_in, b_hn = W_ih[2 * H:], W_hh[2 * H:], b_ih[2 * H:], b_hh[2 * H:]
    if reset_after:
        # the reset gate scales the whole recurrent term, bias included: no single W . [h, x] here
        n = np.tanh(x @ W_in.T + b_in + r * (h_prev @ W_hn.T + b_hn))
    else:
        n = np.tanh(_hx(r * h_prev, x) @ _concat(W_hn, W_in).T + b_in + b_hn)
    return z * h_prev + (1.0 - z) * n


def layer_param_count(kind, input_dim, units, framework="keras", reset_after=True):
    _check_choice("layer kind", kind, LAYER_KINDS)
    _check_choice("framework", framework, FRAMEWORKS)
    if kind == "dense":
        weights, biases = input_dim * units, units
    else:
        gates = 4 if kind == "lstm" else 3 if kind == "gru" else 1
        # the concatenated W of each gate is (units, units + input_dim)
        weights = gates * units * (units + input_dim)
        two_biases = framework == "torch" or (kind == "gru" and bool(reset_after))
        biases = gates * units * (2 if two_biases else 1)
    return int(weights) + int(biases)


def model_param_count(input_dim, layers, framework="keras"):
    layers = list(layers)
    if not layers:
        return 0
    kind, units = layers[0]
    return layer_param_count(kind, input_dim, units, framework) + model_param_count(units, layers[1:], framework)


def concat_to_split(W, b, input_dim):
    H = len(W)
    if W.shape[1] - H != input_dim:
        raise ValueError(f"W has {W.shape[1]} columns, not H + input_dim = {H + input_dim}")
    W_h, W_x = np.hsplit(W, [H])
    return W_x.copy(), np.asarray(b, dtype=float).copy(), W_h.copy(), np.zeros(H)


def lstm_cell_backward(dh, dc, x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    N, H = h_prev.shape
    W = _concat(W_hh, W_ih)  # (4H, H + D)
    hx = _hx(h_prev, x)      # (N, H + D)
    i, f, g, o = _gates(hx, W, b_ih + b_hh, H)
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)

    dc_sum = dc + dh * o * (1.0 - tanh_c ** 2)
    da = np.empty((N, 4, H))
    da[:, 0] = dc_sum * g * i * (1.0 - i)
    da[:, 1] = dc_sum * c_prev * f * (1.0 - f)
    da[:, 2] = dc_sum * i * (1.0 - g ** 2)
    da[:, 3] = dh * tanh_c * o * (1.0 - o)
    da = da.reshape(N, 4 * H)

    dhx = da @ W       # (N, H + D): gradient of [h_prev, x]
    dW = da.T @ hx     # (4H, H + D): gradient of the concatenated W
    db = da.sum(axis=0)
    return (
        dhx[:, H:].copy(), dhx[:, :H].copy(), dc_sum * f,
        dW[:, H:].copy(), dW[:, :H].copy(), db, db.copy(),
    )
