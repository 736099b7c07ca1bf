"""Remember what the graders' references computed, for a process that grades a whole class.

Every submission gets the same inputs (test data is seeded by the test's name) and the references
do not depend on the submission, so from the second submission on their torch computations are
looked up. Results come back as copies: a test can never change what the next submission sees.
The first computation is made cheaper too: on one torch thread.
"""

import copy
import functools

import numpy as np
import torch

MAX_ENTRIES = 20_000


def data_key(value):
    """A hashable key for plain data (arrays, numbers, strings, lists, tuples, dicts), or None."""
    if isinstance(value, np.ndarray):
        return ("array", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, (int, float, str, bool, type(None), np.generic)):
        return (type(value).__name__, value)
    if isinstance(value, (list, tuple)):
        parts = [data_key(v) for v in value]
        return None if None in parts else (type(value).__name__, *parts)
    if isinstance(value, dict):
        parts = [(k, data_key(v)) for k, v in sorted(value.items())]
        return None if any(p is None for _, p in parts) else ("dict", *parts)
    return None


def memoized(function):
    """``function`` with its results kept, keyed by the data of its arguments."""
    results = {}

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        key = data_key((args, kwargs))
        if key is None:
            return function(*args, **kwargs)
        if key not in results:
            if len(results) >= MAX_ENTRIES:
                results.clear()
            results[key] = function(*args, **kwargs)
        return copy.deepcopy(results[key])

    return wrapper


def single_threaded(function):
    """``function`` run on one torch thread. A reference computes on tensors of a few hundred
    numbers, where a second intra-op thread only adds synchronisation, and on a machine whose other
    core is busy (the sandbox, another grading process) each LSTM call waited for it: 12 ms
    instead of 0.7, ~0.6 s of one HW3 grade."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return function(*args, **kwargs)
        finally:
            torch.set_num_threads(threads)

    return wrapper
