"""The grading side of the sandbox: start the worker, call student functions, survive anything.

``SandboxStudent`` is what graders receive as the ``student`` fixture. Attribute access returns a
function that sends its arguments to the worker (see ``worker.py``) and returns the plain data that
comes back. The worker is started lazily, restarted after a crash or a time-out, and never trusted:
every reply is decoded by ``protocol.from_plain`` and a bad one is the submission's failure.
Expected values stay in this process; only the inputs of each call cross over.
"""

import json
import os
import pwd
import selectors
import shutil
import signal
import site
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from rnnkit import protocol
from rnnkit_testing import StudentCodeError, SubmissionFailed

HERE = Path(__file__).resolve().parent
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
WORKER_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "PYTHONHASHSEED": "0",
    "PYTHONDONTWRITEBYTECODE": "1",
    # One thread each: predictable results, and threads count against the process limit.
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
MAX_RESTARTS = 20


class SandboxUnavailable(RuntimeError):
    """The sandbox itself could not be set up: a problem of the kit or the machine, not the student."""


@dataclass
class Limits:
    call_timeout: float = 10.0  # wall-clock seconds for one call
    import_timeout: float = 30.0  # wall-clock seconds to start Python and import the submission
    cpu_seconds: int = 120  # CPU time over the sandbox's whole life
    memory_mb: int = 1024  # address space
    processes: int = 64
    file_mb: int = 16
    disk_mb: int = 64
    open_files: int = 256

    @classmethod
    def from_mapping(cls, values):
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown sandbox setting(s): {', '.join(sorted(unknown))}")
        return cls(**values)


def _overlaps(path, others):
    path = os.path.realpath(path)
    for other in others:
        other = os.path.realpath(other)
        if path == other or path.startswith(other + os.sep) or other.startswith(path + os.sep):
            return True
    return False


def _sandbox_ids():
    """(uid, gid) the worker runs as when the grader is root; None keeps the grader's own.

    RNNKIT_SANDBOX_USER names the account (default ``nobody``); set it to an empty string only where
    Python lives in a folder no other user can enter, and accept a weaker sandbox."""
    name = os.environ.get("RNNKIT_SANDBOX_USER", "nobody")
    if not name:
        return None
    try:
        entry = pwd.getpwnam(name)
        return entry.pw_uid, entry.pw_gid
    except KeyError:
        return 65534, 65534


@dataclass
class SandboxSpec:
    """Everything needed to start a worker for one submission."""

    submission_dir: Path
    module: str
    hidden: list  # folders the worker must never see (graders, solutions, results)
    limits: Limits = field(default_factory=Limits)
    namespaces: bool = True  # try mount/network/PID namespaces (needs root)

    def read_only_paths(self):
        """System folders plus the folders this Python and its packages live in, except any that
        overlap a hidden folder (a checkout on sys.path would expose the graders)."""
        python_dirs = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
        python_dirs.add(os.path.dirname(os.path.realpath(sys.executable)))
        python_dirs.update(site.getsitepackages() + [site.getusersitepackages()])
        # Package folders only: other sys.path entries (the script's folder, the current
        # directory) could be anything, such as the checkout itself.
        python_dirs.update(
            p for p in sys.path if os.path.basename(p) in ("site-packages", "dist-packages")
        )
        python_dirs = {p for p in python_dirs if os.path.isdir(p)}
        keep = [p for p in python_dirs if not _overlaps(p, self.hidden)]
        system = [p for p in SYSTEM_DIRS if os.path.lexists(p)]
        return system + sorted({os.path.realpath(p) for p in keep} - set(system))


