"""The checks that say whether a homework's graders can be trusted, shared by tests/test_hwN_graders.py.

Every check grades a submission with the real `rnnkit grade` CLI and reads results.json:

- the reference solution gets full marks, and the bare stub gets nothing;
- each realistic student bug (a `Mutant`: a textual edit of the reference) loses points, and the
  first failed test, the one a student reads first, explains it with the expected concept keyword;
- no message a student reads spells out code of the reference that the stub does not already show;
- correct implementations written differently get full marks, so the graders do not insist on one
  particular way of writing the code: HW1's and HW2's are files of their own
  (tests/submissions/hwN_alternatives/*), HW3's and HW4's the reference with some functions'
  bodies written another way (tests/alternatives.py), so they cannot drift from it elsewhere;
- grading any of these finds every torch result the graders compare with stored (a numpy
  homework's oracles.json, recorded on the reference alone by `rnnkit release`).

The reference, the stub and the mutants are graded once per test run (`graded`): the public-test
parity check (tests/test_public_parity.py) reads the same results.json instead of grading again.
"""

import ast
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

import pytest

from alternatives import ALTERNATIVES
from conftest import ROOT, failed_outputs, total
from rnnkit import homeworks
from rnnkit.feedback_markdown import plain_text
from rnnkit.release.stubs import make_stub
from rnnkit_testing import test_subject


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
        self.given = homeworks.load(homework_id).given  # public functions students receive whole
        self.solution = ROOT / "solutions" / homework_id / f"{self.module}.py"
        short = homework_id.split("_", 1)[0]  # hw1_rnn_cell -> hw1
        files = (ROOT / "tests" / "submissions" / f"{short}_alternatives").glob(f"*/{self.module}.py")
        # name -> its source, or the function bodies it writes differently from the reference
        self.alternatives = {path.parent.name: path for path in files}
        self.alternatives.update(ALTERNATIVES.get(homework_id, {}))

    @cached_property
    def reference_code(self):
        """Code fragments of the reference (expressions and statements of 8 or more characters,
        whitespace removed) that its stub does not show, e.g. `dx=dz@W_xh`: a message that
        contains one hands the student the line to write."""
        source = self.solution.read_text()
        stub = _code_text(make_stub(source, given=self.given))
        fragments = set()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.BinOp, ast.Call, ast.Assign, ast.AugAssign, ast.Compare, ast.Subscript)):
                text = _code_text(ast.unparse(node))
                if len(text) >= 8 and text not in stub:
                    fragments.add(text)
        return fragments

    def code_in(self, message):
        """The reference fragments ``message`` spells out (none, for a good message)."""
        text = _code_text(message)
        return sorted(fragment for fragment in self.reference_code if fragment in text)

    def assert_no_reference_code(self, results):
        for test in results["tests"]:
            # A traceback quotes the student's own lines (a mutant's are the reference's): not a hint.
            message = plain_text(test.get("output", "")).split("Where (your code, most recent call last):")[0]
            leaked = self.code_in(message)
            assert not leaked, f"{test['name']}: its message spells out reference code {leaked}"

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
            # Comments are not in the AST: read the function's lines up to its last statement,
            # then its trailing markers (a comment after the function belongs to what follows).
            body = [line.strip() for line in lines[node.body[0].end_lineno:node.end_lineno] if line.strip()]
            trailing = []
            for line in lines[node.end_lineno:next_start - 1]:
                if line.strip().startswith("# END SOLUTION"):
                    trailing.append(line.strip())
                elif line.strip():
                    break
            after_docstring = body + trailing
            markers = [line for line in after_docstring if line.endswith("SOLUTION")]
            if node.name.startswith("_") or node.name in self.given:
                assert not markers, f"given function {node.name} must not hold a solution block"
                continue
            names.append(node.name)
            assert ast.get_docstring(node), f"{node.name} needs a docstring"
            assert markers == ["# BEGIN SOLUTION", "# END SOLUTION"], (node.name, markers)
            assert after_docstring[0] == "# BEGIN SOLUTION", f"{node.name}: code before the block"
            assert after_docstring[-1] == "# END SOLUTION", f"{node.name}: code after the block"
        return names

    # -- the checks; each takes the conftest fixtures `grade` / `grade_source` --

    def reference_gets_full_marks(self, grade, min_points):
        results = graded(self.id, self.solution.read_text(), lambda: grade(self.id, self.solution))
        assert_all_stored(results)
        score, max_score = total(results)
        assert max_score >= min_points, f"only {max_score} points in total"
        assert score == max_score, f"reference solution lost points:\n{describe(results)}"

    def stub(self):
        """The module stub `rnnkit release` gives students."""
        return make_stub(self.solution.read_text(), given=self.given)

    def stub_gets_nothing(self, grade_source):
        source = self.stub()
        results = graded(self.id, source, lambda: grade_source(self.id, self.module, source))
        assert_all_stored(results)
        score, _ = total(results)
        passed = [t["name"] for t in results["tests"] if t["score"] > 0]
        assert score == 0, f"the unimplemented stub earns points in: {passed}"
        assert all("NotImplementedError" in output for output in failed_outputs(results).values())

    def mutant_is_caught(self, grade_source, mutant):
        source = self.mutate(mutant)
        results = graded(self.id, source, lambda: grade_source(self.id, self.module, source))
        assert_all_stored(results)
        score, max_score = total(results)
        assert score < max_score, f"bug `{mutant.id}` still gets full marks"
        first = next(t for t in results["tests"] if t["status"] == "failed")
        assert mutant.keyword.lower() in plain_text(first["output"]).lower(), (
            f"bug `{mutant.id}` loses points, but its first failed test ({first['number']}) does not "
            f"mention {mutant.keyword!r}:\n" + describe(results)
        )
        self.assert_no_reference_code(results)
        self.assert_one_root_cause(results, self.mutated_function(mutant), mutant.id)
        return results

    def mutated_function(self, mutant):
        """What the tests' titles call the code ``mutant`` edits: ``generate``, ``CharLSTM`` (its
        constructor) or ``CharLSTM.forward``."""
        source = self.solution.read_text()
        line = source[: source.index(mutant.find)].count("\n") + 1
        for node in ast.parse(source).body:
            if not node.lineno <= line <= node.end_lineno:
                continue
            if isinstance(node, ast.ClassDef):
                method = next((item.name for item in node.body if isinstance(item, ast.FunctionDef)
                               and item.lineno <= line <= item.end_lineno), "__init__")
                return node.name if method == "__init__" else f"{node.name}.{method}"
            return getattr(node, "name", None)
        return None

    def assert_one_root_cause(self, results, function, mutant_id):
        """One slip, one function blamed: every failed test of another function points at the
        slip's function (through builds_on), and no message names another student function. (A
        test about a topic, "LSTM gates: the lecture's example", may check several functions.)"""
        names = self.function_names()
        for test in results["tests"]:
            if test["status"] != "failed":
                continue
            subject = test_subject(test["name"])
            message = plain_text(test["output"]).split("Where (your code, most recent call last):")[0]
            if subject != function and subject in names:
                assert f"`{function}` fails test" in message, (
                    f"bug `{mutant_id}` is in `{function}`, but test {test['number']} ({test['name']}) "
                    f"does not point there:\n{test['output'][:500]}"
                )
                continue
            blamed = self.other_functions_named(message, function)
            assert not blamed, f"bug `{mutant_id}`: test {test['number']} blames {sorted(blamed)}:\n{message[:500]}"

    def other_functions_named(self, message, function):
        """The student functions ``message`` names (in backticks) other than ``function`` and its class."""
        named = {name for name in re.findall(r"`([A-Za-z_][\w.]*)`", message) if name in self.function_names()}
        return sorted(named - {function, function.split(".")[0]})

    def function_names(self):
        """The student-facing functions, classes and methods (``Class.method``) of the reference."""
        names = set()
        for node in ast.parse(self.solution.read_text()).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
                names.add(node.name)
            if isinstance(node, ast.ClassDef):
                names |= {f"{node.name}.{item.name}" for item in node.body
                          if isinstance(item, ast.FunctionDef) and not item.name.startswith("_")}
        return names

    def alternative_source(self, name):
        alternative = self.alternatives[name]
        if isinstance(alternative, Path):
            return alternative.read_text()
        return with_bodies(self.solution.read_text(), alternative, f"alternative {name}")

    def alternative_gets_full_marks(self, grade_source, name):
        results = grade_source(self.id, self.module, self.alternative_source(name))
        assert_all_stored(results)
        score, max_score = total(results)
        assert score == max_score, f"correct alternative {name} lost points:\n{describe(results)}"


