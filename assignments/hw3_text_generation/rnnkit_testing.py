"""Checks shared by the public tests and the hidden graders of rnnkit.

Students get a copy of this file next to their homework so that ``pytest`` works with only numpy,
torch and pytest installed; the autograder uses the same file, so a public test behaves the same on
a laptop and on Gradescope.

Every check raises ``AssertionError`` with a message that names the concept that failed. Messages
describe *how* a value is wrong (shape, type, NaN, how many entries differ) and never print the
expected values, so hidden tests cannot be reverse-engineered from their feedback.
"""

import copy
import os
import sys
import traceback
import warnings
import zlib

import numpy as np
import pytest


class StudentCodeError(Exception):
    """The student's function raised while the autograder called it in the sandbox.

    ``type_names`` lists the exception's class and its bases (``["ValueError", "Exception", ...]``)
    so that ``assert_raises`` can check the kind of error without the real class crossing over.
    """

    def __init__(self, message, type_names=(), student_traceback=""):
        super().__init__(message)
        self.type_names = list(type_names)
        self.student_traceback = student_traceback


class ValueMismatch(AssertionError):
    """A check found values that differ from the reference (of the right type and shape): the one
    kind of failure that a bug in a function this one builds on causes too."""


class SubmissionFailed(Exception):
    """Raised by the autograder when the submission could not answer at all: it did not import,
    crashed, hung, or sent back something unreadable. Checks let it through untouched."""


class SubmissionStopped(SubmissionFailed):
    """The whole submission stopped answering (it could not be found or imported, or it used up
    its time budget): every later test fails with this same message, which names the real cause,
    so no test's message is redirected to another test."""


def failure_message(error):
    """What a student reads for a test that failed with ``error``: the check's own message, or
    their code's exception with its traceback trimmed to their files. None when the failure is
    the test's own fault (any other exception): then there is nothing for the student to read."""
    if isinstance(error, AssertionError):
        # Keep the check's own message. A bare `assert` carries no message with --assert=plain, but
        # where pytest rewrote it anyway the explanation it appends, from an "assert ..." line on,
        # would show the values compared: drop it.
        lines = str(error).splitlines()
        cut = next((i for i, line in enumerate(lines) if line.startswith("assert ")), len(lines))
        return "\n".join(lines[:cut]).strip() or "a check failed (no message)"
    if isinstance(error, StudentCodeError):
        trace = error.student_traceback.rstrip()
        if trace:
            return f"{error}\n\nWhere (your code, most recent call last):\n{trace}"
        return str(error)
    if isinstance(error, SubmissionFailed):
        return str(error)
    return None


def test_title(item):
    """A test's name as students read it: its docstring's first line, plus the case of a
    parametrized test ("rnn_forward: h_last is the state after the last step [relu]")."""
    doc = (getattr(item.function, "__doc__", None) or "").strip()
    name = doc.splitlines()[0] if doc else item.originalname
    callspec = getattr(item, "callspec", None)
    return f"{name} [{callspec.id}]" if callspec is not None else name


def test_subject(title):
    """What a test is about, from its title: the function or method before the colon
    ("CharLSTM.forward: logits ..." -> CharLSTM.forward), or, for a test about a topic that is
    parametrized by function ("LSTM gates: ... [forget_gate]"), that function."""
    subject = title.split(":", 1)[0].strip()
    case = title.rsplit("[", 1)[-1].rstrip("]") if title.endswith("]") else ""
    if not subject.replace(".", "_").isidentifier() and case.isidentifier():
        return case
    return subject


# --- the pytest side: conftest.py files load this module with ``pytest_plugins = ["rnnkit_testing"]``
# and add only their own ``student`` fixture.


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "points(value, visibility='visible'): the test's weight and Gradescope visibility"
    )


@pytest.fixture
def rng(request):
    """A numpy Generator seeded from the test's name: the same test always sees the same data."""
    test_name = request.node.nodeid.split("::", 1)[-1]
    return np.random.default_rng(zlib.crc32(test_name.encode("utf-8")))


