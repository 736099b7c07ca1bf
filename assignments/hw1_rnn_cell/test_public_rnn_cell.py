"""Public tests for HW1. Run them with `pytest` in this folder.

Each test compares your numpy code with PyTorch doing the same computation: torch.nn.RNNCell and
torch.nn.RNN for the forward passes, autograd for the gradients, clip_grad_norm_ for clipping and
nn.Linear for the output layer. The autograder runs these tests too, plus hidden ones that check
more cases (other shapes, activations, truncation, edge cases, inputs left unchanged).

Each torch computation is a function of its inputs marked @oracle: here it simply runs; the
autograder finds its result stored, worked out ahead, and does not wait for torch to load.
"""

import pytest

from rnnkit_testing import (
    assert_array, assert_arrays, assert_close, assert_tuple, assert_unchanged, lazy_import, oracle,
)

torch = lazy_import("torch")  # imported when a test first needs it
nn = lazy_import("torch.nn")

N, T, D, H, O = 2, 5, 3, 4, 6


def tensor(array, requires_grad=False):
    return torch.tensor(array, dtype=torch.float64, requires_grad=requires_grad)


def random_weights(rng):
    """W_xh (H, D), W_hh (H, H), b_h (H,) as in the homework."""
    return (
        rng.normal(scale=0.5, size=(H, D)),
        rng.normal(scale=0.5, size=(H, H)),
        rng.normal(scale=0.5, size=H),
    )


def with_weights(module, W_xh, W_hh, b_h, suffix=""):
    """Copy our weights into a torch.nn.RNNCell (suffix "") or torch.nn.RNN (suffix "_l0").

    torch has two biases, bias_ih and bias_hh, that are simply added; ours is bias_ih.
    """
    with torch.no_grad():
        getattr(module, "weight_ih" + suffix).copy_(tensor(W_xh))
        getattr(module, "weight_hh" + suffix).copy_(tensor(W_hh))
        getattr(module, "bias_ih" + suffix).copy_(tensor(b_h))
        getattr(module, "bias_hh" + suffix).zero_()
    return module


BPTT_GRADS = ("dx", "dh0", "dW_xh", "dW_hh", "db_h")


def bptt_problem(rng):
    """x (N, T, D), h0 (N, H), doutputs (N, T, H), then W_xh, W_hh, b_h."""
    x, h0, doutputs = rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(size=(N, T, H))
    return (x, h0, doutputs, *random_weights(rng))


def torch_rnn(W_xh, W_hh, b_h):
    """torch.nn.RNN (tanh, batch_first=True) holding our weights."""
    return with_weights(nn.RNN(D, H, batch_first=True, dtype=torch.float64), W_xh, W_hh, b_h, "_l0")


@oracle
def torch_cell_forward(x, h_prev, W_xh, W_hh, b_h):
    """h_next of torch.nn.RNNCell."""
    cell = with_weights(nn.RNNCell(D, H, dtype=torch.float64), W_xh, W_hh, b_h)
    with torch.no_grad():
        return cell(tensor(x), tensor(h_prev)).numpy()


@oracle
def torch_rnn_forward(x, h0, W_xh, W_hh, b_h):
    """(outputs, h_last) of torch.nn.RNN."""
    with torch.no_grad():
        outputs, h_n = torch_rnn(W_xh, W_hh, b_h)(tensor(x), tensor(h0)[None])
    return outputs.numpy(), h_n[0].numpy()


@oracle
def torch_cell_grads(dh_next, x, h_prev, W_xh, W_hh, b_h):
    """Autograd of sum(dh_next * h_next): (dx, dh_prev, dW_xh, dW_hh, db_h)."""
    xt, ht = tensor(x, True), tensor(h_prev, True)
    Wx, Wh, b = tensor(W_xh, True), tensor(W_hh, True), tensor(b_h, True)
    h_next = torch.tanh(xt @ Wx.T + ht @ Wh.T + b)
    (h_next * tensor(dh_next)).sum().backward()
    return tuple(variable.grad.numpy() for variable in (xt, ht, Wx, Wh, b))


@oracle
def torch_bptt_grads(doutputs, x, h0, W_xh, W_hh, b_h, truncate=None):
    """Autograd of sum(doutputs * outputs): (dx, dh0, dW_xh, dW_hh, db_h), through torch.nn.RNN,
    or with truncate=k through torch.nn.RNNCell steps with the state detached after steps k, 2k,
    ... (counted from 1): a chunk ends there and no gradient flows further back."""
    xt, h0t = tensor(x, True), tensor(h0, True)
    if truncate is None:
        rnn = torch_rnn(W_xh, W_hh, b_h)
        outputs, _ = rnn(xt, h0t[None])
        (outputs * tensor(doutputs)).sum().backward()
        return tuple(v.grad.numpy() for v in (xt, h0t, rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0))
    cell = with_weights(nn.RNNCell(D, H, dtype=torch.float64), W_xh, W_hh, b_h)
    h, loss = h0t, 0.0
    for t in range(T):
        h = cell(xt[:, t], h)
        loss = loss + (h * tensor(doutputs[:, t])).sum()
        if (t + 1) % truncate == 0:
            h = h.detach()
    loss.backward()
    return tuple(v.grad.numpy() for v in (xt, h0t, cell.weight_ih, cell.weight_hh, cell.bias_ih))


