"""Torch results the tests compare with, stored ahead: ``@oracle`` and ``lazy_import``.

The numpy homeworks' tests compare the student's arrays with torch doing the same computation
(torch.nn.RNN, autograd, clip_grad_norm_...). Each such computation is a function of its
arguments' data, and a test's data is seeded by its name, so its result can be worked out ahead:
``rnnkit release`` runs the graders on the reference solution and stores every result in
``oracles.json`` beside them (``rnnkit/release/oracles.py``). Grading looks the results up there
and never loads torch, which takes longer than the rest of grading a numpy homework. A result not
found (no table, a stale one, data that is not plain) is computed with torch as before: slower,
never wrong, and listed by ``take_misses``. In the students' folder there is no table: the tests
simply run torch.

The table is one JSON object, one entry a line in key order (so that a regeneration diffs line by
line): the key names the function and the sha256 of its arguments' data, the value is the result
with arrays as their dtype, shape and base64 bytes (exact, and a third of the size of decimals).
"""

import base64
import contextlib
import functools
import hashlib
import importlib
import inspect
import json
import sys
from pathlib import Path

import numpy as np

TABLE = "oracles.json"  # beside the module that defines the functions

_tables = {}  # path -> {key: stored value}, read on first use
_computed = {}  # key -> stored value of a miss, so a process grading a class computes it once
_misses = set()  # "module.function" of every result computed here instead of found
_recording = None  # {key: stored value} while `recording()` runs
_depth = 0  # oracle calls in progress: one inside another is part of the outer result


class _LazyModule:
    def __init__(self, name):
        self._name = name

    def __getattr__(self, attribute):
        if attribute.startswith("_"):  # pytest probes every module-level object for its markers
            raise AttributeError(attribute)
        return getattr(importlib.import_module(self._name), attribute)


def lazy_import(name):
    """The module ``name``, imported on first use (``torch = lazy_import("torch")``): where every
    result is found stored, torch is never imported."""
    return _LazyModule(name)


class _NotData(TypeError):
    pass


def _canonical(value):
    """``value`` as JSON-able plain data, arrays by their dtype, shape and sha256; _NotData if it
    is not plain data."""
    if isinstance(value, np.ndarray) and not value.dtype.hasobject:
        digest = hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()
        return ["ndarray", value.dtype.str, list(value.shape), digest]
    if isinstance(value, np.generic):
        return [type(value).__name__, value.item()]
    if value is None or isinstance(value, (bool, int, float, str)):
        return [type(value).__name__, value]
    if isinstance(value, (list, tuple)):
        return [type(value).__name__, [_canonical(item) for item in value]]
    raise _NotData(type(value).__name__)


def encode(value):
    """A result as the table stores it (exact); TypeError for what it cannot store."""
    if isinstance(value, np.ndarray) and not value.dtype.hasobject:
        data = base64.b64encode(np.ascontiguousarray(value).tobytes()).decode("ascii")
        return {"ndarray": value.dtype.str, "shape": list(value.shape), "data": data}
    if isinstance(value, tuple):
        return {"tuple": [encode(item) for item in value]}
    if isinstance(value, list):
        return [encode(item) for item in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"an oracle's result must be plain data (arrays, numbers, lists, tuples), not {type(value).__name__}")


def decode(stored):
    """The result ``encode`` stored, as new objects each time (a test may change what it gets)."""
    if isinstance(stored, dict) and "ndarray" in stored:
        raw = base64.b64decode(stored["data"])
        return np.frombuffer(raw, dtype=np.dtype(stored["ndarray"])).reshape(stored["shape"]).copy()
    if isinstance(stored, dict):
        return tuple(decode(item) for item in stored["tuple"])
    if isinstance(stored, list):
        return [decode(item) for item in stored]
    return stored


def same_result(a, b, rtol=1e-9):
    """Whether two results agree up to rounding (another machine's BLAS may round differently)."""
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.allclose(a, b, rtol=rtol, atol=0.0, equal_nan=True)
    if isinstance(a, (list, tuple)) and type(a) is type(b):
        return len(a) == len(b) and all(same_result(x, y, rtol) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return bool(np.isclose(a, b, rtol=rtol, atol=0.0, equal_nan=True))
    return type(a) is type(b) and a == b


def dumps(entries):
    """The table's text: deterministic bytes for the same entries."""
    lines = [f"{json.dumps(key)}: {json.dumps(entries[key], separators=(',', ':'))}" for key in sorted(entries)]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def _table(path):
    if path not in _tables:
        _tables[path] = json.loads(path.read_text()) if path.is_file() else {}
    return _tables[path]


def oracle(function):
    """``function`` (plain data in, plain data out, a torch computation) with its results looked
    up in the table beside its module, and computed only when missing there."""
    signature = inspect.signature(function)
    name = f"{function.__module__.rpartition('.')[2]}.{function.__qualname__}"

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        global _depth
        if _depth:  # part of an outer result, which is what the table holds
            return function(*args, **kwargs)
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        try:
            data = json.dumps(_canonical(list(bound.arguments.items())), separators=(",", ":"))
        except _NotData:
            _misses.add(name)
            return function(*args, **kwargs)
        key = f"{name} {hashlib.sha256(data.encode()).hexdigest()}"
        if _recording is None:
            table = _table(Path(sys.modules[function.__module__].__file__).with_name(TABLE))
            stored = table.get(key, _computed.get(key))
            if stored is not None:
                return decode(stored)
            _misses.add(name)
        _depth += 1
        try:
            stored = encode(function(*args, **kwargs))
        finally:
            _depth -= 1
        (_computed if _recording is None else _recording)[key] = stored
        return decode(stored)

    return wrapper


def take_misses():
    """The oracles (``module.function``) computed since the last call instead of found stored."""
    misses = sorted(_misses)
    _misses.clear()
    return misses


@contextlib.contextmanager
def recording():
    """Compute every oracle called inside (no table read) and collect its result: yields the
    {key: stored value} that ``dumps`` writes."""
    global _recording
    _recording = {}
    try:
        yield _recording
    finally:
        _recording = None
