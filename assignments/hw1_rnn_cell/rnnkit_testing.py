"""Checks shared by the public tests and the hidden graders of rnnkit.

Students get a copy of this file next to their homework so that ``pytest`` works with only numpy,
torch and pytest installed; the autograder uses the same file, so a public test behaves the same on
a laptop and on Gradescope.

Every check raises ``AssertionError`` with a message that names the concept that failed. Messages
describe *how* a value is wrong (shape, type, NaN, how many entries differ) and never print the
expected values, so hidden tests cannot be reverse-engineered from their feedback.
"""

import copy
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
    torch.manual_seed(0)


class InProcessStudent:
    """Calls the student's module directly (the student's own ``pytest`` run).

    The autograder replaces this with a proxy to a sandbox with the same interface. Arguments are
    deep-copied before each call, as they are when they cross into the sandbox, so a function that
    modifies its inputs cannot change the test's own arrays here either.
    """

    def __init__(self, module):
        self._module = module

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.call_with_inputs(name, *args, **kwargs)[0]

    def call_with_inputs(self, name, *args, **kwargs):
        """Call ``name`` and return ``(result, args_after, kwargs_after)``: the arguments as the
        student's function left them, to check that it did not modify its inputs."""
        function = getattr(self._module, name, None)
        if not callable(function):
            raise AssertionError(f"{self._module.__name__}.py has no function named `{name}`")
        args, kwargs = copy.deepcopy(args), copy.deepcopy(kwargs)
        return function(*args, **kwargs), args, kwargs

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
    """``value`` is a numpy array of real numbers (and of ``shape``, when given)."""
    if not isinstance(value, np.ndarray):
        raise AssertionError(
            f"{name} should be a numpy array, got {_type_name(value)}. {hint}".strip()
        )
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
    assert_array(actual, name, shape=expected.shape, hint=hint)
    assert_finite(actual, name, hint=hint)
    wrong = ~np.isclose(actual, expected, rtol=rtol, atol=atol)
    if wrong.any():
        raise ValueMismatch(
            f"{name} does not match the reference: {int(wrong.sum())} of {wrong.size} "
            f"entries differ. {hint}".strip()
        )


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
