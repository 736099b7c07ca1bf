"""HW4's checks of the values a student function returns, before any grader computes on them.

Anything can come back from the sandbox (a dict, a generator, None, a string, a list of mixed
types...): each check turns a wrong type into the student's own failed test, with a message that
names the type the docstring promises. Only then do the graders compare values.
"""

import numpy as np

from rnnkit_testing import _type_name


def _is_int(value):
    """A Python int (not a bool), or a 0-d integer array (a tensor element such as tokens[row])."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "iu"


def _holds(values):
    kinds = sorted({_type_name(item) for item in values})
    return ", ".join(kinds[:4]) + (", ..." if len(kinds) > 4 else "")


def vocab_dict(value, function="build_vocab"):
    """A dict token (str) -> id (int)."""
    if not isinstance(value, dict):
        raise AssertionError(f"{function} should return a dict (token -> id), got {_type_name(value)}.")
    wrong = [item for item in value.values() if not _is_int(item)]
    if wrong:
        raise AssertionError(f"{function} should return a dict whose ids are ints, got ids of type {_holds(wrong)}.")
    return {token: int(index) for token, index in value.items()}


def int_list(value, name, length=None):
    """A list of ints (``length`` of them, when given), as plain ints."""
    if not isinstance(value, list):
        advice = " (not a tensor or an array: a plain list)" if isinstance(value, np.ndarray) else ""
        raise AssertionError(f"{name} should be a list of ints{advice}, got {_type_name(value)}.")
    wrong = [item for item in value if not _is_int(item)]
    if wrong:
        raise AssertionError(f"{name} should be a list of ints, got a list holding {_holds(wrong)}.")
    if length is not None and len(value) != length:
        raise AssertionError(f"{name} should be a list of {length} ints, got {len(value)}.")
    return [int(item) for item in value]


def int_lists(value, name, count):
    """A list of ``count`` lists of ints."""
    if not isinstance(value, list):
        raise AssertionError(f"{name} should be a list of {count} lists of ints, got {_type_name(value)}.")
    if len(value) != count:
        raise AssertionError(f"{name} should be a list of {count} lists of ints (one per sentence), got {len(value)} items.")
    return [int_list(row, f"each item of {name}") for row in value]


def int_tensor(value, name, shape):
    """An int64 tensor (it arrives as a numpy array) of ``shape``."""
    if not isinstance(value, np.ndarray):
        raise AssertionError(f"{name} should be an int64 tensor, got {_type_name(value)}.")
    if value.dtype != np.int64:
        raise AssertionError(f"{name} should be an int64 (torch.long) tensor, got dtype {value.dtype}: "
                             "embeddings and packing need int64 ids and lengths.")
    if tuple(value.shape) != tuple(shape):
        raise AssertionError(f"{name} has shape {tuple(value.shape)}, expected {tuple(shape)}.")
    return value


def weights_state(value, name):
    """A module's state_dict as it crosses over: a dict of names to finite arrays."""
    if not isinstance(value, dict) or not all(isinstance(item, np.ndarray) for item in value.values()):
        got = _type_name(value) if not isinstance(value, dict) else f"a dict holding {_holds(value.values())}"
        raise AssertionError(f"{name}'s state_dict should be a dict of tensors, got {got}.")
    return value


def load_weights(module, state, class_name, layers):
    """Load the grader's weights into the student's module, strictly (every name and shape must be
    the contract's, and nothing more); a refusal is the student's failed test naming the layers."""
    from rnnkit_testing import StudentCodeError

    try:
        module.load_state(state)
    except StudentCodeError as error:
        first = str(error).splitlines()[0][:300]
        raise AssertionError(
            f"{class_name} does not take the weights of the layers its docstring names ({layers}): "
            f"loading them (strict) failed: {first}"
        ) from None
    return module


def float_tensor(value, name, shape, hint=""):
    """A float tensor (it arrives as a numpy array) of ``shape``."""
    if not isinstance(value, np.ndarray):
        raise AssertionError(f"{name} should be a tensor of shape {tuple(shape)}, got {_type_name(value)}.")
    if value.dtype.kind not in "fiu":
        raise AssertionError(f"{name} should be a tensor of real numbers, got dtype {value.dtype}.")
    if tuple(value.shape) != tuple(shape):
        raise AssertionError(f"{name} has shape {tuple(value.shape)}, expected {tuple(shape)}. {hint}".strip())
    return value
