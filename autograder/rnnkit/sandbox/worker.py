"""The sandbox side: import the student's module, then answer calls from the grading process.

Run as ``python -I worker.py SETTINGS_JSON`` (a ``settings.WorkerSettings``) by the jail, with the
protocol on stdin/stdout. This is the only place student code runs. It is copied into the sandbox
beside ``protocol.py``, ``channel.py`` and ``settings.py``, and imports nothing from rnnkit. It holds no expected values and no grader code: it only ever learns the inputs
of each call.
"""

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import os
import random
import resource
import sys
import traceback
import types
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # python -I leaves it out
from channel import FrameReader  # noqa: E402
from protocol import MAX_WARNINGS, ProtocolError, decode_payload, encode_frame, from_plain, to_plain  # noqa: E402
from settings import WorkerSettings  # noqa: E402


def _take_protocol_channel():
    """Keep private copies of stdin/stdout for the protocol; student prints go to stderr."""
    channel_in = FrameReader(os.dup(0))
    channel_out = os.fdopen(os.dup(1), "wb", buffering=0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    return channel_in, channel_out


def _student_traceback(error, submission_dir):
    """The traceback trimmed to the student's own files, with paths relative to the submission."""
    prefix = os.path.join(os.path.realpath(submission_dir), "")
    # A notebook's cell runner names its own functions _rnnkit_...: they are the kit's, not the
    # student's. A cell's frames are named after the notebook ("hw.ipynb, code cell 5").
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if os.path.isabs(frame.filename) and os.path.realpath(frame.filename).startswith(prefix)
        and not frame.name.startswith("_rnnkit")
    ]
    for frame in frames:
        frame.filename = os.path.relpath(os.path.realpath(frame.filename), prefix)
    return "".join(traceback.format_list(frames))[-4000:]


# How running out of memory reads: Python's MemoryError, torch's allocator, numpy's.
_OUT_OF_MEMORY = ("MemoryError", "can't allocate memory", "Unable to allocate")


def _memory_hint(text):
    """For a failure that is the sandbox's memory limit: the limit, and where to look."""
    if not any(sign in text for sign in _OUT_OF_MEMORY):
        return ""
    limit = resource.getrlimit(resource.RLIMIT_DATA)[0]
    allowed = f"the {limit // 2**20} MB of" if limit != resource.RLIM_INFINITY else "all the"
    return (f" (your code asked for more than {allowed} memory the sandbox allows: look for arrays or "
            "tensors far larger than the docstring's shapes, or ones kept growing in a loop)")


def _error_message(error, submission_dir):
    if isinstance(error, SystemExit):
        message = "SystemExit: your code called sys.exit() or exit()"
    else:
        message = "".join(traceback.format_exception_only(type(error), error)).strip()
        # Paths relative to the submission: the same message wherever the sandbox put it.
        message = message.replace(os.path.join(os.path.realpath(submission_dir), ""), "")
        message = message[-1600:] + _memory_hint(message)
    return {
        "op": "error",
        "type_names": [cls.__name__ for cls in type(error).__mro__],
        "message": message[-2000:],
        "traceback": _student_traceback(error, submission_dir),
    }


class _Unavailable(types.ModuleType):
    """What a package this homework does not allow imports as: the import works (so the rest of
    the submission still runs), any use raises ImportError with the rule. The sandbox cannot read
    the real package anyway; this only turns "No module named" into the reason."""

    def __init__(self, name, rule):
        super().__init__(name)
        self.__rnnkit_rule = rule

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Unavailable(f"{self.__name__}.{name}", self.__rnnkit_rule)

    def __call__(self, *args, **kwargs):
        raise ImportError(self.__rnnkit_rule)

    __getitem__ = __iter__ = __call__


