"""``rnnkit grade``: run one homework's graders against one submission, write results.json.

The graders run here, in this process, with pytest; the submission runs in the sandbox and is
reached only through the ``student`` fixture. Whatever the submission does, results.json is
written and lists every test with its max_score. When the kit itself fails (a grader bug, a sandbox
that cannot start), a valid results.json is still written and ``Outcome.kit_ok`` is False.
"""

import dataclasses
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest

import rnnkit
from rnnkit.feedback_markdown import markdown_results
from rnnkit.engine.submission import SubmissionProblem, stage
from rnnkit.homeworks import GRADERS_ROOT, SECRET_DIRS
from rnnkit.results import GradescopeResults, validate, write_json_atomically
from rnnkit.sandbox import SandboxSpec, SandboxStudent, missing_layers
from rnnkit_testing import STUDENT, oracles

# How results.json's output starts when the submission itself could not be graded (no module
# file, an unreadable zip or notebook).
NOT_GRADABLE = "Your submission could not be graded"
# extra_data["status"] of results.json, with extra_data["status_detail"] for the last two.
STATUS_GRADED, STATUS_NOT_GRADED, STATUS_KIT_PROBLEM = "graded", "not graded", "kit problem"

PYTEST_ARGS = [
    "-c", str(GRADERS_ROOT / "pytest.ini"),  # not the instructor's own pytest settings
    "--rootdir", str(GRADERS_ROOT),
    "-p", "no:cacheprovider",  # the graders folder may be read-only
    "-p", "no:terminal",  # the summary is ours; pytest's report shows grader code
    "--assert=plain",  # no introspection: a failed bare assert must not print expected values
    "-p", "no:unraisableexception",  # its end-of-session gc.collect() costs a quarter second
    # Graders use neither caplog nor warning capture (student code runs elsewhere); each costs a
    # few milliseconds per test.
    "-p", "no:logging",
    "-p", "no:warnings",
]


class EnginePlugin:
    """Hands the sandbox proxy to the ``student`` fixture of the graders' conftest, through
    pytest's stash (``rnnkit_testing.STUDENT``)."""

    def __init__(self, student):
        self.student = student

    def pytest_configure(self, config):
        config.stash[STUDENT] = self.student
        # No pytest tracebacks: a student reads the check's message, and the results plugin
        # formats the traceback of a grader bug itself. Building them for every failed test
        # would cost a stub a third of its grading time. (--tb belongs to the terminal plugin,
        # which is off.)
        config.option.tbstyle = "no"


def run_graders(graders_dir, *extra_args, plugins=()):
    """pytest.main on one homework's graders; sys.path and a caller's ``conftest`` module are left
    as they were.

    Each homework's graders are a package (``hw1_rnn_cell.test_public``), so their modules have
    names of their own: one process can collect every homework (`rnnkit release`), and a process
    that grades many submissions of one homework (a batch's) imports the graders once.
    """
    saved_path = list(sys.path)
    # The graders' conftest.py is imported as the top-level module "conftest": a caller that has
    # one of its own (a test suite grading in-process) gets it back.
    saved_conftest = sys.modules.get("conftest")
    try:
        return pytest.main([*PYTEST_ARGS, *extra_args, str(graders_dir)], plugins=list(plugins))
    finally:
        sys.path[:] = saved_path
        if saved_conftest is not None:
            sys.modules["conftest"] = saved_conftest


def warm_up(homework):
    """Pay the imports once in a process that will grade many submissions: torch where the graders
    use it, and everything collecting the graders imports (kept, since the same graders run again)."""
    if homework.graders_use_torch:
        import torch  # noqa: F401 - the graders' references use it

    run_graders(homework.graders_dir, "--collect-only")


@dataclass
class Outcome:
    results: dict
    kit_ok: bool
    kit_errors: list


def submission_record(metadata_file):
    """Who submitted what, from Gradescope's submission_metadata.json, for results' extra_data."""
    try:
        metadata = json.loads(Path(metadata_file).read_text())
        users = metadata.get("users") or []
        return {
            "id": metadata.get("id"),
            "created_at": metadata.get("created_at"),
            "submitters": [
                {key: str(user.get(key, "")) for key in ("id", "name", "email")} for user in users
            ],
        }
    except (OSError, ValueError, AttributeError, TypeError) as error:
        return {"metadata_error": f"{metadata_file}: {type(error).__name__}: {error}"[:500]}


