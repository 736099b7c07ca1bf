"""``grader.check("question")`` in a notebook homework: the notebook's public checks are these same
public tests, run in the notebook's kernel against the functions the notebook defines."""

import os

import pytest

from .records import PublicTestsReport
from .student import InProcessStudent
from .titles import test_title, tested_function


class NotebookCheckFailed(AssertionError):
    """One question's public tests failed in the notebook; the message lists each failure's reason."""


class _NotebookSession:
    """The pytest plugin of one notebook check: the notebook as ``student``, only the question's tests."""

    def __init__(self, notebook, functions, call_timeout=None):
        self.notebook, self.functions, self.report = notebook, set(functions), None
        self.call_timeout = call_timeout

    def pytest_configure(self, config):
        self.report = PublicTestsReport(config)
        config.pluginmanager.register(self.report, PublicTestsReport.name)

    @pytest.fixture(scope="session")
    def student(self):
        return InProcessStudent(self.notebook, call_timeout=self.call_timeout)

    @pytest.hookimpl(hookwrapper=True)  # around every plugin: the report numbers every public test first
    def pytest_collection_modifyitems(self, config, items):
        yield
        selected = [item for item in items if tested_function(test_title(item)) in self.functions]
        config.hook.pytest_deselected(items=[item for item in items if item not in selected])
        items[:] = selected



def check_notebook(env, module, functions, call_timeout=None):
    """Run the public tests of ``functions`` against the notebook's definitions (``env``: its
    globals); raise NotebookCheckFailed naming each failed test and why. Otter's ``grader.check``
    calls this from the notebook's test cells."""
    import contextlib
    import io
    import types

    folder = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the homework folder
    notebook = types.ModuleType(module)
    notebook.__dict__.update(env)
    notebook.__file__ = os.path.join(folder, f"{module}.ipynb")
    session = _NotebookSession(notebook, functions, call_timeout)
    tests = os.path.join(folder, f"test_public_{module}.py")
    arguments = [tests, "--noconftest", "-p", "rnnkit_testing", "-p", "no:cacheprovider", "-q"]
    with contextlib.redirect_stdout(io.StringIO()) as output, contextlib.redirect_stderr(output):
        pytest.main(arguments, plugins=[session])
    records = [t for t in (session.report.tests.values() if session.report else ()) if t["status"] is not None]
    if not records:
        raise NotebookCheckFailed(f"the public tests could not run:\n{output.getvalue()[-800:]}")
    failed = [t for t in records if t["status"] == "failed"]
    if failed:
        lines = [f"{len(failed)} of {len(records)} public tests failed:"]
        for test in failed:
            lines.append(f"{test['number']} {test['name']}")
            lines += [f"    {line}" for line in test["message"].splitlines() if line.strip()]
        raise NotebookCheckFailed("\n".join(lines))
