"""The checks that say whether a homework's graders can be trusted, shared by tests/test_hwN_graders.py.

Every check grades a submission with the real `rnnkit grade` CLI and reads results.json:

- the reference solution gets full marks, and the bare stub gets nothing;
- each realistic student bug (a `Mutant`: a textual edit of the reference) loses points, and at
  least one failed test explains it with the expected concept keyword;
- correct implementations written differently (tests/submissions/hwN_alternatives/*) get full
  marks, so the graders do not insist on one particular way of writing the code.
"""

import ast
from typing import NamedTuple

import pytest

from conftest import ROOT, failed_outputs, total
from rnnkit import homeworks
from rnnkit.release.stubs import make_stub


class Mutant(NamedTuple):
    id: str
    find: str  # must occur exactly once in the reference solution
    replace: str
    keyword: str  # expected (case-insensitive) in the output of at least one failed test


class Homework:
    """One homework's reference, stub and alternatives, and the trust checks on them."""

    def __init__(self, homework_id):
        self.id = homework_id
        self.module = homeworks.load(homework_id).module
        self.solution = ROOT / "solutions" / homework_id / f"{self.module}.py"
        short = homework_id.split("_", 1)[0]  # hw1_rnn_cell -> hw1
        self.alternatives = sorted(
            (ROOT / "tests" / "submissions" / f"{short}_alternatives").glob(f"*/{self.module}.py")
        )

    def mutate(self, mutant):
        source = self.solution.read_text()
        count = source.count(mutant.find)
        if count != 1:
            pytest.fail(
                f"mutant {mutant.id} out of sync with {self.solution.name}: its find-string occurs "
                f"{count} times (expected once):\n{mutant.find}",
                pytrace=False,
            )
        return source.replace(mutant.find, mutant.replace)

    def student_functions(self):
        """Check that each public function's whole body after its docstring is one solution block
        (so the stub keeps nothing of the solution) and the given helpers (`_...`) have none;
        return the names of the public functions."""
        source = self.solution.read_text()
        lines = source.splitlines()
        module = ast.parse(source)
        starts = [node.lineno for node in module.body] + [len(lines) + 1]
        names = []
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
            names.append(node.name)
            assert ast.get_docstring(node), f"{node.name} needs a docstring"
            assert markers == ["# BEGIN SOLUTION", "# END SOLUTION"], (node.name, markers)
            assert after_docstring[0] == "# BEGIN SOLUTION", f"{node.name}: code before the block"
            assert after_docstring[-1] == "# END SOLUTION", f"{node.name}: code after the block"
        return names

    # -- the checks; each takes the conftest fixtures `grade` / `grade_source` --

    def reference_gets_full_marks(self, grade, min_points):
        results = grade(self.id, self.solution)
        score, max_score = total(results)
        assert max_score >= min_points, f"only {max_score} points in total"
        assert score == max_score, f"reference solution lost points:\n{describe(results)}"

    def stub_gets_nothing(self, grade_source):
        source = make_stub(self.solution.read_text())  # what `rnnkit release` gives students
        results = grade_source(self.id, self.module, source)
        score, _ = total(results)
        passed = [t["name"] for t in results["tests"] if t["score"] > 0]
        assert score == 0, f"the unimplemented stub earns points in: {passed}"
        assert all("NotImplementedError" in output for output in failed_outputs(results).values())

    def mutant_is_caught(self, grade_source, mutant):
        results = grade_source(self.id, self.module, self.mutate(mutant))
        score, max_score = total(results)
        assert score < max_score, f"bug `{mutant.id}` still gets full marks"
        outputs = failed_outputs(results)
        assert any(mutant.keyword.lower() in output.lower() for output in outputs.values()), (
            f"bug `{mutant.id}` loses points, but no failed test mentions {mutant.keyword!r}:\n"
            + describe(results)
        )
        return results

    def alternative_gets_full_marks(self, grade, path):
        results = grade(self.id, path)
        score, max_score = total(results)
        assert score == max_score, f"correct alternative {path.parent.name} lost points:\n{describe(results)}"


def describe(results):
    failed = failed_outputs(results)
    return "\n".join(f"- {name}: {output.strip()[:300]}" for name, output in failed.items())