@pytest.fixture(autouse=True)
def _seed_torch():
    try:
        import torch
    except ImportError:  # the numpy-only homeworks do not need it
        return
    # The CPU generator is the one tests use; torch.manual_seed would also visit every accelerator
    # backend, which costs milliseconds per test.
    torch.random.default_generator.manual_seed(0)


class StudentObject:
    """An object the student's code built (a ``CharLSTM``), as the tests hold it.

    In the autograder the object lives in the sandbox and this is a handle to it: ``call`` runs one
    of its methods there, tensors go in as tensors and come back as numpy arrays, and passing the
    handle to another student function (``student.generate(model, ...)``) passes the object
    itself. In the student's own pytest run it wraps the real object and behaves the same way.
    """

    rnnkit_handle = None  # the protocol sends a handle as {"__handle__": n}

    def __init__(self, call, type_name, handle=None, target=None):
        self._call_method = call
        self.type_name = type_name
        self.rnnkit_handle = handle
        self._target = target

    def __repr__(self):
        return f"<student's {self.type_name}>"

    def call(self, method, *args, **kwargs):
        """``object.method(*args, **kwargs)``, with tensors in the result as numpy arrays."""
        return self._call_method(method, args, kwargs)

    def state(self):
        """{name: numpy array} of its ``state_dict()`` (an ``nn.Module``'s weights)."""
        return dict(self.call("state_dict"))

    def load_state(self, arrays):
        """Set its weights from ``{name: array}`` (``load_state_dict``, strict)."""
        import torch

        self.call("load_state_dict", {name: torch.tensor(np.asarray(value)) for name, value in arrays.items()})

    def parameter_count(self):
        return int(sum(np.size(value) for value in self.state().values()))


def _as_sent(value):
    """A result as it would come back from the sandbox: tensors as numpy arrays, any tuple (a
    named one too) as a plain tuple."""
    if isinstance(value, tuple):
        return tuple(_as_sent(item) for item in value)
    if isinstance(value, list):
        return [_as_sent(item) for item in value]
    if isinstance(value, dict):
        return {key: _as_sent(item) for key, item in value.items()}
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return value


def _copied(value):
    """An argument as the sandbox receives it: a copy, but a StudentObject is its object itself."""
    if isinstance(value, StudentObject):
        return value._target
    if isinstance(value, tuple):
        return tuple(_copied(item) for item in value)
    if isinstance(value, list):
        return [_copied(item) for item in value]
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    return copy.deepcopy(value)


def reseed():
    """The random state every call of the student's code starts from, here as in the sandbox
    (worker.py does the same): the same call always sees the same random numbers, so code that
    draws from the global ``np.random`` gets the same verdict here, in grader.check and graded."""
    import random

    random.seed(0)
    np.random.seed(0)
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "manual_seed"):
        torch.manual_seed(0)


class _CallTimeout(BaseException):
    pass


class _Timer:
    """``with _Timer(seconds):`` stops the block after ``seconds`` as the sandbox stops a call
    (in the main thread only, where signals can be caught; elsewhere it does nothing)."""

    def __init__(self, seconds):
        import threading

        self.seconds = seconds if threading.current_thread() is threading.main_thread() else None

    def __enter__(self):
        import signal

        if self.seconds:
            self.previous = signal.signal(signal.SIGALRM, self._alarm)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def _alarm(self, signum, frame):
        raise _CallTimeout()

    def __exit__(self, *exc_info):
        import signal

        if self.seconds:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)


