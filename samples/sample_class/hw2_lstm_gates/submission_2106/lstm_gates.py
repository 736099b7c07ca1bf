"""HW2: LSTM gates by hand and by code, a GRU cell, and the parameter counts of recurrent layers.

Shapes used in every docstring:
    N  batch size        T  number of time steps
    D  input features    H  hidden units

As in HW1, a batch is stored as rows (x_t is (N, D), h_t and c_t are (N, H)) and the weights use
PyTorch's layout, so the slide's W_if x_t + b_if becomes x @ W_if.T + b_if for a batch.

The LSTM of the slides, one gate at a time ("split" form, two biases per gate like PyTorch):

    f_t = sigmoid(W_if x_t + b_if + W_hf h_{t-1} + b_hf)      forget gate
    i_t = sigmoid(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)      input gate
    g_t =    tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)      candidate memory
    o_t = sigmoid(W_io x_t + b_io + W_ho h_{t-1} + b_ho)      output gate
    c_t = f_t * c_{t-1} + i_t * g_t                           cell state (the conveyor belt)
    h_t = o_t * tanh(c_t)                                     hidden state

Every function returns new arrays and leaves its arguments exactly as it found them.
Only numpy is allowed in this file.
"""

import numpy as np

LAYER_KINDS = ("simple_rnn", "lstm", "gru", "dense")
FRAMEWORKS = ("keras", "torch")


def _check_choice(name, value, allowed):
    """Raise ValueError unless `value` is one of `allowed`. Given: nothing to do here."""
    if value not in allowed:
        raise ValueError(f"unknown {name} {value!r}; expected one of {', '.join(map(repr, allowed))}")


def _split_rows(stacked, parts):
    """Split an array of `parts * H` rows (or entries) into `parts` blocks of H. Given.

    PyTorch stacks the weights of all gates in one matrix: for nn.LSTM, weight_ih is
    [W_ii; W_if; W_ig; W_io], shape (4H, D), and _split_rows(weight_ih, 4) returns those 4 blocks.
    Works for biases of shape (4H,) too.
    """
    if stacked.shape[0] % parts:
        raise ValueError(f"{stacked.shape[0]} rows cannot be split into {parts} equal gate blocks")
    return np.split(stacked, parts, axis=0)


def sigmoid(z):
    """The logistic function 1 / (1 + e^(-z)), elementwise, without overflow.

    The textbook formula computes e^(-z), which overflows for z = -1000 (numpy warns and may
    return NaN in related formulas). Write it so that it only ever exponentiates non-positive
    numbers: for z >= 0 use 1 / (1 + e^(-z)), for z < 0 use e^z / (1 + e^z).

    Inputs:
    - z: array of any shape

    Returns:
    - s: array of z's shape with values in [0, 1]; no RuntimeWarning for |z| up to 1000.
    """
    # BEGIN SOLUTION
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    # END SOLUTION


def forget_gate(x, h_prev, W_if, b_if, W_hf, b_hf):
    """The forget gate f_t: how much of each entry of the old cell state to keep.

    Inputs:
    - x: inputs at this time step, shape (N, D)
    - h_prev: previous hidden state, shape (N, H)
    - W_if: input-to-gate weights, shape (H, D); b_if: its bias, shape (H,)
    - W_hf: hidden-to-gate weights, shape (H, H); b_hf: its bias, shape (H,)

    Returns:
    - f: sigmoid(x W_if^T + b_if + h_prev W_hf^T + b_hf), shape (N, H), values in [0, 1]
    """
    # BEGIN SOLUTION
    return sigmoid(x @ W_if.T + b_if + h_prev @ W_hf.T + b_hf)
    # END SOLUTION


def input_gate(x, h_prev, W_ii, b_ii, W_hi, b_hi):
    """The input gate i_t: how much of the candidate memory to write into the cell state.

    Inputs: as forget_gate, with the input gate's weights W_ii (H, D), b_ii (H,), W_hi (H, H), b_hi (H,).

    Returns:
    - i: sigmoid(x W_ii^T + b_ii + h_prev W_hi^T + b_hi), shape (N, H), values in [0, 1]
    """
    # BEGIN SOLUTION
    return sigmoid(x @ W_ii.T + b_ii + h_prev @ W_hi.T + b_hi)
    # END SOLUTION


