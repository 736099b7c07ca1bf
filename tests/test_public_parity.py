"""Local = autograder (issue 17): a public test gives the same verdict wherever a student runs it.

For the reference, the stub and realistic slips (mutants of tests/test_hwN_graders.py) of each torch
homework, every public test's verdict is taken three ways, and the three must agree:

- pytest: plain `pytest` in a copy of the assignment folder that holds the submission as its module;
- grader.check: otter's `grader.check(q)` in the notebook students receive, its answer cells holding
  the submission's definitions and its cells run in order, as a kernel runs them;
- rnnkit grade: the 0.k tests of results.json (graded once per run: grader_trust.graded, so the
  trust checks' results are reused).

The first two run, for every submission of a homework, in one child process (this file run as a
script): torch is imported once, not once per submission.
"""

import ast
import builtins
import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ASSIGNMENTS, run_grade
from grader_trust import graded
import rnnkit_testing
from test_hw3_graders import HW3, MUTANTS as HW3_MUTANTS
from test_hw4_graders import HW4, MUTANTS as HW4_MUTANTS

# A dozen and more slips per homework, at least one in every student function and class.
SLIPS = {
    HW3.id: (HW3, HW3_MUTANTS, [
        "vocab_not_sorted", "segments_drop_the_last", "step_ignored", "label_is_the_last_character",
        "one_hot_on_the_wrong_axis", "X_as_float64", "lstm_not_batch_first", "an_embedding_layer",
        "logits_from_the_first_step", "softmax_in_forward", "temperature_multiplied",
        "sampling_with_the_global_rng", "probs_reweighted_in_place", "window_never_slides",
        "seed_returned_too", "no_rng_means_seed_0",
    ]),
    HW4.id: (HW4, HW4_MUTANTS, [
        "vocab_ties_by_first_appearance", "min_freq_defaults_to_two", "unknown_words_as_pad",
        "source_without_eos", "target_output_without_eos", "padding_with_the_wrong_id", "float_batch",
        "encoder_gru_not_batch_first", "gru_runs_over_the_padding", "attention_ignores_the_mask",
        "softmax_over_the_batch", "scores_instead_of_log_probabilities", "context_before_the_embedding",
        "plain_decoder_context_from_the_last_column", "greedy_keeps_the_eos", "greedy_forgets_the_decoder_state",
    ]),
}
VIEWS = ("pytest", "grader.check", "rnnkit grade")


def slips(homework_id):
    homework, mutants, chosen = SLIPS[homework_id]
    by_id = {mutant.id: mutant for mutant in mutants}
    return homework, [by_id[mutant_id] for mutant_id in chosen]


def submissions(homework_id):
    """{label: (module source, the mutant or None)}: the reference, the stub, then the slips."""
    homework, mutants = slips(homework_id)
    found = {"reference": (homework.solution.read_text(), None), "stub": (homework.stub(), None)}
    return found | {mutant.id: (homework.mutate(mutant), mutant) for mutant in mutants}


def compare(homework_id, scratch, grade):
    """{label: {"views": {view: {number: (title, verdict)}}, "differ": [numbers], "pytest": [the
    student's pytest report, test by test]}}; ``grade(source)`` returns results.json."""
    sources = {label: source for label, (source, _) in submissions(homework_id).items()}
    local = local_views(homework_id, sources, scratch)
    questions = checked_functions(homework_id)
    found = {}
    for label, source in sources.items():
        results = grade(source)
        graded_view = {t["number"]: (t["name"], t["status"]) for t in results["tests"] if t["number"].startswith("0.")}
        pytest_view = {t["number"]: (t["title"], t["verdict"]) for t in local[label]["pytest"]}
        check_view = notebook_verdicts(local[label]["checks"], questions, {**graded_view, **pytest_view})
        views = dict(zip(VIEWS, (pytest_view, check_view, graded_view)))
        numbers = sorted(set().union(*views.values()), key=lambda number: int(number.split(".")[1]))
        differ = [n for n in numbers if len({view.get(n) for view in views.values()}) > 1]
        found[label] = {"views": views, "differ": differ, "pytest": local[label]["pytest"]}
    return found


def grader(homework_id, scratch):
    """grade(source) -> results.json of `rnnkit grade` on a one-file submission, each in its own folder."""
    module = slips(homework_id)[0].module

    def grade(source):
        folder = Path(scratch) / f"graded{len(list(Path(scratch).glob('graded*')))}"
        (folder / "submission").mkdir(parents=True)
        (folder / "submission" / f"{module}.py").write_text(source)
        proc, results = run_grade(homework_id, folder / "submission" / f"{module}.py", folder / "out")
        assert proc.returncode == 0 and results is not None, f"rnnkit grade failed:\n{proc.stdout}\n{proc.stderr}"
        return results

    return grade


