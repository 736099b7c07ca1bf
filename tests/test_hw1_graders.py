"""Can the HW1 graders be trusted? The checks are described in tests/grader_trust.py."""

import pytest

from grader_trust import Homework, Mutant

HW1 = Homework("hw1_rnn_cell")

MUTANTS = [
    Mutant(
        "missing_transpose_W_hh",
        "h_prev @ W_hh.T + b_h",
        "h_prev @ W_hh + b_h",
        "transpose",
    ),
    Mutant(
        "bias_dropped",
        "z = x @ W_xh.T + h_prev @ W_hh.T + b_h",
        "z = x @ W_xh.T + h_prev @ W_hh.T",
        "bias",
    ),
    Mutant(
        "tanh_derivative_1_minus_h",
        "dz = dh_next * (1.0 - h_next ** 2)",
        "dz = dh_next * (1.0 - h_next)",
        "derivative",
    ),
    Mutant(
        "sigmoid_instead_of_tanh",
        "        return np.tanh(z)\n",
        "        return 1.0 / (1.0 + np.exp(-z))\n",
        "tanh",
    ),
    Mutant(
        "weight_grads_overwritten_each_step",
        "dW_hh += dW_hh_t",
        "dW_hh = dW_hh_t",
        "accumulate",
    ),
    Mutant(
        "doutputs_only_at_last_step",
        "dh = doutputs[:, t] + dh_from_later",
        "dh = dh_from_later + (doutputs[:, t] if t == x.shape[1] - 1 else 0.0)",
        "every time step",
    ),
    Mutant(
        "dh_prev_not_carried_back",
        "dh = doutputs[:, t] + dh_from_later",
        "dh = doutputs[:, t]",
        "through time",
    ),
    Mutant(
        "truncation_off_by_one",
        "(t + 1) % truncate == 0",
        "t % truncate == 0",
        "truncate",
    ),
    Mutant(
        "truncation_ignored",
        "if truncate is not None and (t + 1) % truncate == 0:",
        "if False:",
        "truncate",
    ),
    Mutant(
        "per_tensor_clipping",
        "    total_norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))\n",
        "    norms = [np.sqrt(np.sum(g ** 2)) for g in grads]\n"
        "    return [g * min(1.0, max_norm / n) if n > 0 else g.copy()\n"
        "            for g, n in zip(grads, norms)]\n",
        "global",
    ),
    Mutant(
        "clipping_always_rescales",
        "    if total_norm <= max_norm:\n        return [g.copy() for g in grads]\n",
        "",
        "already",
    ),
    Mutant(
        "clipping_in_place",
        "    return [g * scale for g in grads]\n",
        "    for g in grads:\n        g *= scale\n    return grads\n",
        "modified its input",
    ),
    Mutant(
        "forward_writes_into_h0",
        "        h = rnn_cell_forward(x[:, t], h, W_xh, W_hh, b_h, activation)\n",
        "        h[...] = rnn_cell_forward(x[:, t], h, W_xh, W_hh, b_h, activation)\n",
        "modified its input",
    ),
    Mutant(
        "relu_as_abs",
        "return np.maximum(z, 0.0)",
        "return np.abs(z)",
        "relu",
    ),
    Mutant(
        "h_last_is_first_output",
        "return outputs, outputs[:, -1].copy()",
        "return outputs, outputs[:, 0].copy()",
        "h_last",
    ),
    Mutant(
        "db_h_mean_over_batch",
        "db_h = dz.sum(axis=0)",
        "db_h = dz.mean(axis=0)",
        "batch",
    ),
    Mutant(
        "output_bias_dropped",
        "return h @ W_hy.T + b_y",
        "return h @ W_hy.T",
        "b_y",
    ),
    Mutant(
        "norms_skip_activation_derivative",
        "dh = (dh * dact) @ W_hh",
        "dh = dh @ W_hh",
        "derivative",
    ),
    Mutant(
        "unknown_activation_accepted",
        "    # BEGIN SOLUTION\n    _check_activation(activation)\n    # Examples are rows",
        "    # BEGIN SOLUTION\n    # Examples are rows",
        "ValueError",
    ),
]


def test_solution_blocks_cover_every_student_function():
    assert len(HW1.student_functions()) == 7


def test_reference_gets_full_marks(grade):
    HW1.reference_gets_full_marks(grade, min_points=50)


def test_stub_gets_nothing(grade_source):
    HW1.stub_gets_nothing(grade_source)


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.id for m in MUTANTS])
def test_mutant_is_caught(grade_source, mutant):
    HW1.mutant_is_caught(grade_source, mutant)


@pytest.mark.parametrize("path", HW1.alternatives, ids=[p.parent.name for p in HW1.alternatives])
def test_alternative_gets_full_marks(grade, path):
    HW1.alternative_gets_full_marks(grade, path)


def test_alternatives_exist():
    assert len(HW1.alternatives) >= 2, "expected tests/submissions/hw1_alternatives/*/rnn_cell.py"