def assert_all_stored(results):
    """The grading computed no torch result itself: each was in oracles.json (engine: extra_data)."""
    missing = results["extra_data"].get("oracles_not_stored")
    assert not missing, f"computed with torch, not found in oracles.json (run `rnnkit release`): {missing}"


def with_bodies(source, bodies, what):
    """``source`` with the bodies (what follows the docstring) of the functions and methods named
    in ``bodies`` ("generate", "CharLSTM.forward") replaced by the given code."""
    lines = source.splitlines()
    spans = {}

    def visit(nodes, prefix=""):
        for node in nodes:
            if isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, ast.FunctionDef):
                body = node.body
                if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and len(body) > 1:
                    body = body[1:]  # keep the docstring
                spans[prefix + node.name] = (body[0].lineno - 1, node.end_lineno, body[0].col_offset)

    visit(ast.parse(source).body)
    for name in sorted(bodies, key=lambda n: -spans.get(n, (0,))[0]):
        if name not in spans:
            pytest.fail(f"{what} out of sync with the reference: it has no function {name}", pytrace=False)
        start, end, indent = spans[name]
        lines[start:end] = [" " * indent + line if line.strip() else "" for line in bodies[name].splitlines()]
    return "\n".join(lines) + "\n"


# -- graded once per test run