def checked_functions(homework_id):
    """{question: the functions its public tests are about}, from the check_notebook call of each
    otter test file (tests/<question>.py of the assignment)."""
    questions = {}
    for path in sorted((ASSIGNMENTS / homework_id / "tests").glob("*.py")):
        calls = [node for node in ast.walk(ast.parse(path.read_text()))
                 if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "check_notebook"]
        assert len(calls) == 1, f"{path.name}: expected one check_notebook call"
        questions[path.stem] = set(ast.literal_eval(calls[0].args[2]))
    return questions


def notebook_verdicts(checks, questions, titles):
    """{number: (title, verdict)} from what each grader.check said: a test of a question that passed
    passed; one of a failed question failed if the check's message lists it. ``titles`` (number ->
    (title, _)) are the public tests the other views know."""
    asking = {number: [q for q, functions in questions.items() if rnnkit_testing.tested_function(title) in functions]
              for number, (title, _) in titles.items()}
    verdicts = {}
    for number, (title, _) in titles.items():
        if len(asking[number]) != 1:  # no check runs it (or two do): grader.check cannot agree
            verdicts[number] = (title, f"checked by {asking[number] or 'no question'}")
            continue
        check = checks[asking[number][0]]
        ran = re.search(r"\d+ of (\d+) public tests failed", check["message"])
        listed = dict(re.findall(r"^(0\.\d+) (.+)$", check["message"], re.M))
        if check["passed"]:
            verdicts[number] = (title, "passed")
        elif ran is None or int(ran[1]) != list(asking.values()).count(asking[number]):
            # not the checks' own verdict, or not on the tests of the question's functions
            verdicts[number] = (title, f"error: {check['message'][-300:]}")
        else:
            verdicts[number] = (listed.get(number, title), "failed" if number in listed else "passed")
    return verdicts


def local_views(homework_id, sources, scratch):
    """{label: {"pytest": [...], "checks": {question: ...}}} for every submission, from one child
    process: a copy of the assignment folder per submission, plain pytest in it, then the notebook."""
    homework, _ = slips(homework_id)
    spec = []
    for label, source in sources.items():
        folder = Path(scratch) / label
        shutil.copytree(ASSIGNMENTS / homework_id, folder)
        (folder / f"{homework.module}.py").write_text(source)
        # The notebook as given for the stub (its answer cells say "not implemented"), else filled in.
        spec.append({"label": label, "folder": str(folder), "answers": None if label == "stub" else source})
    (Path(scratch) / "spec.json").write_text(json.dumps({"module": homework.module, "submissions": spec}))
    # A student's shell: no pytest or xdist variables of this run; the hash seed the sandbox uses.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    proc = subprocess.run([sys.executable, __file__, str(Path(scratch) / "spec.json"), str(Path(scratch) / "local.json")],
                          capture_output=True, text=True, timeout=900, cwd=scratch, env={**env, "PYTHONHASHSEED": "0"})
    assert proc.returncode == 0, f"the local side failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return json.loads((Path(scratch) / "local.json").read_text())


# ---- the child process: what a student's own pytest and notebook say


REPORT_LINE = re.compile(r"(PASSED|FAILED) (0\.\d+) (.*) \([\d.]+/[\d.]+\)")


class _Outcomes:
    """pytest's own verdict of each test (a failed or skipped phase fails it), in run order."""

    def __init__(self):
        self.verdicts = {}

    def pytest_runtest_logreport(self, report):
        before = self.verdicts.get(report.nodeid, "passed")
        self.verdicts[report.nodeid] = before if report.passed else "failed"


def _fresh_imports(folder, module):
    """As in a new process started in ``folder``: its module, tests and rnnkit_testing not imported yet."""
    for name in [*sys.modules]:
        if name in (module, f"test_public_{module}", "conftest") or name.split(".")[0] == "rnnkit_testing":
            sys.modules.pop(name, None)
    os.chdir(folder)
    sys.path.insert(0, str(folder))


def _released_copy_used(folder):
    used = Path(sys.modules["rnnkit_testing"].__file__).resolve().parent.parent
    assert used == Path(folder).resolve(), f"imported rnnkit_testing from {used}, not the assignment copy"