class InProcessStudent:
    """Calls the student's module directly (the student's own ``pytest`` run, and grader.check).

    The autograder replaces this with a proxy to a sandbox with the same interface, and this one
    behaves the same way: the random state is reset before each call (``reseed``); arguments are
    deep-copied (they are serialized into the sandbox), ``call_with_inputs`` returns them as the
    function left them, so an in-place edit fails the same "inputs unchanged" tests here and
    there; a call that runs longer than ``call_timeout`` seconds is stopped and not made again;
    and an exception from the student's code arrives as the same ``StudentCodeError`` with the
    traceback trimmed to their files.
    """

    def __init__(self, module, call_timeout=None):
        self._module = module
        self._folder = os.path.dirname(os.path.realpath(module.__file__))
        self._file = os.path.basename(module.__file__)  # text_generation.py, or .ipynb in a notebook
        self._call_timeout = call_timeout
        self._given_up = {}

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.call_with_inputs(name, *args, **kwargs)[0]

    def _run(self, label, function, args, kwargs):
        """``function(*args, **kwargs)`` as the sandbox runs a call: reseeded, timed, its
        exceptions reported as the student's."""
        if label in self._given_up:
            raise SubmissionFailed(self._given_up[label])
        reseed()
        try:
            with _Timer(self._call_timeout):
                return function(*args, **kwargs)
        except _CallTimeout:
            self._given_up[label] = (
                f"`{label}` did not return within {self._call_timeout:g} s "
                "(an infinite loop, or far too slow); it is not called again"
            )
            raise SubmissionFailed(self._given_up[label]) from None
        except Exception as error:  # the student's bug, reported as the sandbox reports it
            raise self._student_error(label, error) from error

    def call_with_inputs(self, name, *args, **kwargs):
        """Call ``name`` and return ``(result, args_after, kwargs_after)``: the arguments as the
        student's function left them, to check that it did not modify its inputs."""
        function = getattr(self._module, name, None)
        if not callable(function):
            raise SubmissionFailed(f"{self._file} has no function named `{name}`")
        args, kwargs = _copied(args), _copied(kwargs)
        result = self._run(name, function, args, kwargs)
        return _as_sent(result), args, kwargs

    def make(self, name, *args, **kwargs):
        """Build an object with the student's ``name`` and hold it (see StudentObject)."""
        function = getattr(self._module, name, None)
        if not callable(function):
            raise SubmissionFailed(f"{self._file} has no function named `{name}`")
        target = self._run(name, function, _copied(args), _copied(kwargs))

        def call(method, method_args, method_kwargs):
            label = f"{name}.{method}"
            try:
                bound = getattr(target, method)
            except Exception as error:
                raise self._student_error(label, error) from error
            return _as_sent(self._run(label, bound, _copied(method_args), _copied(method_kwargs)))

        return StudentObject(call, type(target).__name__, target=target)

    def _student_error(self, name, error):
        folder = os.path.join(self._folder, "")
        frames = [
            frame for frame in traceback.extract_tb(error.__traceback__)
            if os.path.realpath(frame.filename).startswith(folder)
            and os.path.basename(frame.filename) != os.path.basename(__file__)
        ]
        for frame in frames:
            frame.filename = os.path.relpath(os.path.realpath(frame.filename), folder)
        message = "".join(traceback.format_exception_only(type(error), error)).strip()
        return StudentCodeError(
            f"`{name}` raised {message.replace(folder, '')}",
            [cls.__name__ for cls in type(error).__mro__],
            "".join(traceback.format_list(frames)),
        )

    def call_with_warnings(self, name, *args, **kwargs):
        """Call ``name`` and return ``(result, warnings)``: the warnings the call raised, each as
        ``"Category: message"`` (for example numpy's "RuntimeWarning: overflow encountered in exp")."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = self.call_with_inputs(name, *args, **kwargs)[0]
        return result, [f"{w.category.__name__}: {w.message}" for w in caught]


def _type_name(value):
    # Values the sandbox cannot send back arrive as placeholders that carry the original type name.
    return getattr(value, "rnnkit_type_name", type(value).__name__)


def assert_tuple(value, length, name, hint=""):
    """``value`` is a tuple (or list) of ``length`` items; returns it as a tuple for unpacking."""
    if not isinstance(value, (tuple, list)):
        raise AssertionError(
            f"{name} should return {length} values (a tuple or list), got {_type_name(value)}. {hint}".strip()
        )
    if len(value) != length:
        raise AssertionError(
            f"{name} should return {length} values, got {len(value)}. {hint}".strip()
        )
    return tuple(value)


def assert_arrays(value, function, names):
    """``value``, returned by ``function``, is a tuple (or list) of len(names) numpy arrays;
    returns them as a list, e.g. ``dx, dh = assert_arrays(result, "f", ("dx", "dh"))``."""
    values = assert_tuple(value, len(names), function, hint=f"Return ({', '.join(names)}).")
    for item, name in zip(values, names):
        assert_array(item, name)
    return list(values)


def assert_array(value, name, *, shape=None, hint=""):
    """``value`` is a numpy array of real numbers (and of ``shape``, when given). ``hint`` is a
    shape hint: a wrong type gets a message about types only."""
    _reject_unsent_array(value, name, "a numpy array of real numbers")
    if not isinstance(value, np.ndarray):
        advice = (
            " Return the array itself, not a tuple or list (no cache or extra values)."
            if isinstance(value, (tuple, list)) else ""
        )
        raise AssertionError(f"{name} should be a numpy array, got {_type_name(value)}.{advice}")
    if value.dtype.kind not in "fiub":
        raise AssertionError(f"{name} should hold real numbers, got dtype {value.dtype}.")
    if shape is not None:
        assert_shape(value, shape, name, hint=hint)
    return value


def assert_shape(value, shape, name, hint=""):
    """``value`` has exactly ``shape``."""
    actual = tuple(np.shape(value))
    if actual != tuple(shape):
        raise AssertionError(
            f"{name} has shape {actual}, expected {tuple(shape)}. {hint}".strip()
        )


def assert_finite(value, name, hint=""):
    """No NaN or infinity in ``value``."""
    values = np.asarray(value, dtype=float)
    if np.isnan(values).any():
        raise AssertionError(f"{name} contains NaN. {hint}".strip())
    if np.isinf(values).any():
        raise AssertionError(f"{name} contains infinity. {hint}".strip())


def assert_close(actual, expected, name, hint="", rtol=1e-6, atol=1e-8):
    """``actual`` is an array of ``expected``'s shape, finite, and equal to it within tolerance.

    On failure the message says how many entries differ, not what they should be.
    """
    expected = np.asarray(expected)
    # ``hint`` explains wrong values (NaN and infinity included); a wrong type or shape gets its
    # own message.
    assert_array(actual, name, shape=expected.shape)
    assert_finite(actual, name, hint=hint)
    wrong = ~np.isclose(actual, expected, rtol=rtol, atol=atol)
    if wrong.any():
        raise ValueMismatch(
            f"{name} does not match the reference: {int(wrong.sum())} of {wrong.size} "
            f"entries differ, {_how_far(actual, expected, rtol, atol)} {hint}".strip()
        )


# Below this relative error a mismatch is a precision slip (float32, an epsilon, a rounded
# constant); above it, the computation itself differs.
PRECISION_SLIP = 1e-3


def _how_far(actual, expected, rtol, atol):
    """The largest difference relative to the reference's magnitude, as a power of ten (so it
    tells a precision slip from a logic error without giving away any expected value)."""
    logic_error = "a logic error, not rounding."
    scale = float(np.max(np.abs(expected), initial=0.0))
    if scale <= atol:  # a relative size means nothing here
        return logic_error
    error = float(np.max(np.abs(np.asarray(actual, dtype=float) - expected))) / scale
    size = f"by about 1e{round(np.log10(error)):+03d} of the reference's magnitude (tolerance {rtol:g})"
    if error <= PRECISION_SLIP:
        return (
            f"{size}: close, so look for a precision slip (float32, an added epsilon, a rounded "
            "constant) rather than a logic error."
        )
    return f"{size}: {logic_error}"


def assert_unchanged(before, after, name):
    """The student's function left an input array as it was."""
    if not (
        isinstance(after, np.ndarray)
        and after.shape == np.shape(before)
        and np.array_equal(after, before, equal_nan=True)
    ):
        raise AssertionError(
            f"your function modified its input `{name}` in place; "
            "compute a new array instead of writing into the arguments."
        )


