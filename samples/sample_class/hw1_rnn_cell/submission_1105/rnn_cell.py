"""HW1: a vanilla RNN in numpy: one cell, a whole sequence, and backpropagation through time.

Shapes used in every docstring:
    N  batch size        T  number of time steps
    D  input features    H  hidden units        O  output features

A batch is stored as rows: x_t has shape (N, D) and h_t has shape (N, H). The weights use
PyTorch's layout, W_xh (H, D) and W_hh (H, H), so the slide formula for one example,

    h_t = act(W x_t + U h_{t-1} + b_h),

becomes, for a whole batch of row vectors,

    h_t = act(x_t @ W_xh.T + h_{t-1} @ W_hh.T + b_h).

Every function returns new arrays and leaves its arguments exactly as it found them.
Only numpy is allowed in this file.
"""

import numpy as np

ACTIVATIONS = ("tanh", "sigmoid", "relu")


def _check_activation(activation):
    """Raise ValueError unless `activation` is one of ACTIVATIONS. Given: nothing to do here."""
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"unknown activation {activation!r}; expected one of {', '.join(ACTIVATIONS)}"
        )


def rnn_cell_forward(x, h_prev, W_xh, W_hh, b_h, activation="tanh"):
    """Run one time step of a vanilla RNN on a batch.

    Inputs:
    - x: inputs at this time step, shape (N, D)
    - h_prev: hidden state from the previous time step, shape (N, H)
    - W_xh: input-to-hidden weights, shape (H, D)
    - W_hh: hidden-to-hidden weights, shape (H, H)
    - b_h: hidden bias, shape (H,)
    - activation: "tanh", "sigmoid" or "relu"

    Returns:
    - h_next: the new hidden state act(x W_xh^T + h_prev W_hh^T + b_h), shape (N, H)

    Raises ValueError for any other activation.
    """
    # BEGIN SOLUTION
    _check_activation(activation)
    # Examples are rows, so the slide's W x_t turns into x_t W^T (and U h_{t-1} into h_{t-1} U^T).
    z = x @ W_xh.T + h_prev @ W_hh.T + b_h
    if activation == "tanh":
        return np.tanh(z)
    if activation == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    return np.maximum(z, 0.0)
    # END SOLUTION


def rnn_forward(x, h0, W_xh, W_hh, b_h, activation="tanh"):
    """Run a vanilla RNN over a whole batch of sequences.

    Same contract as torch.nn.RNN(batch_first=True): `outputs` holds the hidden state after
    every step and `h_last` the state after the final step (h_n without its layer axis).

    Inputs:
    - x: input sequences, shape (N, T, D)
    - h0: initial hidden state, shape (N, H)
    - W_xh, W_hh, b_h: as in rnn_cell_forward
    - activation: "tanh", "sigmoid" or "relu"

    Returns a tuple of:
    - outputs: hidden states h_1, ..., h_T, shape (N, T, H)
    - h_last: the final hidden state h_T, shape (N, H)
    """
    # BEGIN SOLUTION
    N, T, _ = x.shape
    outputs = np.zeros((N, T, h0.shape[1]))
    h = h0
    for t in range(T):
        # The same weights serve every step; only the hidden state carries information forward.
        h = rnn_cell_forward(x[:, t], h, W_xh, W_hh, b_h, activation)
        outputs[:, t] = h
    return outputs, outputs[:, -1].copy()
    # END SOLUTION


def rnn_cell_backward(dh_next, x, h_prev, W_xh, W_hh, b_h):
    """Backward pass of one tanh RNN step.

    The forward step is h_next = tanh(x W_xh^T + h_prev W_hh^T + b_h); recompute it here
    (there is no cache argument).

    Inputs:
    - dh_next: upstream gradient of the loss with respect to h_next, shape (N, H)
    - x, h_prev, W_xh, W_hh, b_h: the forward step's inputs, as in rnn_cell_forward

    Returns a tuple of gradients of the loss with respect to:
    - dx: x, shape (N, D)
    - dh_prev: h_prev, shape (N, H)
    - dW_xh: W_xh, shape (H, D)
    - dW_hh: W_hh, shape (H, H)
    - db_h: b_h, shape (H,)
    """
    # BEGIN SOLUTION
    h_next = rnn_cell_forward(x, h_prev, W_xh, W_hh, b_h, "tanh")
    # Through the nonlinearity: tanh'(z) = 1 - tanh(z)^2, and tanh(z) is h_next.
    dz = dh_next * (1.0 - h_next ** 2)
    # z = x W_xh^T + h_prev W_hh^T + b_h, so each input's gradient is dz times its weight...
    dx = dz @ W_xh
    dh_prev = dz @ W_hh
    # ...and each weight's gradient adds up (dz outer input) over the examples of the batch.
    dW_xh = dz.T @ x
    dW_hh = dz.T @ h_prev
    db_h = dz.mean(axis=0)
    return dx, dh_prev, dW_xh, dW_hh, db_h
    # END SOLUTION