class _RefusePackages(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Student code that imports a package the homework does not allow gets the placeholder; an
    allowed package probing for an optional one (torch for dill) gets the plain "No module named"
    it expects when that package is not installed."""

    def __init__(self, names, allowed, submission_dir):
        self.names = set(names)
        self.allowed = allowed
        self.submission_dir = os.path.join(os.path.realpath(submission_dir), "")

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.split(".")[0]
        if top not in self.names:
            return None
        if not self._asked_by_student():
            return None  # _HidingPathFinder then reports it missing
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def _asked_by_student(self):
        """Whether the import being run comes from the submission's own files."""
        frame = sys._getframe(2)
        while frame is not None:
            filename = frame.f_code.co_filename
            if not filename.startswith(("<frozen", _IMPORTLIB_DIR)) and filename != __file__:
                return os.path.realpath(filename).startswith(self.submission_dir)
            frame = frame.f_back
        return False

    def create_module(self, spec):
        top = spec.name.split(".")[0]
        rule = f"{top} is not available in this homework: use {self.allowed} and Python's standard library only"
        return _Unavailable(spec.name, rule)

    def exec_module(self, module):
        pass


_IMPORTLIB_DIR = os.path.join(os.path.dirname(importlib.__file__), "")


class _HidingPathFinder(importlib.machinery.PathFinder):
    """The path finder, blind to the packages the homework does not allow: where the sandbox can
    list them but not read them (Landlock), a probe such as importlib.util.find_spec("pandas")
    must see them missing, as on a machine without them."""

    hidden = frozenset()

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        if fullname.split(".")[0] in cls.hidden:
            return None
        return super().find_spec(fullname, path, target)

    @classmethod
    def find_distributions(cls, *args, **kwargs):
        # Their metadata too: torch asks importlib.metadata for optree's version and, finding
        # one, imports optree without a guard.
        # Named from the folder (optree-0.13.0.dist-info): where Landlock hides the files, the
        # metadata cannot be read, but the folder is still listed.
        for distribution in super().find_distributions(*args, **kwargs):
            folder = getattr(distribution, "_path", None)
            name = folder.name.split("-")[0] if folder is not None else distribution.metadata["Name"] or ""
            if name.lower().replace("-", "_") not in cls.hidden:
                yield distribution


def hide_packages(names):
    """Make the packages ``names`` look missing to the path finder and to importlib.metadata.
    A zygote calls it before importing torch, so that torch decides about its optional packages
    exactly as in a worker that imports it itself."""
    _HidingPathFinder.hidden = frozenset(names)
    sys.meta_path[:] = [
        _HidingPathFinder if finder is importlib.machinery.PathFinder else finder for finder in sys.meta_path
    ]


_WORKER_PID = os.getpid()


def _leave_if_forked():
    """A process the student forked must never answer on the channel: it just ends."""
    if os.getpid() != _WORKER_PID:
        os._exit(0)


def _reseed():
    # The same call always sees the same random state, whatever ran before it.
    random.seed(0)
    np.random.seed(0)
    torch = sys.modules.get("torch")  # a torch homework: its weights start the same every time
    if torch is not None and not isinstance(torch, _Unavailable):
        # The CPU generator, the only one a sandbox has: what torch.manual_seed(0) seeds here, in
        # 1 microsecond instead of 150 (it also asks after every accelerator), on each of the
        # thousand calls of an HW3 grading.
        torch.default_generator.manual_seed(0)


# Objects the grader keeps a handle to (a student's nn.Module): handle number -> object. They live
# as long as this worker; the grader refers to them as {"__handle__": n}.
_kept = {}


def _call(module, request, submission_dir):
    name = request.get("name")
    handle = request.get("handle")
    if not isinstance(name, str) or name.startswith("_"):
        return {"op": "missing", "name": str(name)}
    if handle is None:
        function = getattr(module, name, None)
        if not callable(function):
            return {"op": "missing", "name": name}
    elif handle not in _kept:
        raise ProtocolError("unknown handle")
    args = from_plain(request.get("args", []), objects=_kept)
    kwargs = from_plain(request.get("kwargs", {"__dict__": {}}), objects=_kept)
    _reseed()
    record = bool(request.get("record_warnings"))
    with warnings.catch_warnings(record=True) if record else contextlib.nullcontext() as caught:
        if record:
            warnings.simplefilter("always")  # a warning already seen before is recorded again
        try:
            if handle is not None:  # a method of a kept object (looking it up may run student code)
                function = getattr(_kept[handle], name)
            value = function(*args, **kwargs)
        except BaseException as error:  # noqa: BLE001 - every student failure is reported, even exit()
            _leave_if_forked()
            return _error_message(error, submission_dir)
    _leave_if_forked()
    if request.get("keep"):
        number = len(_kept) + 1
        _kept[number] = value
        return {"op": "result", "value": None, "handle": number, "type": type(value).__name__[:200]}
    reply = {"op": "result", "value": to_plain(value)}
    if record:
        reply["warnings"] = [f"{w.category.__name__}: {w.message}"[:300] for w in caught[:MAX_WARNINGS]]
    if request.get("return_inputs"):
        reply["args"] = to_plain(list(args))
        reply["kwargs"] = to_plain(kwargs)
    return reply


def main(settings):
    global _WORKER_PID
    _WORKER_PID = os.getpid()  # a zygote's child: this module was imported by the zygote
    submission_dir, module_name, refused = settings.submission_dir, settings.module, settings.refused_modules
    allowed = " and ".join(["numpy", *(p for p in settings.allowed_packages if p != "numpy")])
    channel_in, channel_out = _take_protocol_channel()
    sys.meta_path.insert(0, _RefusePackages(refused, allowed, submission_dir))
    hide_packages(refused)
    sys.path.insert(0, submission_dir)
    os.chdir(submission_dir)
    _reseed()
    try:
        module = importlib.import_module(module_name)
    except BaseException as error:  # noqa: BLE001
        _leave_if_forked()
        channel_out.write(encode_frame({**_error_message(error, submission_dir), "op": "import_error"}))
        return
    _leave_if_forked()
    hello = {"op": "ready"}
    notes = getattr(module, "_rnnkit_cell_errors", None)  # a notebook: the cells that raised
    if isinstance(notes, list) and all(isinstance(note, str) for note in notes):
        hello["notes"] = [note[:300] + _memory_hint(note[:300]) for note in notes[:20]]
    channel_out.write(encode_frame(hello))
    while True:
        try:
            request = decode_payload(channel_in.read_payload())
        except EOFError:
            return
        except MemoryError:  # the student's code holds all the memory: the call cannot even be read
            os.write(2, f"MemoryError: no memory was left to receive the next call{_memory_hint('MemoryError')}\n".encode())
            os._exit(1)
        try:
            frame = encode_frame(_call(module, request, submission_dir))
        except (ProtocolError, RecursionError, ValueError, TypeError) as error:
            frame = encode_frame({"op": "protocol_error", "message": str(error)[:500]})
        except MemoryError:  # in the kit's code around the call: unpacking its inputs, packing its result
            frame = encode_frame({
                "op": "error", "type_names": ["MemoryError", "Exception", "BaseException", "object"],
                "message": f"MemoryError: no memory was left to pass this call's inputs or result{_memory_hint('MemoryError')}",
                "traceback": "",
            })
        channel_out.write(frame)


if __name__ == "__main__":
    main(WorkerSettings.from_json(sys.argv[1]))