def assert_raises(exception_type, function, *args, hint="", **kwargs):
    """Calling ``function`` raises ``exception_type`` (a real exception or one from the sandbox)."""
    expected = exception_type.__name__
    try:
        function(*args, **kwargs)
    except StudentCodeError as error:
        if expected not in error.type_names:
            raise AssertionError(
                f"expected {expected}, but your code raised {error.type_names[0]}. {hint}".strip()
            ) from None
        return
    except SubmissionFailed:
        raise
    except exception_type:
        return
    except Exception as error:  # the student's own exception, raised in this process
        raise AssertionError(
            f"expected {expected}, but your code raised {_type_name(error)}. {hint}".strip()
        ) from None
    raise AssertionError(f"expected {expected}, but nothing was raised. {hint}".strip())


class PublicTestsReport:
    """``pytest`` in a homework folder: a short report instead of pytest's tracebacks (which would
    show arrays and the docstrings of every unimplemented function), ending with the public points.

    Each failed test gets its number (as on Gradescope), its name and one message; a message the
    same as an earlier one's says so instead of repeating it. ``pytest --tb=short`` brings pytest's
    own tracebacks back. Registered by the homework folder's conftest.py, once per run, so several
    homework folders can be tested together.
    """

    name = "rnnkit-public-tests-report"

    def __init__(self, config):
        self.tests = {}  # nodeid -> record, in collection order
        self.broken_files = []  # (file, message): test files that could not even be loaded
        self.replaces_tracebacks = config.option.tbstyle == "auto"
        if self.replaces_tracebacks:
            config.option.tbstyle = "no"

    @classmethod
    def register(cls, config):
        if not config.pluginmanager.has_plugin(cls.name):
            config.pluginmanager.register(cls(config), cls.name)

    def pytest_collection_modifyitems(self, items):
        for item in items:
            marker = item.get_closest_marker("points")
            folder = item.path.parent
            number = 1 + sum(1 for t in self.tests.values() if t["file"] == item.path)
            self.tests[item.nodeid] = {
                "folder": folder.name, "file": item.path, "number": f"0.{number}",
                "name": test_title(item), "points": float(marker.args[0]) if marker else 0.0,
                "passed": None, "message": "",
            }

    def pytest_collectreport(self, report):
        if report.failed:
            lines = [line for line in str(report.longrepr).splitlines() if line.strip()]
            self.broken_files.append((report.nodeid or ".", lines[-1] if lines else "could not be loaded"))

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        record = self.tests.get(item.nodeid)
        if record is None or record["passed"] is False:
            return
        if report.failed:
            error = call.excinfo.value if call.excinfo else None
            message = failure_message(error)
            if message is None:  # the test itself broke: show what pytest would
                message = report.longreprtext.strip().splitlines()[-1] if report.longreprtext.strip() else "error"
            record.update(passed=False, message=message)
        elif report.when == "call":
            record["passed"] = report.passed

    def pytest_terminal_summary(self, terminalreporter):
        write = terminalreporter.write_line
        if self.replaces_tracebacks:  # our lines replace pytest's one-line summaries of failures
            terminalreporter.reportchars = terminalreporter.reportchars.replace("f", "").replace("E", "")
        for file, message in self.broken_files:
            write(f"could not load {file}: {message}")
            write("  (are numpy, torch and pytest installed? see the README)")
        for folder in dict.fromkeys(t["folder"] for t in self.tests.values()):
            tests = [t for t in self.tests.values() if t["folder"] == folder]
            terminalreporter.section(f"public tests of {folder}", sep="-")
            seen = {}
            for test in tests:
                earned = test["points"] if test["passed"] else 0.0
                mark = "PASSED" if test["passed"] else "FAILED"
                write(f"{mark} {test['number']} {test['name']} ({earned:g}/{test['points']:g})")
                if test["passed"]:
                    continue
                first = seen.setdefault(test["message"], test["number"])
                text = test["message"] if first == test["number"] else f"(the same error as {first})"
                for line in filter(str.strip, text.splitlines()):
                    write(f"    {line}")
            earned = sum(t["points"] for t in tests if t["passed"])
            available = sum(t["points"] for t in tests)
            write(
                f"Public points for {folder}: {earned:g} / {available:g}. The autograder runs these "
                "tests and hidden ones (more cases of the same functions), so they are only part of your grade."
            )
        if self.replaces_tracebacks and any(t["passed"] is False for t in self.tests.values()):
            write("For pytest's full tracebacks, run: pytest --tb=short")


