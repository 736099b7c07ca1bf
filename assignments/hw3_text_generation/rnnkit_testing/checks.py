"""Checks of values: each raises AssertionError with a message naming the concept that failed and
how the value is wrong (shape, type, NaN, how many entries differ), never the expected values."""

import numpy as np

from .failures import StudentCodeError, SubmissionFailed, ValueMismatch


def _type_name(value):
    # Values the sandbox cannot send back arrive as placeholders that carry the original type name.
    return getattr(value, "rnnkit_type_name", type(value).__name__)


def _reject_unsent_array(value, name, expected):
    # An array of objects, complex numbers or text cannot cross from the sandbox: it arrives as a
    # placeholder named numpy.ndarray, which a message must not call a wrong type of array.
    if getattr(value, "rnnkit_type_name", None) == "numpy.ndarray":
        raise AssertionError(f"{name} should be {expected}, got an array of objects, complex numbers or text.")


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
