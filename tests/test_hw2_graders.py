"""Can the HW2 graders be trusted? The checks are described in tests/grader_trust.py."""

import pytest

from grader_trust import Homework, Mutant
from test_hw1_graders import builds_on_depths, check_hostile_grading, hostile_source

HW2 = Homework("hw2_lstm_gates")

MUTANTS = [
    # ---- sigmoid and the split gates
    Mutant(
        "sigmoid_textbook_formula_overflows",
        "    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))\n",
        "    return 1.0 / (1.0 + np.exp(-z))\n",
        "numerically stable",
    ),
    Mutant(
        "sigmoid_exp_z_branch_everywhere",
        "    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))\n",
        "    return np.exp(z) / (1.0 + np.exp(z))\n",
        "exp(-z)",
    ),
    Mutant(
        "forget_gate_drops_hidden_bias",
        "sigmoid(x @ W_if.T + b_if + h_prev @ W_hf.T + b_hf)",
        "sigmoid(x @ W_if.T + b_if + h_prev @ W_hf.T)",
        "both biases",
    ),
    Mutant(
        "forget_gate_missing_transpose",
        "h_prev @ W_hf.T + b_hf",
        "h_prev @ W_hf + b_hf",
        "transpose",
    ),
    Mutant(
        "output_gate_uses_tanh",
        "return sigmoid(x @ W_io.T + b_io + h_prev @ W_ho.T + b_ho)",
        "return np.tanh(x @ W_io.T + b_io + h_prev @ W_ho.T + b_ho)",
        "the output gate o should use a sigmoid",
    ),
    Mutant(
        "candidate_uses_sigmoid",
        "return np.tanh(x @ W_ig.T + b_ig + h_prev @ W_hg.T + b_hg)",
        "return sigmoid(x @ W_ig.T + b_ig + h_prev @ W_hg.T + b_hg)",
        "should use tanh",
    ),
    Mutant(
        "input_gate_drops_input_bias",
        "return sigmoid(x @ W_ii.T + b_ii + h_prev @ W_hi.T + b_hi)",
        "return sigmoid(x @ W_ii.T + h_prev @ W_hi.T + b_hi)",
        "the input gate i in the hand-computed example",
    ),
    Mutant(
        "cell_state_without_input_gate",
        "    return f * c_prev + i * g\n",
        "    return f * c_prev + g\n",
        "input gate scales the candidate",
    ),
    Mutant(
        "hidden_state_as_sum_like_the_slide_misprint",
        "    return o * np.tanh(c)\n",
        "    return o + np.tanh(c)\n",
        "product",
    ),
    Mutant(
        "hidden_state_without_tanh",
        "    return o * np.tanh(c)\n",
        "    return o * c\n",
        "tanh(c)",
    ),
    # ---- the stacked LSTM cell and the sequence
    Mutant(
        "cs231n_gate_order_ifog",
        "    W_ii, W_if, W_ig, W_io = _split_rows(W_ih, 4)\n"
        "    W_hi, W_hf, W_hg, W_ho = _split_rows(W_hh, 4)\n"
        "    b_ii, b_if, b_ig, b_io = _split_rows(b_ih, 4)\n"
        "    b_hi, b_hf, b_hg, b_ho = _split_rows(b_hh, 4)\n",
        "    W_ii, W_if, W_io, W_ig = _split_rows(W_ih, 4)\n"
        "    W_hi, W_hf, W_ho, W_hg = _split_rows(W_hh, 4)\n"
        "    b_ii, b_if, b_io, b_ig = _split_rows(b_ih, 4)\n"
        "    b_hi, b_hf, b_ho, b_hg = _split_rows(b_hh, 4)\n",
        "CS231n",
    ),
    Mutant(
        "cs231n_gate_order_and_tanh_output_gate",
        "    W_ii, W_if, W_ig, W_io = _split_rows(W_ih, 4)\n"
        "    W_hi, W_hf, W_hg, W_ho = _split_rows(W_hh, 4)\n"
        "    b_ii, b_if, b_ig, b_io = _split_rows(b_ih, 4)\n"
        "    b_hi, b_hf, b_hg, b_ho = _split_rows(b_hh, 4)\n"
        "    i = input_gate(x, h_prev, W_ii, b_ii, W_hi, b_hi)\n"
        "    f = forget_gate(x, h_prev, W_if, b_if, W_hf, b_hf)\n"
        "    g = candidate_memory(x, h_prev, W_ig, b_ig, W_hg, b_hg)\n"
        "    o = output_gate(x, h_prev, W_io, b_io, W_ho, b_ho)\n",
        "    W_ii, W_if, W_io, W_ig = _split_rows(W_ih, 4)\n"
        "    W_hi, W_hf, W_ho, W_hg = _split_rows(W_hh, 4)\n"
        "    b_ii, b_if, b_io, b_ig = _split_rows(b_ih, 4)\n"
        "    b_hi, b_hf, b_ho, b_hg = _split_rows(b_hh, 4)\n"
        "    i = input_gate(x, h_prev, W_ii, b_ii, W_hi, b_hi)\n"
        "    f = forget_gate(x, h_prev, W_if, b_if, W_hf, b_hf)\n"
        "    g = candidate_memory(x, h_prev, W_ig, b_ig, W_hg, b_hg)\n"
        "    o = candidate_memory(x, h_prev, W_io, b_io, W_ho, b_ho)\n",
        "CS231n",
    ),
    Mutant(
        "forget_and_input_blocks_swapped",
        "    W_ii, W_if, W_ig, W_io = _split_rows(W_ih, 4)\n"
        "    W_hi, W_hf, W_hg, W_ho = _split_rows(W_hh, 4)\n"
        "    b_ii, b_if, b_ig, b_io = _split_rows(b_ih, 4)\n"
        "    b_hi, b_hf, b_hg, b_ho = _split_rows(b_hh, 4)\n",
        "    W_if, W_ii, W_ig, W_io = _split_rows(W_ih, 4)\n"
        "    W_hf, W_hi, W_hg, W_ho = _split_rows(W_hh, 4)\n"
        "    b_if, b_ii, b_ig, b_io = _split_rows(b_ih, 4)\n"
        "    b_hf, b_hi, b_hg, b_ho = _split_rows(b_hh, 4)\n",
        "gate order",
    ),
    Mutant(
        "input_gate_copy_pasted_from_forget_gate",
        "    i = input_gate(x, h_prev, W_ii, b_ii, W_hi, b_hi)\n",
        "    i = input_gate(x, h_prev, W_if, b_if, W_hf, b_hf)\n",
        "i, f, g, o",
    ),
    Mutant(
        "lstm_cell_ignores_bias_hh",
        "    b_hi, b_hf, b_hg, b_ho = _split_rows(b_hh, 4)\n",
        "    b_hi, b_hf, b_hg, b_ho = _split_rows(0 * b_hh, 4)\n",
        "two bias vectors",
    ),
    Mutant(
        "lstm_forward_returns_h_twice",
        "    return outputs, (h.copy(), c.copy())\n",
        "    return outputs, (h.copy(), h.copy())\n",
        "c_T",
    ),
    Mutant(
        "lstm_forward_restarts_cell_state",
        "        h, c = lstm_cell_forward(x[:, t], h, c, W_ih, W_hh, b_ih, b_hh)\n",
        "        h, c = lstm_cell_forward(x[:, t], h, c0, W_ih, W_hh, b_ih, b_hh)\n",
        "carry both h and c",
    ),
    Mutant(
        "lstm_forward_writes_into_h0",
        "        h, c = lstm_cell_forward(x[:, t], h, c, W_ih, W_hh, b_ih, b_hh)\n",
        "        h[...], c = lstm_cell_forward(x[:, t], h, c, W_ih, W_hh, b_ih, b_hh)\n",
        "modified its input `h0`",
    ),
    # ---- the GRU cell
    Mutant(
        "gru_reset_and_update_rows_swapped",
        "    W_ir, W_iz, W_in = _split_rows(W_ih, 3)\n"
        "    W_hr, W_hz, W_hn = _split_rows(W_hh, 3)\n"
        "    b_ir, b_iz, b_in = _split_rows(b_ih, 3)\n"
        "    b_hr, b_hz, b_hn = _split_rows(b_hh, 3)\n",
        "    W_iz, W_ir, W_in = _split_rows(W_ih, 3)\n"
        "    W_hz, W_hr, W_hn = _split_rows(W_hh, 3)\n"
        "    b_iz, b_ir, b_in = _split_rows(b_ih, 3)\n"
        "    b_hz, b_hr, b_hn = _split_rows(b_hh, 3)\n",
        "r, z, n",
    ),
    Mutant(
        "gru_update_gate_flipped",
        "    return (1.0 - z) * n + z * h_prev\n",
        "    return z * n + (1.0 - z) * h_prev\n",
        "z close to 1 keeps the old state",
    ),
    Mutant(
        "gru_reset_after_ignored",
        "    if reset_after:\n",
        "    if True:\n",
        "reset_after",
    ),
    Mutant(
        "gru_bias_hn_outside_the_reset",
        "r * (h_prev @ W_hn.T + b_hn)",
        "r * (h_prev @ W_hn.T) + b_hn",
        "b_hn",
    ),
    # ---- parameter counts
    Mutant(
        "torch_count_with_one_bias",
        'biases = 2 if framework == "torch" or (kind == "gru" and reset_after) else 1',
        'biases = 2 if kind == "gru" and reset_after else 1',
        "two bias vectors",
    ),
    Mutant(
        "keras_gru_count_ignores_reset_after",
        'biases = 2 if framework == "torch" or (kind == "gru" and reset_after) else 1',
        'biases = 2 if framework == "torch" or kind == "gru" else 1',
        "reset_after",
    ),
    Mutant(
        "lstm_count_forgets_the_four_gates",
        '{"simple_rnn": 1, "lstm": 4, "gru": 3}',
        '{"simple_rnn": 1, "lstm": 1, "gru": 3}',
        "four gates",
    ),
    Mutant(
        "dense_count_without_bias",
        "        return input_dim * units + units\n",
        "        return input_dim * units\n",
        "bias",
    ),
    Mutant(
        "model_count_reuses_the_model_input_size",
        "        input_dim = units\n",
        "",
        "previous layer",
    ),
    # ---- the concatenated form
    Mutant(
        "concat_columns_read_as_x_then_h",
        "    return W[:, H:].copy(), np.array(b, dtype=float), W[:, :H].copy(), np.zeros(H)\n",
        "    return W[:, :input_dim].copy(), np.array(b, dtype=float), W[:, input_dim:].copy(), np.zeros(H)\n",
        "[x_t, h_{t-1}]",
    ),
    # ---- the LSTM backward step
    Mutant(
        "backward_cell_gradient_skips_the_forget_gate",
        "dc_total * c_prev, dc_total * f, dc_total * g, dc_total * i",
        "dc_total * c_prev, dc_total, dc_total * g, dc_total * i",
        "only through the forget gate",
    ),
    Mutant(
        "backward_bias_gradient_is_a_mean",
        "    db = dz.sum(axis=0)\n",
        "    db = dz.mean(axis=0)\n",
        "not a mean",
    ),
    Mutant(
        "backward_drops_the_gradient_from_later_steps",
        "dc_total = dc + dh * o * (1.0 - tanh_c ** 2)",
        "dc_total = dh * o * (1.0 - tanh_c ** 2)",
        "both from dc",
    ),
]