class Worker:
    """One running sandbox process, with its pipes."""

    def __init__(self, spec):
        self.spec = spec
        self.stage = Path(tempfile.mkdtemp(prefix="rnnkit-sandbox-"))
        self.stage.chmod(0o711)
        worker_dir = self.stage / "worker"
        worker_dir.mkdir(mode=0o755)
        for name in ("worker.py", "protocol.py"):
            shutil.copy(HERE / name, worker_dir / name)
            (worker_dir / name).chmod(0o644)
        shutil.copytree(spec.submission_dir, self.stage / "submission", symlinks=False)
        (self.stage / "tmp").mkdir()
        (self.stage / "root").mkdir()
        self.stderr = tempfile.TemporaryFile()
        status_read, status_write = os.pipe()
        config = {
            "namespaces": spec.namespaces and os.geteuid() == 0,
            "python": sys.executable,
            "module": spec.module,
            "worker_dir": str(worker_dir),
            "submission_dir": str(self.stage / "submission"),
            "tmp_dir": str(self.stage / "tmp"),
            "root_dir": str(self.stage / "root"),
            "read_only": spec.read_only_paths(),
            "hidden": [str(p) for p in spec.hidden],
            "user": _sandbox_ids(),
            "status_fd": status_write,
            "disk_mb": spec.limits.disk_mb,
            "limits": {
                key: getattr(spec.limits, key)
                for key in ("cpu_seconds", "memory_mb", "processes", "file_mb", "open_files")
            },
            "env": WORKER_ENV,
        }
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-S", str(HERE / "jail.py"), json.dumps(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            pass_fds=(status_write,),
            start_new_session=True,  # its own process group, so kill() reaches everything
        )
        os.close(status_write)
        with os.fdopen(status_read) as status:
            text = status.read()  # EOF once the jail has exec'd the worker (or died)
        if not text:
            detail = self.stderr_tail()
            self.kill()
            raise SandboxUnavailable(f"the sandbox could not start:\n{detail}")
        self.layers = json.loads(text)["layers"]

    def send(self, message):
        frame = protocol.encode_frame(message)
        self.process.stdin.write(frame)
        self.process.stdin.flush()

    def receive(self, timeout):
        """Next reply, or raise TimeoutError / EOFError (the worker died)."""
        deadline = time.monotonic() + timeout
        header = self._read(protocol.HEADER_SIZE, deadline)
        return protocol.decode_payload(self._read(protocol.frame_length(header), deadline))

    def _read(self, size, deadline):
        stream = self.process.stdout
        chunks = []
        with selectors.DefaultSelector() as selector:
            selector.register(stream, selectors.EVENT_READ)
            while size:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    raise TimeoutError
                chunk = os.read(stream.fileno(), min(size, 1 << 20))
                if not chunk:
                    raise EOFError
                chunks.append(chunk)
                size -= len(chunk)
        return b"".join(chunks)

    def stderr_tail(self, limit=1500):
        self.stderr.seek(0, os.SEEK_END)
        size = self.stderr.tell()
        self.stderr.seek(max(0, size - limit))
        return self.stderr.read().decode("utf-8", "replace").strip()

    def exit_description(self):
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # it closed its end of the pipe but lives on
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            return "it closed its connection to the grader"
        if code >= 0:
            return f"exit code {code}"
        if -code == signal.SIGXCPU or -code == signal.SIGKILL:
            return (
                f"killed by {signal.Signals(-code).name} (out of CPU time or memory: limits are "
                f"{self.spec.limits.cpu_seconds} CPU s and {self.spec.limits.memory_mb} MB)"
            )
        return f"killed by {signal.Signals(-code).name}"

    def kill(self):
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.stderr.close()
        shutil.rmtree(self.stage, ignore_errors=True)