# --- grader.check("question") in a notebook homework: the notebook's public checks are these same
# public tests, run in the notebook's kernel against the functions the notebook defines.


def tested_function(title):
    """The student function (or class) a test's title names: "CharLSTM.forward: logits ..." -> CharLSTM."""
    return test_subject(title).split(".", 1)[0]


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

    @pytest.hookimpl(trylast=True)  # after the report has numbered every public test
    def pytest_collection_modifyitems(self, config, items):
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

    folder = os.path.dirname(os.path.abspath(__file__))
    notebook = types.ModuleType(module)
    notebook.__dict__.update(env)
    notebook.__file__ = os.path.join(folder, f"{module}.ipynb")
    session = _NotebookSession(notebook, functions, call_timeout)
    tests = os.path.join(folder, f"test_public_{module}.py")
    arguments = [tests, "--noconftest", "-p", "rnnkit_testing", "-p", "no:cacheprovider", "-q"]
    with contextlib.redirect_stdout(io.StringIO()) as output, contextlib.redirect_stderr(output):
        pytest.main(arguments, plugins=[session])
    records = [t for t in (session.report.tests.values() if session.report else ()) if t["passed"] is not None]
    if not records:
        raise NotebookCheckFailed(f"the public tests could not run:\n{output.getvalue()[-800:]}")
    failed = [t for t in records if not t["passed"]]
    if failed:
        lines = [f"{len(failed)} of {len(records)} public tests failed:"]
        for test in failed:
            lines.append(f"{test['number']} {test['name']}")
            lines += [f"    {line}" for line in test["message"].splitlines() if line.strip()]
        raise NotebookCheckFailed("\n".join(lines))