@oracle
def torch_clip_grad_norm(grads, max_norm):
    """The gradients as torch.nn.utils.clip_grad_norm_ leaves them."""
    params = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, g in zip(params, grads):
        p.grad = tensor(g)
    nn.utils.clip_grad_norm_(params, max_norm)
    return [p.grad.numpy() for p in params]


@oracle
def global_norm(arrays):
    """The norm of all arrays together, computed by torch."""
    return float(torch.linalg.vector_norm(torch.cat([tensor(a).flatten() for a in arrays])))


@oracle
def torch_linear(h, W_hy, b_y):
    """torch.nn.Linear with weight W_hy and bias b_y, applied to h."""
    layer = nn.Linear(H, O, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(tensor(W_hy))
        layer.bias.copy_(tensor(b_y))
        return layer(tensor(h)).numpy()


@oracle
def torch_state_grad_norms(dh_last, x, h0, W_xh, W_hh, b_h):
    """Norms of the gradient of sum(dh_last * h_T) at h_T, h_{T-1}, ..., h_0 (tanh), by autograd."""
    Wx, Wh, b = tensor(W_xh), tensor(W_hh), tensor(b_h)
    states = [tensor(h0, True)]
    for t in range(T):
        h = torch.tanh(tensor(x[:, t]) @ Wx.T + states[-1] @ Wh.T + b)
        h.retain_grad()
        states.append(h)
    (states[-1] * tensor(dh_last)).sum().backward()
    return [float(torch.linalg.norm(s.grad)) for s in reversed(states)]



@pytest.mark.points(2)
def test_cell_forward_tanh(student, rng):
    """rnn_cell_forward: tanh step matches torch.nn.RNNCell"""
    x, h_prev = rng.normal(size=(N, D)), rng.normal(size=(N, H))
    W_xh, W_hh, b_h = random_weights(rng)
    h_next = student.rnn_cell_forward(x, h_prev, W_xh, W_hh, b_h)
    expected = torch_cell_forward(x, h_prev, W_xh, W_hh, b_h)

    assert_array(h_next, "h_next", shape=(N, H), hint="h_next has one row per example.")
    assert_close(
        h_next, expected, "h_next",
        hint="Follow the formula in the module docstring: both products, the bias, then the activation.",
    )


@pytest.mark.points(2)
def test_rnn_forward_matches_torch(student, rng):
    """rnn_forward: outputs and h_last match torch.nn.RNN"""
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    W_xh, W_hh, b_h = random_weights(rng)
    outputs, h_last = assert_arrays(
        student.rnn_forward(x, h0, W_xh, W_hh, b_h), "rnn_forward", ("outputs", "h_last")
    )
    expected_outputs, expected_last = torch_rnn_forward(x, h0, W_xh, W_hh, b_h)

    assert_array(outputs, "outputs", shape=(N, T, H), hint="Keep the hidden state of every step.")
    assert_close(
        outputs, expected_outputs, "outputs",
        hint="Start from h0 and feed each step's state into the next step.",
    )
    assert_close(h_last, expected_last, "h_last", hint="h_last is the state after the last step.")


@pytest.mark.points(2)
def test_cell_backward_matches_autograd(student, rng):
    """rnn_cell_backward: gradients match torch autograd"""
    x, h_prev, dh_next = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    W_xh, W_hh, b_h = random_weights(rng)
    names = ("dx", "dh_prev", "dW_xh", "dW_hh", "db_h")
    grads = assert_arrays(
        student.rnn_cell_backward(dh_next, x, h_prev, W_xh, W_hh, b_h), "rnn_cell_backward", names
    )
    expected = torch_cell_grads(dh_next, x, h_prev, W_xh, W_hh, b_h)

    for grad, name, reference in zip(grads, names, expected):
        assert_close(
            grad, reference, name,
            hint="Back through tanh first (its derivative is 1 - tanh^2), then the chain rule "
            "through each term of the pre-activation.",
        )


@pytest.mark.points(2)
def test_rnn_backward_matches_autograd(student, rng):
    """rnn_backward: full BPTT gradients match torch autograd"""
    x, h0, doutputs, W_xh, W_hh, b_h = bptt_problem(rng)
    names = BPTT_GRADS
    grads = assert_arrays(
        student.rnn_backward(doutputs, x, h0, W_xh, W_hh, b_h), "rnn_backward", names
    )
    expected = torch_bptt_grads(doutputs, x, h0, W_xh, W_hh, b_h)

    for grad, name, reference in zip(grads, names, expected):
        assert_close(
            grad, reference, name,
            hint="Walk the steps backwards; the gradient reaching each state is its own output's "
            "gradient plus what the next step sends back; the weights are shared, so their gradients add up over all steps.",
        )


@pytest.mark.points(1)
def test_truncated_bptt_chunk_boundaries(student, rng):
    """rnn_backward: truncate=2 on 5 steps matches autograd with the state detached after steps 2 and 4"""
    x, h0, doutputs, W_xh, W_hh, b_h = bptt_problem(rng)
    names = BPTT_GRADS
    grads = assert_arrays(
        student.rnn_backward(doutputs, x, h0, W_xh, W_hh, b_h, truncate=2), "rnn_backward", names
    )
    expected = torch_bptt_grads(doutputs, x, h0, W_xh, W_hh, b_h, truncate=2)

    for grad, name, reference in zip(grads, names, expected):
        assert_close(
            grad, reference, f"{name} (truncate=2, T=5)",
            hint="A chunk of k steps ends after steps k, 2k, ... (counted from 1); the gradient "
            "from later steps stops at a chunk's end, the output gradients themselves do not.",
        )


@pytest.mark.points(1)
def test_clip_grad_norm_matches_torch(student, rng):
    """clip_grad_norm: matches torch.nn.utils.clip_grad_norm_"""
    grads = [rng.normal(size=(H, D)), rng.normal(size=(H, H)), rng.normal(size=H)]
    max_norm = 1.5
    clipped = student.clip_grad_norm(grads, max_norm)
    expected = torch_clip_grad_norm(grads, max_norm)

    clipped = assert_tuple(
        clipped, len(grads), "clip_grad_norm", hint="Return a list with one array per gradient."
    )
    for i, (c, e) in enumerate(zip(clipped, expected)):
        # torch adds 1e-6 to the norm before dividing, hence the looser tolerance.
        assert_close(
            c, e, f"clipped[{i}]", rtol=1e-5,
            hint="Use the norm of all gradients together, then scale by max_norm / norm.",
        )


@pytest.mark.points(1)
def test_clip_grad_norm_at_exactly_max_norm(student, rng):
    """clip_grad_norm: gradients whose global norm is exactly max_norm come back as they were"""
    grads = [rng.normal(size=(H, D)), rng.normal(size=(H, H)), rng.normal(size=H)]
    clipped = assert_tuple(
        student.clip_grad_norm(grads, global_norm(grads)), len(grads), "clip_grad_norm",
        hint="Return a list with one array per gradient.",
    )
    for i, (c, g) in enumerate(zip(clipped, grads)):
        assert_close(
            c, g, f"clipped[{i}] (norm exactly max_norm)", rtol=1e-9, atol=0.0,
            hint="Only a global norm above max_norm is scaled down; at or below it the gradients "
            "are returned as they are (no epsilon that shrinks them anyway).",
        )


@pytest.mark.points(1)
def test_clip_grad_norm_leaves_its_inputs_unchanged(student, rng):
    """clip_grad_norm: does not modify the gradients it is given"""
    grads = [rng.normal(size=(H, D)), rng.normal(size=(H, H)), rng.normal(size=H)]
    result, (grads_after, _), _ = student.call_with_inputs("clip_grad_norm", grads, 0.3 * global_norm(grads))
    # a function that returns nothing useful must not earn this point
    clipped = assert_tuple(result, len(grads), "clip_grad_norm", hint="Return a list with one array per gradient.")
    for i, (c, g) in enumerate(zip(clipped, grads)):
        assert_array(c, f"clipped[{i}]", shape=g.shape)
    for i, (before, after) in enumerate(zip(grads, grads_after)):
        assert_unchanged(before, after, f"grads[{i}]")


@pytest.mark.points(1)
def test_output_layer_matches_linear(student, rng):
    """output_layer: matches torch.nn.Linear"""
    h, W_hy, b_y = rng.normal(size=(N, H)), rng.normal(size=(O, H)), rng.normal(size=O)
    y = student.output_layer(h, W_hy, b_y)
    expected = torch_linear(h, W_hy, b_y)

    assert_array(y, "y", shape=(N, O), hint="y has one row of O outputs per example.")
    assert_close(y, expected, "y", hint="An affine map of each row of h, with PyTorch's weight layout, plus the bias.")


@pytest.mark.points(1)
def test_gradient_norms_tanh(student, rng):
    """gradient_norms_through_time: tanh norms match torch autograd"""
    x, h0, dh_last = rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    W_xh, W_hh, b_h = random_weights(rng)
    norms = student.gradient_norms_through_time(dh_last, x, h0, W_xh, W_hh, b_h)
    expected = torch_state_grad_norms(dh_last, x, h0, W_xh, W_hh, b_h)

    assert_array(norms, "norms", shape=(T + 1,), hint="One norm for each of h_T, ..., h_0.")
    assert_close(
        norms, expected, "norms",
        hint="norms[0] is ||dh_last||; each step back multiplies by tanh' and by W_hh.",
    )