def test_solution_blocks_cover_every_student_function():
    assert len(HW2.student_functions()) == 14


def test_reference_gets_full_marks(grade):
    HW2.reference_gets_full_marks(grade, min_points=60)


def test_stub_gets_nothing(grade_source):
    HW2.stub_gets_nothing(grade_source)


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.id for m in MUTANTS])
def test_mutant_is_caught(grade_source, mutant):
    HW2.mutant_is_caught(grade_source, mutant)


@pytest.mark.parametrize("name", sorted(HW2.alternatives))
def test_alternative_gets_full_marks(grade_source, name):
    HW2.alternative_gets_full_marks(grade_source, name)


def test_alternatives_exist():
    assert len(HW2.alternatives) >= 3, "expected tests/submissions/hw2_alternatives/*/lstm_gates.py"


def test_grading_a_partly_wrong_submission_twice_gives_the_same_results(grade_source):
    """The same HW2 submission (here with a bug that fails some tests) graded twice gives the same
    results.json apart from execution_time: every grader's data is seeded."""
    source = HW2.mutate(MUTANTS[0])
    runs = [grade_source(HW2.id, HW2.module, source) for _ in range(2)]
    for results in runs:
        results.pop("execution_time")
    assert runs[0]["tests"] and any(t["status"] == "failed" for t in runs[0]["tests"])
    assert runs[0] == runs[1]