# --- checks of a student value's type (shared by every homework's graders)
# A grader checks the type of whatever student code returned before it computes on it: a wrong
# type is then the student's failed test, naming the type expected, never a grader crash.


def _is_int(value, zero_d=False):
    """A Python or numpy integer, not a bool; with ``zero_d``, a 0-d integer array too (a tensor
    element such as ``tokens[row]``, as it crosses from the sandbox)."""
    if isinstance(value, np.ndarray):
        return zero_d and value.shape == () and value.dtype.kind in "iu"
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _holds(values):
    """The type names found in ``values``, for a message ("int, str")."""
    kinds = sorted({_type_name(item) for item in values})
    return ", ".join(kinds[:4]) + (", ..." if len(kinds) > 4 else "")


def _is_wrong_keyed_dict(value):
    # A dict whose keys are not all strings cannot cross from the sandbox as a dict.
    return getattr(value, "rnnkit_type_name", None) == "dict"


def _reject_unsent_array(value, name, expected):
    # An array of objects, complex numbers or text cannot cross from the sandbox: it arrives as a
    # placeholder named numpy.ndarray, which a message must not call a wrong type of array.
    if getattr(value, "rnnkit_type_name", None) == "numpy.ndarray":
        raise AssertionError(f"{name} should be {expected}, got an array of objects, complex numbers or text.")


def _whole(value, name, hint):
    """``value`` with a whole float (or a 0-d array of one) as an int; any other value as it is."""
    if isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "iuf":
        value = value.item()
    if isinstance(value, (float, np.floating)):
        if not float(value).is_integer():
            raise AssertionError(f"{name} should be an int, got a number that is not whole. {hint}".strip())
        return int(value)
    return value


def assert_type(value, types, name, expected, hint=""):
    """``value`` is an instance of ``types``; ``expected`` describes the type in the message
    ("a string (str)"). Returns ``value``."""
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        got = "bool"
    elif isinstance(value, types):
        return value
    else:
        got = _type_name(value)
    raise AssertionError(f"{name} should be {expected}, got {got}. {hint}".strip())