class SandboxStudent:
    """The ``student`` fixture in the grading process: a proxy to the submission's module."""

    def __init__(self, spec):
        self._spec = spec
        self._worker = None
        self._fatal = None  # a message every later call repeats (import failed, too many crashes)
        self._hung = {}  # function name -> message: a function that timed out is not called again
        self._starts = 0
        self._pending = None  # a worker launched by prestart() whose hello is not read yet
        self._unavailable = None  # the kit's own failure to start a sandbox, repeated every call
        self.layers = []

    @classmethod
    def failed(cls, message):
        """A proxy for a submission that cannot be run at all: every call fails with ``message``."""
        proxy = cls(spec=None)
        proxy._fatal = message
        return proxy

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self._call(name, args, kwargs)["value"]

    def call_with_inputs(self, name, *args, **kwargs):
        """Call ``name``; return ``(result, args_after, kwargs_after)`` as the sandbox left them."""
        reply = self._call(name, args, kwargs, return_inputs=True)
        return reply["value"], reply["args"], reply["kwargs"]

    def call_with_warnings(self, name, *args, **kwargs):
        """Call ``name``; return ``(result, warnings)``, the warnings it raised as "Category: message"."""
        reply = self._call(name, args, kwargs, record_warnings=True)
        return reply["value"], reply["warnings"]

    def close(self):
        for worker in (self._worker, self._pending):
            if worker is not None:
                worker.kill()
        self._worker = self._pending = None

    # -- internals --

    def prestart(self):
        """Launch the worker now, so that it boots while the graders import torch; its reply is
        read at the first call."""
        if self._fatal is None and self._worker is None and self._pending is None:
            try:
                self._pending = self._launch()
            except SandboxUnavailable:
                pass  # raised again at the first call, where it fails that test as a kit error

    def _launch(self):
        if self._starts >= MAX_RESTARTS:
            self._fatal = f"your code crashed or hung {MAX_RESTARTS} times; the remaining calls were not made"
            raise SubmissionFailed(self._fatal)
        self._starts += 1
        try:
            worker = Worker(self._spec)
        except SandboxUnavailable as error:
            self._unavailable = error  # it will not start on a retry either
            raise
        self.layers = worker.layers
        return worker

    def _start(self):
        worker, self._pending = self._pending or self._launch(), None
        module = f"{self._spec.module}.py"
        try:
            hello = worker.receive(self._spec.limits.import_timeout)
        except TimeoutError:
            self._fatal = f"importing {module} did not finish within {self._spec.limits.import_timeout:g} s"
        except (EOFError, protocol.ProtocolError):
            self._fatal = f"importing {module} crashed Python ({worker.exit_description()})"
            tail = worker.stderr_tail()
            if tail:
                self._fatal += f"\n\nLast output:\n{tail}"
        else:
            if hello.get("op") == "ready":
                self._worker = worker
                return
            if hello.get("op") == "import_error":
                self._fatal = f"{module} could not be imported: {hello.get('message')}"
                trace = str(hello.get("traceback", "")).rstrip()
                if trace:
                    self._fatal += f"\n\nWhere (your code, most recent call last):\n{trace}"
            else:
                self._fatal = f"importing {module} produced an unexpected reply"
        worker.kill()
        raise SubmissionFailed(self._fatal)

    def _call(self, name, args, kwargs, return_inputs=False, record_warnings=False):
        if self._unavailable:
            raise self._unavailable
        if self._fatal:
            raise SubmissionFailed(self._fatal)
        if name in self._hung:
            raise SubmissionFailed(self._hung[name])
        if self._worker is None:
            self._start()
        worker = self._worker
        request = {
            "op": "call",
            "name": name,
            "args": protocol.to_plain(list(args)),
            "kwargs": protocol.to_plain(dict(kwargs)),
            "return_inputs": return_inputs,
            "record_warnings": record_warnings,
        }
        try:
            worker.send(request)
            reply = worker.receive(self._spec.limits.call_timeout)
        except TimeoutError:
            self._stop_worker()
            self._hung[name] = (
                f"`{name}` did not return within {self._spec.limits.call_timeout:g} s "
                "(an infinite loop, or far too slow); it is not called again"
            )
            raise SubmissionFailed(self._hung[name]) from None
        except (EOFError, BrokenPipeError, protocol.ProtocolError) as error:
            message = f"your code crashed Python while running `{name}` ({worker.exit_description()})"
            if isinstance(error, protocol.ProtocolError):
                message = f"`{name}` sent back an unreadable reply ({error})"
            tail = worker.stderr_tail()
            self._stop_worker()
            raise SubmissionFailed(message + (f"\n\nLast output:\n{tail}" if tail else "")) from None
        return self._decode(name, reply, return_inputs, record_warnings)

    def _decode(self, name, reply, return_inputs, record_warnings):
        """The reply as {"value", and "args" and "kwargs" or "warnings" when asked for}."""
        op = reply.get("op")
        try:
            if op == "result":
                decoded = {"value": protocol.from_plain(reply.get("value"))}
                if return_inputs:
                    decoded["args"] = tuple(protocol.from_plain(reply["args"]))
                    decoded["kwargs"] = protocol.from_plain(reply["kwargs"])
                if record_warnings:
                    decoded["warnings"] = [str(w)[:300] for w in reply["warnings"]][:protocol.MAX_WARNINGS]
                return decoded
            if op == "error":
                type_names = [str(n) for n in reply.get("type_names", [])][:20]
                message = str(reply.get("message", ""))
                raise StudentCodeError(
                    f"`{name}` raised {message}", type_names, str(reply.get("traceback", ""))
                )
            if op == "missing":
                raise SubmissionFailed(f"{self._spec.module}.py has no function named `{name}`")
            if op == "protocol_error":
                raise SubmissionFailed(
                    f"`{name}` returned a value that cannot be sent back "
                    f"({str(reply.get('message', ''))[:300]}); return numpy arrays, numbers, tuples or lists"
                )
        except (KeyError, TypeError, protocol.ProtocolError) as error:
            raise SubmissionFailed(f"`{name}` sent back an unreadable reply ({error})") from None
        raise SubmissionFailed(f"`{name}` sent back an unexpected reply")

    def _stop_worker(self):
        if self._worker is not None:
            self._worker.kill()
            self._worker = None