def _student_pytest(folder, module):
    """[{number, title, verdict, message}] as `pytest` in ``folder`` reports them; the report's
    PASSED/FAILED is checked against pytest's own outcome."""
    _fresh_imports(folder, module)
    outcomes = _Outcomes()
    with contextlib.redirect_stdout(io.StringIO()) as output, contextlib.redirect_stderr(output):
        pytest.main([], plugins=[outcomes])
    _released_copy_used(folder)
    tests = []
    for line in output.getvalue().splitlines():
        match = REPORT_LINE.fullmatch(line)
        if match:
            tests.append({"number": match[2], "title": match[3], "verdict": match[1].lower(), "message": ""})
        elif line.startswith("    ") and tests:
            tests[-1]["message"] += line[4:] + "\n"
    own = list(outcomes.verdicts.values())
    if [t["verdict"] for t in tests] != own:
        for test, verdict in zip(tests, own + [None] * len(tests)):
            test["verdict"] += "" if test["verdict"] == verdict else f" (pytest's own outcome: {verdict})"
    return tests


def _student_notebook(folder, module, answers):
    """{question: {passed, message}}: the notebook students receive (its answer cells holding
    ``answers``' definitions, or as given), run cell by cell; each grader.check is otter's."""
    import nbformat
    from rnnkit.engine.notebook import SKIP_TAG
    from rnnkit.release.notebook import answered

    _fresh_imports(folder, module)
    book = nbformat.read(Path(folder) / f"{module}.ipynb", as_version=4)
    book = book if answers is None else answered(book, answers)
    namespace, checks = {"__name__": "__main__", "__builtins__": builtins}, {}
    with contextlib.redirect_stdout(io.StringIO()):
        for index, cell in enumerate(book.cells):
            if cell.cell_type != "code" or SKIP_TAG in cell.metadata.get("tags", []):
                continue  # markdown, and the experiments (training) the autograder skips too
            question = re.fullmatch(r'grader\.check\("(\w+)"\)', cell.source.strip())
            if question:
                result = namespace["grader"].check(question[1], global_env=namespace)
                checks[question[1]] = {"passed": all(case.passed for case in result.test_case_results),
                                       "message": "\n".join(case.message for case in result.test_case_results)}
            else:
                exec(compile(cell.source, f"<cell {index}>", "exec"), namespace)
    _released_copy_used(folder)
    return checks


def _local_main(spec_path, out_path):
    import gc

    import nbformat  # noqa: F401  (imported once, as below, before the heap is frozen)
    import otter  # noqa: F401
    import torch  # noqa: F401

    # Each pytest session ends with full garbage collections (its unraisable-exception check),
    # which here would walk torch's and otter's objects 10 times per submission: ~0.2 s each.
    gc.freeze()
    spec = json.loads(Path(spec_path).read_text())
    found = {}
    for entry in spec["submissions"]:
        found[entry["label"]] = {"pytest": _student_pytest(entry["folder"], spec["module"]),
                                 "checks": _student_notebook(entry["folder"], spec["module"], entry["answers"])}
    Path(out_path).write_text(json.dumps(found))


# ---- the tests


@pytest.mark.parametrize("homework_id", SLIPS)
def test_the_slips_cover_every_student_function(homework_id):
    homework, mutants = slips(homework_id)
    classes = {node.name for node in ast.parse(homework.solution.read_text()).body if isinstance(node, ast.ClassDef)}
    touched = {homework.mutated_function(mutant).split(".")[0] for mutant in mutants}
    assert len(mutants) >= 12
    assert set(homework.student_functions()) | classes <= touched, "a student function has no slip here"


@pytest.mark.parametrize("homework_id", SLIPS)
def test_local_pytest_grader_check_and_rnnkit_grade_agree(homework_id, tmp_path):
    grade = grader(homework_id, tmp_path / "graded")
    (tmp_path / "local").mkdir()
    found = compare(homework_id, tmp_path / "local", lambda source: graded(homework_id, source, lambda: grade(source)))
    assert len(found) == 2 + len(slips(homework_id)[1]) >= 14, "the reference, the stub and every slip chosen"
    differ = [f"{label} {number} {view}: {found[label]['views'][view].get(number)}"
              for label in found for number in found[label]["differ"] for view in VIEWS]
    assert not differ, "public verdicts differ:\n" + "\n".join(differ)
    # Not agreement by emptiness: every view saw every public test; the reference passes them all,
    # the stub none, and the slips fail some (more than one test between them).
    reference, stub = found["reference"]["views"]["pytest"], found["stub"]["views"]["pytest"]
    assert len(reference) >= 7 and all(verdict == "passed" for _, verdict in reference.values())
    assert stub.keys() == reference.keys() and all(verdict == "failed" for _, verdict in stub.values())
    failed = {n for label in found if label not in ("reference", "stub")
              for n, (_, verdict) in found[label]["views"]["pytest"].items() if verdict == "failed"}
    assert len(failed) >= len(reference) // 2, f"the slips fail only public tests {sorted(failed)}"


if __name__ == "__main__":  # the child process of local_views
    _local_main(*sys.argv[1:])
