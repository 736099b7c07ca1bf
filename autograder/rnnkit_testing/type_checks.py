"""Checks of a student value's type, shared by every homework's graders: a grader checks the type of
whatever student code returned before it computes on it, so a wrong type is the student's failed
test naming the type expected, never a grader crash."""

import numpy as np

from .checks import _reject_unsent_array, _type_name, assert_shape
from .failures import StudentCodeError


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
