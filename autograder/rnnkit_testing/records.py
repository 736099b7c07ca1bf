"""The test records: one pytest plugin that watches tests run, and the students' report built on it."""

import pytest

from .failures import failure_message
from .titles import test_subject, test_title


class TestRecords:
    """The one pytest plugin that watches tests run: a record per collected test, in order, and how
    it ended. The students' report (``PublicTestsReport``) and Gradescope's results
    (``rnnkit.results.GradescopeResults``) are this plugin with their own output; like pytest's
    junitxml plugin it only observes.

    A record: ``file``, ``name`` (the title students read), ``subject`` (what the test is about,
    see ``test_subject``), ``number`` (public tests are 0.k, each hidden file its own n.k),
    ``points``, ``visibility``, ``status`` (None until it ends, then "passed" or "failed") and
    ``message`` (why it failed, as the student reads it; None when the test itself broke). A test
    file that cannot be imported, and a test without points, are ``problems``: one line each,
    naming the file.
    """

    VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")

    def __init__(self):
        self.tests = {}  # nodeid -> record, in collection order
        self.problems = []
        self._files = {}  # hidden test file -> its number

    def pytest_collectreport(self, report):
        if report.failed:
            lines = [line[1:].strip() for line in report.longreprtext.splitlines() if line.startswith("E ")]
            if not lines:
                lines = [line.strip() for line in report.longreprtext.splitlines() if line.strip()]
            self.problems.append(f"{report.nodeid or '.'}: cannot be imported: {lines[-1] if lines else 'see pytest'}")

    @pytest.hookimpl(trylast=True)  # after any other plugin has deselected what it deselects
    def pytest_collection_modifyitems(self, items):
        for item in items:
            marker = item.get_closest_marker("points")
            visibility = marker.kwargs.get("visibility", "visible") if marker else "visible"
            if marker is None or not marker.args:
                self.problems.append(f"{item.nodeid}: has no @pytest.mark.points(n)")
                continue
            if visibility not in self.VISIBILITIES:
                self.problems.append(f"{item.nodeid}: visibility must be one of {', '.join(self.VISIBILITIES)}")
                continue
            # Public tests are 0.k wherever they run, so their numbers do not move when a hidden
            # grader file is added.
            public = item.path.name.startswith("test_public")
            file_number = 0 if public else self._files.setdefault(item.path, len(self._files) + 1)
            name = test_title(item)
            self.tests[item.nodeid] = {
                "file": item.path, "name": name, "subject": test_subject(name),
                "number": f"{file_number}.{1 + sum(1 for t in self.tests.values() if t['file'] == item.path)}",
                "points": float(marker.args[0]), "visibility": visibility, "status": None, "message": "",
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
            record.update(status="failed", message=failure_message(error))
            self.failed(record, item, report, error)
        elif report.skipped:
            record.update(status="failed", message="this test was skipped, so it earns no points")
        elif report.when == "call" and report.passed:
            record["status"] = "passed"

    def failed(self, record, item, report, error):
        """Called once per failed test, after its record is updated; ``error`` is the exception."""


class PublicTestsReport(TestRecords):
    """``pytest`` in a homework folder: a short report instead of pytest's tracebacks (which would
    show arrays and the docstrings of every unimplemented function), ending with the public points.

    Each failed test gets its number (as on Gradescope), its name and one message; a message the
    same as an earlier one's says so instead of repeating it. ``pytest --tb=short`` brings pytest's
    own tracebacks back. Registered by the homework folder's conftest.py, once per run, so several
    homework folders can be tested together.
    """

    name = "rnnkit-public-tests-report"

    def __init__(self, config):
        super().__init__()
        self.replaces_tracebacks = config.option.tbstyle == "auto"
        if self.replaces_tracebacks:
            config.option.tbstyle = "no"

    @classmethod
    def register(cls, config):
        if not config.pluginmanager.has_plugin(cls.name):
            config.pluginmanager.register(cls(config), cls.name)

    def failed(self, record, item, report, error):
        if record["message"] is None:  # the test itself broke: show what pytest would
            text = report.longreprtext.strip()
            record["message"] = text.splitlines()[-1] if text else "error"

    def pytest_terminal_summary(self, terminalreporter):
        write = terminalreporter.write_line
        if self.replaces_tracebacks:  # our lines replace pytest's one-line summaries of failures
            terminalreporter.reportchars = terminalreporter.reportchars.replace("f", "").replace("E", "")
        for problem in self.problems:
            write(f"could not load {problem}")
            write("  (are numpy, torch and pytest installed? see the README)")
        folders = {}
        for test in self.tests.values():
            folders.setdefault(test["file"].parent.name, []).append(test)
        for folder, tests in folders.items():
            terminalreporter.section(f"public tests of {folder}", sep="-")
            seen = {}
            for test in tests:
                passed = test["status"] == "passed"
                write(f"{'PASSED' if passed else 'FAILED'} {test['number']} {test['name']} "
                      f"({test['points'] if passed else 0.0:g}/{test['points']:g})")
                if passed:
                    continue
                message = test["message"] if test["status"] else "this test did not run"
                first = seen.setdefault(message, test["number"])
                text = message if first == test["number"] else f"(the same error as {first})"
                for line in filter(str.strip, text.splitlines()):
                    write(f"    {line}")
            earned = sum(t["points"] for t in tests if t["status"] == "passed")
            available = sum(t["points"] for t in tests)
            write(
                f"Public points for {folder}: {earned:g} / {available:g}. The autograder runs these "
                "tests and hidden ones (more cases of the same functions), so they are only part of your grade."
            )
        if self.replaces_tracebacks and any(t["status"] == "failed" for t in self.tests.values()):
            write("For pytest's full tracebacks, run: pytest --tb=short")