def candidate_memory(x, h_prev, W_ig, b_ig, W_hg, b_hg):
    """The candidate memory g_t (the slide's C~_t): new values that could enter the cell state.

    Inputs: as forget_gate, with the candidate's weights W_ig (H, D), b_ig (H,), W_hg (H, H), b_hg (H,).

    Returns:
    - g: tanh(x W_ig^T + b_ig + h_prev W_hg^T + b_hg), shape (N, H), values in [-1, 1]
    """
    # BEGIN SOLUTION
    # tanh, not sigmoid: the candidate can push the cell state down as well as up.
    return np.tanh(x @ W_ig.T + b_ig + h_prev @ W_hg.T + b_hg)
    # END SOLUTION


def output_gate(x, h_prev, W_io, b_io, W_ho, b_ho):
    """The output gate o_t: how much of the (squashed) cell state to show as the hidden state.

    Inputs: as forget_gate, with the output gate's weights W_io (H, D), b_io (H,), W_ho (H, H), b_ho (H,).

    Returns:
    - o: sigmoid(x W_io^T + b_io + h_prev W_ho^T + b_ho), shape (N, H), values in [0, 1]
    """
    # BEGIN SOLUTION
    return sigmoid(x @ W_io.T + b_io + h_prev @ W_ho.T + b_ho)
    # END SOLUTION


def next_cell_state(f, c_prev, i, g):
    """The new cell state: keep part of the old one, add part of the candidate.

    Inputs:
    - f: forget gate, shape (N, H)
    - c_prev: previous cell state, shape (N, H)
    - i: input gate, shape (N, H)
    - g: candidate memory, shape (N, H)

    Returns:
    - c: f * c_prev + i * g (elementwise), shape (N, H)
    """
    # BEGIN SOLUTION
    return f * c_prev + i * g
    # END SOLUTION


def next_hidden_state(o, c):
    """The new hidden state: the output gate applied to the squashed cell state.

    Inputs:
    - o: output gate, shape (N, H)
    - c: the new cell state, shape (N, H)

    Returns:
    - h: o * tanh(c) (elementwise), shape (N, H)
    """
    # BEGIN SOLUTION
    return o * np.tanh(c)
    # END SOLUTION


def lstm_cell_forward(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    """One LSTM step with PyTorch's stacked weights: the same result as torch.nn.LSTMCell.

    The four gates' weights are stacked row-wise in the order i, f, g, o (input gate, forget gate,
    candidate memory, output gate), exactly as in LSTMCell's weight_ih, weight_hh, bias_ih and
    bias_hh. Rows k*H to (k+1)*H belong to gate number k of that order; `_split_rows` cuts them.

    Inputs:
    - x: inputs, shape (N, D)
    - h_prev: previous hidden state, shape (N, H)
    - c_prev: previous cell state, shape (N, H)
    - W_ih: stacked input-to-hidden weights, shape (4H, D)
    - W_hh: stacked hidden-to-hidden weights, shape (4H, H)
    - b_ih, b_hh: stacked biases, shape (4H,) each

    Returns a tuple of:
    - h: the new hidden state, shape (N, H)
    - c: the new cell state, shape (N, H)
    """
    # BEGIN SOLUTION
    # Cut the stacks into the four gates, in torch's order i, f, g, o, and reuse the gate functions.
    W_ii, W_if, W_ig, W_io = _split_rows(W_ih, 4)
    W_hi, W_hf, W_hg, W_ho = _split_rows(W_hh, 4)
    b_ii, b_if, b_ig, b_io = _split_rows(b_ih, 4)
    b_hi, b_hf, b_hg, b_ho = _split_rows(b_hh, 4)
    i = input_gate(x, h_prev, W_ii, b_ii, W_hi, b_hi)
    f = forget_gate(x, h_prev, W_if, b_if, W_hf, b_hf)
    g = candidate_memory(x, h_prev, W_ig, b_ig, W_hg, b_hg)
    o = output_gate(x, h_prev, W_io, b_io, W_ho, b_ho)
    c = next_cell_state(f, c_prev, i, g)
    return next_hidden_state(o, c), c
    # END SOLUTION


def lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh):
    """Run an LSTM over a batch of sequences: the same result as torch.nn.LSTM(batch_first=True).

    Inputs:
    - x: input sequences, shape (N, T, D)
    - h0, c0: initial hidden and cell states, shape (N, H) each
    - W_ih, W_hh, b_ih, b_hh: stacked weights, as in lstm_cell_forward

    Returns a tuple (outputs, (h_T, c_T)):
    - outputs: the hidden states h_1, ..., h_T, shape (N, T, H)
    - h_T, c_T: the hidden and cell state after the last step, shape (N, H) each
    """
    # BEGIN SOLUTION
    N, T, _ = x.shape
    outputs = np.zeros((N, T, h0.shape[1]))
    h, c = h0, c0
    for t in range(T):
        h, c = lstm_cell_forward(x[:, t], h, c, W_ih, W_hh, b_ih, b_hh)
        outputs[:, t] = h
    return outputs, (h.copy(), c.copy())
    # END SOLUTION


