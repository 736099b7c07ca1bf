"""Can the HW1 graders be trusted? The checks are described in tests/grader_trust.py."""

import pytest

from conftest import total
from grader_trust import Homework, Mutant, assert_all_stored
from rnnkit import homeworks
from rnnkit.results import INTERNAL_ERROR, validate
from rnnkit_testing import test_subject as subject_of

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


@pytest.mark.parametrize("name", sorted(HW1.alternatives))
def test_alternative_gets_full_marks(grade_source, name):
    HW1.alternative_gets_full_marks(grade_source, name)


def test_alternatives_exist():
    assert len(HW1.alternatives) >= 2, "expected tests/submissions/hw1_alternatives/*/rnn_cell.py"


# ---- hostile return types: each function returns an odd type; every failure must be the student's
# own, naming the type expected (or pointing at the function it builds on), never a kit error.
# A function whose upstream fails only points there, so the check runs by level: at level k the
# functions k or more steps down builds_on are odd and the ones above are the reference's.

HOSTILE_RETURNS = {  # function -> what it returns instead (args: the arguments it was given)
    "rnn_cell_forward": 'np.array([1, "a", None], dtype=object)',  # crosses as an opaque numpy.ndarray
    "rnn_forward": "(h for h in args[1])",  # a generator object
    "rnn_cell_backward": '(args[1], "dh_prev", None)',  # a tuple of the wrong length
    "rnn_backward": '{"dx": args[1], "dh0": args[2]}',  # a dict
    "clip_grad_norm": '([{"g": 1}, "a", None] + [[1, "b", 2.5]] * len(args[0]))[:len(args[0])]',  # mixed types
    "output_layer": "None",
    "gradient_norms_through_time": "10 ** 400",  # a huge int
}
EXPECTED_TYPES = {  # a word of the expected type each function's first failure must name
    "rnn_cell_forward": "numpy array", "rnn_forward": "tuple", "rnn_cell_backward": "5 values",
    "rnn_backward": "tuple", "clip_grad_norm": "numpy array", "output_layer": "numpy array",
    "gradient_norms_through_time": "numpy array",
}


def builds_on_depths(homework):
    """{student function: how many steps down builds_on it is} (0: it builds on nothing)."""
    builds_on = homeworks.load(homework.id).builds_on

    def depth(name):
        return 1 + max((depth(upstream) for upstream in builds_on.get(name, ())), default=-1)

    return {name: depth(name) for name in homework.student_functions()}


def hostile_source(homework, returns, level):
    """The reference, with every function at ``level`` or deeper redefined to return its odd value."""
    depths = builds_on_depths(homework)
    assert set(returns) == set(depths), "a student function was added or removed: update the hostile returns"
    odd = [name for name in returns if depths[name] >= level]
    return homework.solution.read_text() + "".join(
        f"\n\ndef {name}(*args, **kwargs):\n    return {returns[name]}\n" for name in odd
    )


def check_hostile_grading(results, homework, expected_types, level):
    """The odd functions earn nothing and the reference's earn everything; no kit error; each odd
    function's first failed test names the type expected, or points upstream (deeper ones only)."""
    validate(results)
    assert "The autograder itself hit a problem" not in results.get("output", "")
    assert_all_stored(results)
    depths = builds_on_depths(homework)
    first_failures = {}
    for test in results["tests"]:
        assert INTERNAL_ERROR not in test["output"], (test["number"], test["name"], test["output"])
        subject = subject_of(test["name"])
        if subject in depths:  # a function's own test: nothing when it is odd, full marks when the reference's
            as_expected = test["score"] == 0 if depths[subject] >= level else test["status"] == "passed"
            assert as_expected, (level, test["number"], test["name"], test["score"], test["output"])
        if test["status"] == "failed":
            first_failures.setdefault(subject, test)
    if level == 0:
        assert total(results)[0] == 0, [t["name"] for t in results["tests"] if t["score"]]
    for name, depth in depths.items():
        if depth < level:
            continue  # the reference's
        test = first_failures[name]
        if depth > level and " fails test " in test["output"]:
            continue  # pointing at the odd function it builds on
        assert expected_types[name] in test["output"], (level, test["number"], test["name"], test["output"])


@pytest.mark.parametrize("level", range(1 + max(builds_on_depths(HW1).values())))
def test_hostile_return_types(grade_source, level):
    """grade_source also checks that `rnnkit grade` exits 0: the kit itself did not fail."""
    results = grade_source(HW1.id, HW1.module, hostile_source(HW1, HOSTILE_RETURNS, level))
    check_hostile_grading(results, HW1, EXPECTED_TYPES, level)
