"""Can the HW1 graders be trusted?

Every check grades a submission with the real `rnnkit grade` CLI and reads results.json:

- the reference solution gets full marks, and the bare stub gets nothing;
- each realistic student bug below (a textual mutation of the reference) loses points, and at
  least one failed test explains it with the expected concept keyword;
- correct implementations written differently (tests/submissions/hw1_alternatives/*) get full
  marks, so the graders do not insist on one particular way of writing the code.
"""

import ast
from typing import NamedTuple

import pytest

from conftest import ROOT, failed_outputs, total
from rnnkit.release.stubs import make_stub

HOMEWORK = "hw1_rnn_cell"
SOLUTION = ROOT / "solutions" / HOMEWORK / "rnn_cell.py"
ALTERNATIVES = sorted((ROOT / "tests" / "submissions" / "hw1_alternatives").glob("*/rnn_cell.py"))


class Mutant(NamedTuple):
    id: str
    find: str  # must occur exactly once in the reference solution
    replace: str
    keyword: str  # expected (case-insensitive) in the output of at least one failed test


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

def mutate(source, find, replace):
    count = source.count(find)
    if count != 1:
        pytest.fail(
            f"mutant out of sync with {SOLUTION.name}: its find-string occurs {count} times "
            f"(expected once):\n{find}",
            pytrace=False,
        )
    return source.replace(find, replace)


def describe(results):
    failed = failed_outputs(results)
    return "\n".join(f"- {name}: {output.strip()[:300]}" for name, output in failed.items())


def test_solution_blocks_cover_every_student_function():
    """Each public function's whole body after its docstring is one solution block, so the
    generated stub keeps nothing of the solution; the given helpers (`_...`) have no block."""
    source = SOLUTION.read_text()
    lines = source.splitlines()
    module = ast.parse(source)
    starts = [node.lineno for node in module.body] + [len(lines) + 1]
    students = 0
    for node, next_start in zip(module.body, starts[1:]):
        if not isinstance(node, ast.FunctionDef):
            continue
        # Comments are not in the AST: read the function's lines up to the next statement.
        after_docstring = [
            line.strip() for line in lines[node.body[0].end_lineno:next_start - 1] if line.strip()
        ]
        markers = [line for line in after_docstring if line.endswith("SOLUTION")]
        if node.name.startswith("_"):
            assert not markers, f"given helper {node.name} must not hold a solution block"
            continue
        students += 1
        assert ast.get_docstring(node), f"{node.name} needs a docstring"
        assert markers == ["# BEGIN SOLUTION", "# END SOLUTION"], (node.name, markers)
        assert after_docstring[0] == "# BEGIN SOLUTION", f"{node.name}: code before the block"
        assert after_docstring[-1] == "# END SOLUTION", f"{node.name}: code after the block"
    assert students == 7


def test_reference_gets_full_marks(grade):
    results = grade(HOMEWORK, SOLUTION)
    score, max_score = total(results)
    assert max_score >= 50, f"only {max_score} points in total"
    assert score == max_score, f"reference solution lost points:\n{describe(results)}"


def test_stub_gets_nothing(grade_source):
    source = make_stub(SOLUTION.read_text())  # what `rnnkit release` gives students
    results = grade_source(HOMEWORK, "rnn_cell", source)
    score, _ = total(results)
    passed = [t["name"] for t in results["tests"] if t["score"] > 0]
    assert score == 0, f"the unimplemented stub earns points in: {passed}"
    assert all("NotImplementedError" in output for output in failed_outputs(results).values())


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.id for m in MUTANTS])
def test_mutant_is_caught(grade_source, mutant):
    source = mutate(SOLUTION.read_text(), mutant.find, mutant.replace)
    results = grade_source(HOMEWORK, "rnn_cell", source)
    score, max_score = total(results)
    assert score < max_score, f"bug `{mutant.id}` still gets full marks"
    outputs = failed_outputs(results)
    assert any(mutant.keyword.lower() in output.lower() for output in outputs.values()), (
        f"bug `{mutant.id}` loses points, but no failed test mentions {mutant.keyword!r}:\n"
        + describe(results)
    )


@pytest.mark.parametrize("path", ALTERNATIVES, ids=[p.parent.name for p in ALTERNATIVES])
def test_alternative_gets_full_marks(grade, path):
    results = grade(HOMEWORK, path)
    score, max_score = total(results)
    assert score == max_score, (
        f"correct alternative {path.parent.name} lost points:\n{describe(results)}"
    )


def test_alternatives_exist():
    assert len(ALTERNATIVES) >= 2, "expected correct alternative solutions under " \
        "tests/submissions/hw1_alternatives/*/rnn_cell.py"