def assert_int(value, name, *, low=None, high=None, whole=False, hint=""):
    """``value`` is an integer (a Python or numpy integer, not a bool or a float) in
    [``low``, ``high``); returns it as a Python int. With ``whole``, a float without a fractional
    part (64.0), or a 0-d array of one, passes too."""
    if whole:
        value = _whole(value, name, hint)
    if not _is_int(value):
        raise AssertionError(f"{name} should be an int, got {_type_name(value)}. {hint}".strip())
    value = int(value)
    if (low is not None and value < low) or (high is not None and value >= high):
        where = f"[{low}, {high})" if low is not None and high is not None else "range"
        raise AssertionError(f"{name} should be an int in {where}, got one outside it. {hint}".strip())
    return value


def assert_int_list(value, name, length=None):
    """``value`` is a list of ints (``length`` of them, when given; 0-d integer arrays count as
    ints); returns it as a list of plain ints."""
    if not isinstance(value, list):
        advice = " (not a tensor or an array: a plain list)" if isinstance(value, np.ndarray) else ""
        raise AssertionError(f"{name} should be a list of ints{advice}, got {_type_name(value)}.")
    wrong = [item for item in value if not _is_int(item, zero_d=True)]
    if wrong:
        raise AssertionError(f"{name} should be a list of ints, got a list holding {_holds(wrong)}.")
    if length is not None and len(value) != length:
        raise AssertionError(f"{name} should be a list of {length} ints, got {len(value)}.")
    return [int(item) for item in value]


def assert_int_lists(value, name, count):
    """``value`` is a list of ``count`` lists of ints (one per sentence)."""
    if not isinstance(value, list):
        raise AssertionError(f"{name} should be a list of {count} lists of ints, got {_type_name(value)}.")
    if len(value) != count:
        raise AssertionError(f"{name} should be a list of {count} lists of ints (one per sentence), got {len(value)} items.")
    return [assert_int_list(row, f"each item of {name}") for row in value]


def assert_str(value, name, *, length=None, hint=""):
    """``value`` is a string (of ``length`` characters, when given)."""
    assert_type(value, str, name, "a string (str)", hint)
    if length is not None and len(value) != length:
        raise AssertionError(f"{name} should have {length} characters, got {len(value)}. {hint}".strip())
    return value


def assert_str_list(value, name, *, item_length=None, hint=""):
    """``value`` is a list (or tuple) of strings (each of ``item_length`` characters, when
    given); returns it as a list."""
    if not isinstance(value, (list, tuple)):
        raise AssertionError(f"{name} should be a list of strings, got {_type_name(value)}. {hint}".strip())
    for item in value:
        if not isinstance(item, str):
            raise AssertionError(
                f"{name} should be a list of strings, but it holds a {_type_name(item)}. {hint}".strip()
            )
        if item_length is not None and len(item) != item_length:
            raise AssertionError(
                f"{name} should hold strings of {item_length} characters, but one has {len(item)}. {hint}".strip()
            )
    return list(value)


def assert_dict(value, name, *, key_type=str, value_type=None, hint=""):
    """``value`` is a dict with keys of ``key_type`` (and values of ``value_type``, when given;
    ``int`` accepts numpy integers, not bools); returns it."""
    kinds = f"{key_type.__name__} keys" + (f" and {value_type.__name__} values" if value_type else "")
    if _is_wrong_keyed_dict(value):
        raise AssertionError(f"{name} should be a dict with {kinds}, got a dict with other keys. {hint}".strip())
    if not isinstance(value, dict):
        raise AssertionError(f"{name} should be a dict with {kinds}, got {_type_name(value)}. {hint}".strip())
    for key, item in value.items():
        if not isinstance(key, key_type):
            raise AssertionError(f"{name} should be a dict with {kinds}, but a key is a {_type_name(key)}. {hint}".strip())
        if value_type is int and not _is_int(item) or value_type not in (None, int) and not isinstance(item, value_type):
            raise AssertionError(
                f"{name} should be a dict with {kinds}, but a value is a {_type_name(item)}. {hint}".strip()
            )
    return value


