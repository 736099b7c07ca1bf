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
    # ========================= YOUR CODE BELOW ========================== #
    # TODO: implement rnn_cell_forward as its docstring describes.
    raise NotImplementedError("rnn_cell_forward is not implemented yet")
    # ========================= YOUR CODE ABOVE ========================== #


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
    # ========================= YOUR CODE BELOW ========================== #
    # TODO: implement rnn_forward as its docstring describes.
    raise NotImplementedError("rnn_forward is not implemented yet")
    # ========================= YOUR CODE ABOVE ========================== #


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
    # ========================= YOUR CODE BELOW ========================== #
    # TODO: implement rnn_cell_backward as its docstring describes.
    raise NotImplementedError("rnn_cell_backward is not implemented yet")
    # ========================= YOUR CODE ABOVE ========================== #


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
    # ========================= YOUR CODE BELOW ========================== #
    # TODO: implement rnn_backward as its docstring describes.
    raise NotImplementedError("rnn_backward is not implemented yet")
    # ========================= YOUR CODE ABOVE ========================== #


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
    # ========================= YOUR CODE BELOW ========================== #
    # TODO: implement clip_grad_norm as its docstring describes.
    raise NotImplementedError("clip_grad_norm is not implemented yet")
    # ========================= YOUR CODE ABOVE ========================== #


def output_layer(h, W_hy, b_y):
    """Affine output layer on top of the hidden states: the slide's y = V h + b_y.

    Inputs:
    - h: hidden states, shape (N, H)
    - W_hy: hidden-to-output weights (the slide's V), shape (O, H)
    - b_y: output bias, shape (O,)

    Returns:
    - y: outputs, shape (N, O)
    """
    # ========================= YOUR CODE BELOW ========================== #
    # TODO: implement output_layer as its docstring describes.
    raise NotImplementedError("output_layer is not implemented yet")
    # ========================= YOUR CODE ABOVE ========================== #


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
    # ========================= YOUR CODE BELOW ========================== #
    # TODO: implement gradient_norms_through_time as its docstring describes.
    raise NotImplementedError("gradient_norms_through_time is not implemented yet")
    # ========================= YOUR CODE ABOVE ========================== #