def gru_cell_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh, reset_after=True):
    """One GRU step with PyTorch's stacked weights, gate rows in the order r, z, n.

        r = sigmoid(x W_ir^T + b_ir + h_prev W_hr^T + b_hr)          reset gate
        z = sigmoid(x W_iz^T + b_iz + h_prev W_hz^T + b_hz)          update gate
        reset_after=True  (torch.nn.GRUCell, Keras' default):
            n = tanh(x W_in^T + b_in + r * (h_prev W_hn^T + b_hn))
        reset_after=False (the slides' equations, Keras' reset_after=False):
            n = tanh(x W_in^T + b_in + (r * h_prev) W_hn^T + b_hn)
        h = (1 - z) * n + z * h_prev

    Inputs:
    - x: inputs, shape (N, D)
    - h_prev: previous hidden state, shape (N, H)
    - W_ih: stacked input weights [W_ir; W_iz; W_in], shape (3H, D)
    - W_hh: stacked hidden weights [W_hr; W_hz; W_hn], shape (3H, H)
    - b_ih, b_hh: stacked biases, shape (3H,) each
    - reset_after: where the reset gate is applied, see above

    Returns:
    - h: the new hidden state, shape (N, H)
    """
    # BEGIN SOLUTION
    W_ir, W_iz, W_in = _split_rows(W_ih, 3)
    W_hr, W_hz, W_hn = _split_rows(W_hh, 3)
    b_ir, b_iz, b_in = _split_rows(b_ih, 3)
    b_hr, b_hz, b_hn = _split_rows(b_hh, 3)
    r = sigmoid(x @ W_ir.T + b_ir + h_prev @ W_hr.T + b_hr)
    z = sigmoid(x @ W_iz.T + b_iz + h_prev @ W_hz.T + b_hz)
    if reset_after:
        n = np.tanh(x @ W_in.T + b_in + r * (h_prev @ W_hn.T + b_hn))
    else:
        n = np.tanh(x @ W_in.T + b_in + (r * h_prev) @ W_hn.T + b_hn)
    # z close to 1 keeps the old state: the update gate plays forget and input gate at once.
    return (1.0 - z) * n + z * h_prev
    # END SOLUTION


def layer_param_count(kind, input_dim, units, framework="keras", reset_after=True):
    """The number of trainable parameters of one layer, as the framework reports it.

    Keras (model.summary()) and PyTorch (sum(p.numel() for p in layer.parameters())) agree on the
    weight matrices but not on the biases: a Keras recurrent layer has one bias per gate, while
    torch.nn.RNN, nn.LSTM and nn.GRU keep two (bias_ih and bias_hh). Keras' GRU with its default
    reset_after=True has two biases per gate as well; with reset_after=False it has one.

    Inputs:
    - kind: "simple_rnn" (Keras SimpleRNN / torch nn.RNN), "lstm", "gru" or "dense" (nn.Linear)
    - input_dim: number of input features D
    - units: number of units H (output features for "dense")
    - framework: "keras" or "torch"
    - reset_after: Keras' GRU option; it only changes the count of a Keras GRU (PyTorch's GRU
      always applies the reset gate after the product and has no such option)

    Returns:
    - count: an int

    Raises ValueError for an unknown kind or framework.
    """
    # BEGIN SOLUTION
    _check_choice("layer kind", kind, LAYER_KINDS)
    _check_choice("framework", framework, FRAMEWORKS)
    if kind == "dense":
        return input_dim * units + units
    gates = {"simple_rnn": 1, "lstm": 4, "gru": 3}[kind]
    biases = 2 if framework == "torch" or (kind == "gru" and reset_after) else 1
    # Each gate: an (H, D) input matrix, an (H, H) recurrent matrix and `biases` vectors of H.
    return gates * units * (input_dim + units + biases)
    # END SOLUTION