# ---- hostile return types (see test_hw1_graders.py): each function returns an odd type, level by
# level down builds_on; every failure is the student's own and names the type expected.

HOSTILE_RETURNS = {  # function -> what it returns instead (args: the arguments it was given)
    "sigmoid": '"sigmoid"',  # a string
    "forget_gate": '{"f": args[0]}',  # a dict
    "input_gate": "None",
    "candidate_memory": "(row for row in args[0])",  # a generator object
    "output_gate": 'np.array([[1, "a"]], dtype=object)',  # crosses as an opaque numpy.ndarray
    "next_cell_state": '[1, "a", None, 2.5]',  # a list of mixed types
    "next_hidden_state": "10 ** 400",  # a huge int
    "lstm_cell_forward": '(args[1], {"c": 1})',  # a right h, and a dict for c
    "lstm_forward": '("outputs", ("h_T", "c_T"))',
    "gru_cell_forward": "True",
    "layer_param_count": '10 ** 400 if args[0] == "lstm" else "sixty"',  # a string, and a huge int
    "model_param_count": "np.array([64, 76])",  # an array where an int is expected
    "concat_to_split": "(args[0], args[1])",  # a tuple of the wrong length
    "lstm_cell_backward": '{1: "dx", 2: None}',  # a dict with int keys: crosses as an opaque dict
}
EXPECTED_TYPES = {  # a word of the expected type each function's first failure must name
    **dict.fromkeys(("sigmoid", "forget_gate", "input_gate", "candidate_memory", "output_gate", "next_cell_state",
                     "next_hidden_state", "lstm_cell_forward", "lstm_forward", "gru_cell_forward"), "numpy array"),
    "layer_param_count": "an int", "model_param_count": "an int", "concat_to_split": "4 values",
    "lstm_cell_backward": "tuple",
}


@pytest.mark.parametrize("level", range(1 + max(builds_on_depths(HW2).values())))
def test_hostile_return_types(grade_source, level):
    results = grade_source(HW2.id, HW2.module, hostile_source(HW2, HOSTILE_RETURNS, level))
    check_hostile_grading(results, HW2, EXPECTED_TYPES, level)