def grade(homework, submission, out_dir, namespaces=True, allow_unsafe=False, budget_seconds=None,
          metadata=None):
    """Grade ``submission`` for ``homework``; write ``out_dir/results.json``; return an Outcome.

    ``allow_unsafe`` grades even where the sandbox could read the graders (never on Gradescope);
    ``budget_seconds`` overrides the homework's time budget for the whole submission;
    ``metadata`` is Gradescope's submission_metadata.json, recorded in extra_data."""
    started = time.monotonic()
    out_dir = Path(out_dir)
    limits = homework.limits
    if budget_seconds is not None:
        limits = dataclasses.replace(limits, budget_seconds=budget_seconds)
    collector = GradescopeResults(builds_on=homework.builds_on)
    if not Path(submission).exists():  # the caller's mistake: still write results, but say so
        collector.kit_errors.append(f"no such submission: {submission}")
    notes, exit_code, layers, unreadable = "", None, [], None
    try:
        with tempfile.TemporaryDirectory(prefix="rnnkit-grade-") as workdir:
            staged = Path(workdir) / "submission"
            staged.mkdir()
            try:
                # Half the import time for a notebook's cells; the rest starts Python and torch.
                notes = stage(submission, homework.module, staged, limits.import_timeout / 2, homework.given)
            except SubmissionProblem as problem:
                unreadable = str(problem)
                notes = f"{NOT_GRADABLE}: {problem}"
            spec = SandboxSpec(
                staged,
                homework.module,
                hidden=[*SECRET_DIRS, out_dir.resolve()],
                secrets=list(SECRET_DIRS),
                packages=homework.packages,
                limits=limits,
                namespaces=namespaces,
                allow_unsafe=allow_unsafe,
            )
            if unreadable is not None:
                student = SandboxStudent.failed(notes)
            else:
                # Reading the submission (a notebook, in a child process) counts in its time budget.
                student = SandboxStudent(spec, started=started)
                student.prestart()
            oracles.take_misses()  # a process grading a class reports each submission's own
            try:
                exit_code = run_graders(homework.graders_dir, plugins=[collector, EnginePlugin(student)])
            finally:
                layers = student.layers
                student.close()
            if student.import_failure:
                notes = f"{notes}\n\n{student.import_failure}".strip()
            elif student.import_notes:
                broken = "\n".join(f"- {note}" for note in student.import_notes)
                notes = (
                    f"{notes}\n\nSome code cells of your notebook did not run to the end when run in "
                    f"order; what they define is missing, the rest is graded:\n{broken}"
                ).strip()
    except Exception as error:  # noqa: BLE001 - whatever broke, results.json is still written
        collector.kit_errors.append(f"{type(error).__name__}: {error}")
    if collector.problems:  # one line each, naming the grader file
        collector.kit_errors += collector.problems
    elif exit_code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, None):
        collector.kit_errors.append(f"pytest ended with {exit_code!r} on the graders")
    kit_ok = exit_code is not None and not collector.kit_errors  # None: pytest never ran
    extra_data = {"rnnkit": rnnkit.__version__, "homework": homework.id, "sandbox": layers}
    # For grade-export and any other reader: what happened, as data (the output is for people).
    if not kit_ok:
        first = next((line for e in collector.kit_errors for line in e.strip().splitlines()[:1]), "")
        extra_data.update(status=STATUS_KIT_PROBLEM, status_detail=first[:300])
    elif unreadable is not None:
        extra_data.update(status=STATUS_NOT_GRADED, status_detail=unreadable.strip().splitlines()[0][:300])
    else:
        extra_data["status"] = STATUS_GRADED
    if layers:  # a sandbox started: say plainly which layers this machine did not allow
        extra_data["sandbox_missing"] = missing_layers(layers)
    missed = oracles.take_misses()
    if missed:  # computed with torch instead of found stored: `rnnkit release` brings them up to date
        extra_data["oracles_not_stored"] = missed
    if metadata is not None:
        extra_data["submission"] = submission_record(metadata)
    results = collector.results(time.monotonic() - started, extra_data)
    if not collector.tests:
        results["score"] = 0.0  # nothing was collected: Gradescope needs a score to show
    if not kit_ok:
        notes = (notes + "\n\n" if notes else "") + (
            "The autograder itself hit a problem (not your code's fault); the details are in the autograder output your instructor can see. Ask them to regrade."
        )
    if notes:
        results["output"] = notes
    markdown_results(results)  # Gradescope renders Markdown; the graders' plain text becomes it here
    try:
        validate(results)
    except jsonschema.ValidationError as error:  # a kit bug: still hand Gradescope a valid file
        collector.kit_errors.append(f"results.json failed validation: {error.message}")
        kit_ok = False
        results = {"score": 0.0, "output": "The autograder itself hit a problem (not your code's fault); the details are in the autograder output your instructor can see. Ask them to regrade."}
    write_json_atomically(out_dir / "results.json", results)
    return Outcome(results, kit_ok, collector.kit_errors)