_GRADED = {}  # key -> results, when the whole run is this one process


def graded(homework_id, source, grade):
    """``grade()``'s results.json for a submission whose module is ``source``, graded once per test
    run: the trust checks and the parity check (tests/test_public_parity.py) grade the same
    reference, stub and mutants, and grading a torch homework costs 10-20 s. The kit does not
    change during a run and grading is seeded, so the same source always gets the same results."""
    key = hashlib.sha256(f"{homework_id}\0{source}".encode()).hexdigest()[:32]
    folder = _graded_folder()
    if folder is None:
        if key not in _GRADED:
            _GRADED[key] = grade()
        return _GRADED[key]
    path = folder / f"{key}.json"
    if path.exists():
        return json.loads(path.read_text())
    results = grade()
    # Written whole, then renamed: a worker never reads half a file (two workers that miss at
    # once both grade, and write the same results).
    temporary = folder / f".{key}.{os.getpid()}"
    temporary.write_text(json.dumps(results))
    os.replace(temporary, path)
    return results


def _graded_folder():
    """The folder every pytest-xdist worker of this run shares (named by the run's id), or None
    outside xdist. It lives outside pytest's temporary folders, which are per worker and which a
    check cannot reach without a fixture; runs older than a day are removed."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if not run:
        return None
    root = Path(tempfile.gettempdir()) / f"rnnkit-graded-{os.getuid()}"
    root.mkdir(mode=0o700, exist_ok=True)
    if root.stat().st_uid != os.getuid() or root.stat().st_mode & 0o077:
        return None  # not a folder only we can write: grade instead of trusting it
    folder = root / run
    if not folder.exists():
        for old in root.iterdir():
            try:
                stale = time.time() - old.stat().st_mtime > 86400
            except FileNotFoundError:  # the other worker removed it first
                continue
            if stale:
                shutil.rmtree(old, ignore_errors=True)
        folder.mkdir(exist_ok=True)
    return folder


def _code_text(text):
    """``text`` without whitespace and backticks, so code compares however it is spaced."""
    return re.sub(r"[\s`]", "", text)


def describe(results):
    return "\n".join(
        f"- {t['number']} {t['name']}: {t['output'].strip()[:300]}"
        for t in results["tests"] if t["status"] == "failed"
    )
