"""Gradescope's results.json from the graders' run: the test records of ``rnnkit_testing``, as
Gradescope reads them, with one root cause per failure.

A test that never reported (the session was cut short) counts as failed, so every collected test
appears with its max_score whatever happened to the submission.

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

from rnnkit.errors import KitError
from rnnkit_testing import StudentCodeError, SubmissionFailed, SubmissionStopped, TestRecords

PUBLIC_TESTS = "test_public.py"  # the graders' file that students receive too
INTERNAL_ERROR = "The autograder itself hit a problem on this test (not your code's fault); the details are in the autograder output your instructor can see. Ask them to regrade."


class GraderError(KitError):
    """A grader test file is malformed (no points, unknown visibility...)."""


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


class GradescopeResults(TestRecords):
    """The test records (``rnnkit_testing.TestRecords``) as Gradescope's results; ``results()``
    returns the dict once the session is over. A grader problem (a file that cannot be imported, a
    test without points) stops the run before any test: the graders are to be fixed first.

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
        super().__init__()
        self.kit_errors = []  # details for the instructor: grader bugs, sandbox problems
        self.builds_on = dict(builds_on or {})

    def raise_grader_problems(self):
        """GraderError with the first problem found, if the graders had any."""
        if self.problems:
            more = len(self.problems) - 1
            raise GraderError(self.problems[0] + (f" (and {more} more problem{'s' * (more > 1)})" if more else ""))

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items):
        super().pytest_collection_modifyitems(items)
        if self.problems:  # the graders are to be fixed first: nothing runs
            items[:] = []
            self.tests.clear()

    def failed(self, record, item, report, error):
        kit_fault = record["message"] is None
        if kit_fault:  # a grader bug or a sandbox that could not start
            record["message"] = INTERNAL_ERROR
            trace = "".join(traceback.format_exception(error)) if error else report.longreprtext
            self.kit_errors.append(f"{item.nodeid} ({report.when}):\n{trace}")
        # Its own message stands, whatever the test builds on, when the function is not there or
        # not written yet, when the whole submission stopped answering (the message names the real
        # cause), or when the kit itself failed.
        record["own_cause"] = (
            kit_fault
            or isinstance(error, SubmissionStopped)
            or (isinstance(error, SubmissionFailed) and "has no function named" in str(error))
            or (isinstance(error, StudentCodeError) and "NotImplementedError" in error.type_names)
        )

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
        function = record["subject"]
        roots = self._failing_roots(function, first_failures)
        if not roots or record.get("own_cause"):
            return record["message"]
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
                first_failures.setdefault(record["subject"], record)
        tests = []
        for record in self.tests.values():
            passed = record["status"] == "passed"
            output = self._root_cause_message(record, first_failures) if record["status"] else "this test did not run"
            tests.append(
                {
                    "name": record["name"],
                    "number": record["number"],
                    "score": record["points"] if passed else 0.0,
                    "max_score": record["points"],
                    "status": "passed" if passed else "failed",
                    "output": output,
                    "visibility": record["visibility"],
                }
            )
        return {
            "execution_time": round(execution_time, 3),
            "stdout_visibility": "hidden",
            "tests": tests,
            "extra_data": extra_data,
        }