def rnn_backward(doutputs, x, h0, W_xh, W_hh, b_h, truncate=None):
    """Backpropagation through time (BPTT) for a tanh RNN run by rnn_forward.

    With truncate=k (truncated BPTT) the sequence is cut into chunks of k steps and no gradient
    crosses a chunk boundary: it is as if the hidden state were detached after steps k, 2k, ...
    (counting steps from 1). h0 is not detached, so dh0 receives the gradient of the first chunk.
    truncate=None is full BPTT.

    Inputs:
    - doutputs: upstream gradient of the loss with respect to every output, shape (N, T, H)
    - x: input sequences, shape (N, T, D)
    - h0: initial hidden state, shape (N, H)
    - W_xh, W_hh, b_h: as in rnn_cell_forward
    - truncate: None or a positive int, the chunk length of truncated BPTT

    Returns a tuple of gradients of the loss with respect to:
    - dx: x, shape (N, T, D)
    - dh0: h0, shape (N, H)
    - dW_xh: W_xh, shape (H, D)
    - dW_hh: W_hh, shape (H, H)
    - db_h: b_h, shape (H,)

    Raises ValueError when truncate is neither None nor a positive int.
    """
    # BEGIN SOLUTION
    if truncate is not None and (
        isinstance(truncate, bool) or not isinstance(truncate, (int, np.integer)) or truncate < 1
    ):
        raise ValueError(f"truncate must be None or a positive int, got {truncate!r}")

    outputs, _ = rnn_forward(x, h0, W_xh, W_hh, b_h)
    # h_prevs[:, t] is the state that step t started from: h0, h_1, ..., h_{T-1}.
    h_prevs = np.concatenate([h0[:, None, :], outputs[:, :-1]], axis=1)

    dx = np.zeros(x.shape)
    dW_xh, dW_hh, db_h = np.zeros(W_xh.shape), np.zeros(W_hh.shape), np.zeros(b_h.shape)
    # Gradient reaching the current state from the step after it (nothing after the last step).
    dh_from_later = np.zeros(h0.shape)
    for t in reversed(range(x.shape[1])):
        if truncate is not None and (t + 1) % truncate == 0:
            # Step t + 1 (counting from 1) ends a chunk: its state was detached, so the later
            # steps send nothing back through it. Its own output still has a gradient.
            dh_from_later = np.zeros(h0.shape)
        # h_{t+1} feeds both the loss (through doutputs) and the next step.
        dh = doutputs[:, t] + dh_from_later
        dx[:, t], dh_from_later, dW_xh_t, dW_hh_t, db_h_t = rnn_cell_backward(
            dh, x[:, t], h_prevs[:, t], W_xh, W_hh, b_h
        )
        # Every step uses the same weights, so their gradients add up over time.
        dW_xh += dW_xh_t
        dW_hh += dW_hh_t
        db_h += db_h_t
    return dx, dh_from_later, dW_xh, dW_hh, db_h
    # END SOLUTION


def clip_grad_norm(grads, max_norm):
    """Clip a list of gradients by their global L2 norm (like torch.nn.utils.clip_grad_norm_).

    The global norm is the L2 norm of all gradients together, as if they were concatenated into
    one long vector. If it exceeds max_norm, every gradient is multiplied by the same factor
    max_norm / global_norm; otherwise the gradients are returned unchanged.

    Inputs:
    - grads: list of numpy arrays of any shapes
    - max_norm: positive float

    Returns:
    - clipped: list of new arrays with the same shapes as grads
    """
    # BEGIN SOLUTION
    total_norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    if total_norm <= max_norm:
        return [g.copy() for g in grads]
    # One factor for all tensors keeps the direction of the full gradient; only its length changes.
    scale = max_norm / total_norm
    return [g * scale for g in grads]
    # END SOLUTION


def output_layer(h, W_hy, b_y):
    """Affine output layer on top of the hidden states: the slide's y = V h + b_y.

    Inputs:
    - h: hidden states, shape (N, H)
    - W_hy: hidden-to-output weights (the slide's V), shape (O, H)
    - b_y: output bias, shape (O,)

    Returns:
    - y: outputs, shape (N, O)
    """
    # BEGIN SOLUTION
    return h @ W_hy.T + b_y
    # END SOLUTION


def gradient_norms_through_time(dh_last, x, h0, W_xh, W_hh, b_h, activation="tanh"):
    """Follow one gradient back through time to watch it vanish or explode.

    Put the gradient dh_last on the last hidden state h_T only, backpropagate it through the
    recurrence down to h0, and record the Frobenius norm of the gradient at every state.

    Inputs:
    - dh_last: gradient of the loss with respect to h_T, shape (N, H)
    - x: input sequences, shape (N, T, D)
    - h0: initial hidden state, shape (N, H)
    - W_xh, W_hh, b_h: as in rnn_cell_forward
    - activation: "tanh", "sigmoid" or "relu"

    Returns:
    - norms: shape (T + 1,); norms[k] is the norm of the gradient with respect to h_{T-k},
      so norms[0] = ||dh_last|| and norms[T] is the norm at h0.

    Raises ValueError for an unknown activation.
    """
    # BEGIN SOLUTION
    _check_activation(activation)
    outputs, _ = rnn_forward(x, h0, W_xh, W_hh, b_h, activation)
    dh = dh_last
    norms = [np.linalg.norm(dh)]
    for t in reversed(range(x.shape[1])):
        h = outputs[:, t]
        # The activation's derivative, written with its output h = act(z).
        if activation == "tanh":
            dact = 1.0 - h ** 2
        elif activation == "sigmoid":
            dact = h * (1.0 - h)
        else:
            dact = (h > 0).astype(float)
        # One step back multiplies by act'(z) and by W_hh; a long product of these factors
        # is what makes the gradient vanish or explode.
        dh = (dh * dact) @ W_hh
        norms.append(np.linalg.norm(dh))
    return np.array(norms)
    # END SOLUTION
