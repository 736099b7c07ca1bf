"""A pytest plugin that watches the graders run and writes one Gradescope results.json.

Like pytest's own junitxml plugin it only observes: it records every collected test with its
points and visibility, notes how each one ended, and builds the report in memory at the end. A test
that never reported (the session was cut short) counts as failed, so every collected test appears
with its max_score whatever happened to the submission.

What a student sees for a failed test is a short message, never the grader's source or locals:
an assertion's own text, their own exception with the traceback trimmed to their files, or a
sentence about a crash or time-out. Anything else is the grader's fault and is reported as such.
"""

import json
import os
import tempfile
import traceback
from pathlib import Path

import jsonschema
import pytest

from rnnkit_testing import (
    StudentCodeError,
    SubmissionFailed,
    SubmissionStopped,
    failure_message,
    test_subject,
    test_title,
)

PUBLIC_TESTS = "test_public.py"  # the graders' file that students receive too
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
INTERNAL_ERROR = "The autograder itself hit a problem on this test (not your code's fault); the details are in the autograder output your instructor can see. Ask them to regrade."


class GraderError(Exception):
    """A grader test file is malformed (no points, unknown visibility...)."""


def _describe_failure(error):
    """(message for the student, is it the kit's fault?)"""
    message = failure_message(error)
    return (INTERNAL_ERROR, True) if message is None else (message, False)


SCHEMA = json.loads((Path(__file__).with_name("gradescope_results.schema.json")).read_text())


_VALIDATOR = jsonschema.validators.validator_for(SCHEMA)(SCHEMA)  # built once: it costs 80 ms


def validate(results):
    """Raise jsonschema.ValidationError unless ``results`` is a valid Gradescope results.json."""
    _VALIDATOR.validate(results)


def write_json_atomically(path, data):
    """Write the whole file at once: a reader never sees half a results.json."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".results-", suffix=".json")
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2, allow_nan=False)
        handle.write("\n")
    os.replace(temporary, path)


class GradescopeResults:
    """Collects outcomes; ``results()`` returns the Gradescope dict once the session is over.

    ``builds_on`` maps what a test is about (a student function, a method such as
    ``Attention.forward``, or a topic such as ``training``) to the student functions it builds on
    (rnn_forward on rnn_cell_forward); a method also builds on its class (``CharLSTM.forward`` on
    ``CharLSTM``). When a test fails while something it builds on already fails a test of its own,
    whatever the kind of failure (wrong values, a wrong type, an exception, a crash), the message
    points at that upstream test and adds no hint of its own: the student sees one root cause, not
    every symptom of it. A function that is missing or not written yet (NotImplementedError), a
    submission that stopped answering altogether, and the kit's own failures keep their own
    message. Scores never change, only messages."""

    def __init__(self, builds_on=None):
        self.tests = {}  # nodeid -> record, in collection order
        self.kit_errors = []  # details for the instructor: grader bugs, sandbox problems
        self.builds_on = dict(builds_on or {})

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session, config, items):
        files = {}
        for item in items:
            marker = item.get_closest_marker("points")
            if marker is None or not marker.args:
                raise GraderError(f"{item.nodeid} has no @pytest.mark.points(n)")
            visibility = marker.kwargs.get("visibility", "visible")
            if visibility not in VISIBILITIES:
                raise GraderError(f"{item.nodeid}: visibility must be one of {VISIBILITIES}")
            name = test_title(item)
            # The public tests are 0.k, on Gradescope as in the student's own pytest report, so
            # their numbers do not move when a hidden grader file is added.
            file_number = 0 if item.path.name == PUBLIC_TESTS else files.setdefault(item.path, len(files) + 1)
            test_number = sum(1 for t in self.tests.values() if t["file"] == item.path) + 1
            self.tests[item.nodeid] = {
                "file": item.path,
                "name": name,
                "number": f"{file_number}.{test_number}",
                "max_score": float(marker.args[0]),
                "visibility": visibility,
                "status": None,
                "output": "",
            }

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        record = self.tests.get(item.nodeid)
        if record is None or record["status"] == "failed":
            return
        if report.failed:
            error = call.excinfo.value if call.excinfo else None
            message, kit_fault = _describe_failure(error)
            if kit_fault:  # a grader bug or a sandbox that could not start
                trace = "".join(traceback.format_exception(error)) if error else report.longreprtext
                self.kit_errors.append(f"{item.nodeid} ({report.when}):\n{trace}")
            # Its own message stands, whatever the test builds on, when the function is not there
            # or not written yet, when the whole submission stopped answering (the message names
            # the real cause), or when the kit itself failed.
            own_cause = (
                kit_fault
                or isinstance(error, SubmissionStopped)
                or (isinstance(error, SubmissionFailed) and "has no function named" in str(error))
                or (isinstance(error, StudentCodeError) and "NotImplementedError" in error.type_names)
            )
            record.update(status="failed", output=message, own_cause=own_cause)
        elif report.skipped:
            record.update(status="failed", output="this test was skipped, so it earns no points")
        elif report.when == "call" and report.passed:
            record["status"] = "passed"

    def _failing_roots(self, function, first_failures, seen=()):
        """The most upstream functions ``function`` builds on that fail a test of their own."""
        roots = []
        upstreams = list(self.builds_on.get(function, []))
        if "." in function:  # a method builds on its class: the constructor and the structure tests
            upstreams.insert(0, function.split(".", 1)[0])
        for upstream in upstreams:
            if upstream in seen:
                continue
            deeper = self._failing_roots(upstream, first_failures, (*seen, function))
            roots += deeper or ([upstream] if upstream in first_failures else [])
        return list(dict.fromkeys(roots))

    def _root_cause_message(self, record, first_failures):
        function = test_subject(record["name"])
        roots = self._failing_roots(function, first_failures)
        if not roots or record.get("own_cause"):
            return record["output"]
        causes = "; ".join(
            f"`{root}` fails test {first_failures[root]['number']} (\"{first_failures[root]['name']}\")"
            for root in roots
        )
        return (
            f"`{function}` builds on {', '.join(f'`{r}`' for r in roots)}, and {causes}. "
            f"Fix that first: if your `{function}` calls it, this test fails for the same reason."
        )

    def results(self, execution_time, extra_data):
        first_failures = {}  # function -> its first failed test
        for record in self.tests.values():
            if record["status"] == "failed":
                first_failures.setdefault(test_subject(record["name"]), record)
        tests = []
        for record in self.tests.values():
            passed = record["status"] == "passed"
            output = self._root_cause_message(record, first_failures) if record["status"] else "this test did not run"
            tests.append(
                {
                    "name": record["name"],
                    "number": record["number"],
                    "score": record["max_score"] if passed else 0.0,
                    "max_score": record["max_score"],
                    "status": "passed" if passed else "failed",
                    "output": output,
                    "visibility": record["visibility"],
                }
            )
        return {
            "execution_time": round(execution_time, 3),
            "output_format": "text",
            "test_output_format": "text",
            "stdout_visibility": "hidden",
            "tests": tests,
            "extra_data": extra_data,
        }