def assert_vocab(value, function="build_vocab"):
    """``value``, returned by ``function``, is a vocabulary: a dict token -> id whose ids are ints
    (0-d integer arrays count as ints); returns it with plain int ids."""
    if not isinstance(value, dict):
        raise AssertionError(f"{function} should return a dict (token -> id), got {_type_name(value)}.")
    wrong = [item for item in value.values() if not _is_int(item, zero_d=True)]
    if wrong:
        raise AssertionError(f"{function} should return a dict whose ids are ints, got ids of type {_holds(wrong)}.")
    return {token: int(index) for token, index in value.items()}


def assert_tensor(value, name, *, shape=None, dtype=None, hint=""):
    """``value`` is a torch tensor (it reaches the grader as a numpy array) of real numbers, of
    ``shape`` and numpy ``dtype`` (``np.float32``, ``np.int64``) when given. ``hint`` explains a
    wrong shape."""
    _reject_unsent_array(value, name, "a tensor of real numbers")
    if not isinstance(value, np.ndarray):
        advice = " Return the tensor itself, not a list, a tuple or a dict." if isinstance(value, (list, tuple, dict)) else ""
        raise AssertionError(f"{name} should be a torch tensor, got {_type_name(value)}.{advice}")
    if value.dtype.kind not in "fiub":
        raise AssertionError(f"{name} should be a tensor of real numbers, got dtype {value.dtype}.")
    if shape is not None:
        assert_shape(value, shape, name, hint=hint)
    if dtype is not None and value.dtype != np.dtype(dtype):
        torch_name = {"float32": "torch.float32", "int64": "torch.int64"}.get(np.dtype(dtype).name, np.dtype(dtype).name)
        raise AssertionError(f"{name} should have dtype {torch_name}, got {value.dtype}.")
    return value


def assert_float_tensor(value, name, shape, hint=""):
    """``value`` is a tensor (it arrives as a numpy array) of real numbers, not bools, of exactly
    ``shape``; a wrong type's message names the shape expected. ``hint`` explains a wrong shape."""
    if not isinstance(value, np.ndarray):
        raise AssertionError(f"{name} should be a tensor of shape {tuple(shape)}, got {_type_name(value)}.")
    if value.dtype.kind not in "fiu":
        raise AssertionError(f"{name} should be a tensor of real numbers, got dtype {value.dtype}.")
    assert_shape(value, shape, name, hint=hint)
    return value


def assert_int_tensor(value, name, shape):
    """``value`` is an int64 (torch.long) tensor (it arrives as a numpy array) of ``shape``: ids
    and lengths, which embeddings and packing need as int64."""
    if not isinstance(value, np.ndarray):
        raise AssertionError(f"{name} should be an int64 tensor, got {_type_name(value)}.")
    if value.dtype != np.int64:
        raise AssertionError(f"{name} should be an int64 (torch.long) tensor, got dtype {value.dtype}: "
                             "embeddings and packing need int64 ids and lengths.")
    assert_shape(value, shape, name)
    return value


def assert_state_dict(value, name):
    """``value`` is a module's ``state_dict()`` as it crosses over: a dict of names to arrays."""
    if not isinstance(value, dict) or not all(isinstance(item, np.ndarray) for item in value.values()):
        got = _type_name(value) if not isinstance(value, dict) else f"a dict holding {_holds(value.values())}"
        raise AssertionError(f"{name}'s state_dict should be a dict of tensors, got {got}.")
    return value


def assert_loads_weights(module, state, class_name, layers):
    """Load the grader's weights into the student's module (a StudentObject), strictly: every name
    and shape must be the contract's, and nothing more. A refusal is the student's failed test,
    naming the layers its docstring promises (``layers``). Returns the module."""
    try:
        module.load_state(state)
    except StudentCodeError as error:
        first = str(error).splitlines()[0][:300]
        raise AssertionError(
            f"{class_name} does not take the weights of the layers its docstring names ({layers}): "
            f"loading them (strict) failed: {first}"
        ) from None
    return module