def model_param_count(input_dim, layers, framework="keras"):
    """The number of trainable parameters of a stack of layers, as in a model summary.

    Inputs:
    - input_dim: number of features of the model's input
    - layers: list of (kind, units) pairs, first layer first, e.g. [("lstm", 3), ("dense", 1)];
      each layer's input size is the previous layer's units
    - framework: "keras" or "torch"; GRU layers use the default reset_after=True

    Returns:
    - count: an int; [("lstm", 3), ("dense", 1)] on 1 feature gives 64 in Keras and 76 in torch
    """
    # BEGIN SOLUTION
    total = 0
    for kind, units in layers:
        total += layer_param_count(kind, input_dim, units, framework)
        input_dim = units
    return total
    # END SOLUTION


def concat_to_split(W, b, input_dim):
    """Convert one gate from the concatenated form of the slides to the split form above.

    The slides also write a gate as sigmoid(W . [h_{t-1}, x_t] + b): one matrix W of shape
    (H, H + D) applied to h_{t-1} stacked on top of x_t. Its first H columns act on h_{t-1}
    and the last D on x_t.

    Inputs:
    - W: concatenated weights, shape (H, H + D)
    - b: the gate's bias, shape (H,)
    - input_dim: D

    Returns a tuple (W_x, b_x, W_h, b_h) in the argument order of the gate functions, so that
    forget_gate(x, h_prev, *concat_to_split(W_f, b_f, D)) == sigmoid([h_prev, x] W_f^T + b_f):
    - W_x: shape (H, D); b_x: b itself (a copy), shape (H,)
    - W_h: shape (H, H); b_h: zeros, shape (H,)
    """
    # BEGIN SOLUTION
    H = W.shape[0]
    if W.shape[1] != H + input_dim:
        raise ValueError(f"W has {W.shape[1]} columns; expected H + D = {H + input_dim}")
    return W[:, H:].copy(), np.array(b, dtype=float), W[:, :H].copy(), np.zeros(H)
    # END SOLUTION


def lstm_cell_backward(dh, dc, x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    """Backward pass of one LSTM step (lstm_cell_forward); recompute the forward step inside.

    The point of the lecture: along the cell state, the gradient only passes through an
    elementwise product with the forget gate, dc_prev = (dc + dh * o * (1 - tanh(c)^2)) * f;
    with dh = 0 that is exactly dc * f, since dc_t / dc_{t-1} = f_t.

    Inputs:
    - dh: gradient of the loss with respect to the new hidden state h, shape (N, H)
    - dc: gradient of the loss with respect to the new cell state c (from later steps), shape (N, H)
    - x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh: the forward step's inputs

    Returns a tuple of gradients with respect to:
    - dx (N, D), dh_prev (N, H), dc_prev (N, H), dW_ih (4H, D), dW_hh (4H, H), db_ih (4H,), db_hh (4H,)
    """
    # BEGIN SOLUTION
    # All four pre-activations in one product; their columns are the gates in the order i, f, g, o.
    z = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    z_i, z_f, z_g, z_o = np.split(z, 4, axis=1)
    i, f, g, o = sigmoid(z_i), sigmoid(z_f), np.tanh(z_g), sigmoid(z_o)
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)
    # h = o * tanh(c) sends gradient to o and, through tanh, to c (added to what later steps sent).
    do = dh * tanh_c
    dc_total = dc + dh * o * (1.0 - tanh_c ** 2)
    # c = f * c_prev + i * g
    df, dc_prev, di, dg = dc_total * c_prev, dc_total * f, dc_total * g, dc_total * i
    # Through the gates' nonlinearities, back into one stacked pre-activation gradient (i, f, g, o).
    dz = np.concatenate(
        [di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2), do * o * (1 - o)], axis=1
    )
    db = dz.sum(axis=0)
    return dz @ W_ih, dz @ W_hh, dc_prev, dz.T @ x, dz.T @ h_prev, db, db.copy()
    # END SOLUTION
