"""Warm sandboxes: the grading side of the zygote (``zygote.py``).

Starting Python and importing torch is most of what a worker's start costs. A grading process
(``rnnkit grade`` first thing, a batch's grading process, a cluster worker) starts one zygote per
set of allowed packages with ``keep_warm``; from then on ``launch.Worker`` asks it for each worker instead of
starting Python again. The zygote forks the worker from its clean, already-imported state; the
walls, uid, limits and time budget are the same as a cold start's (``jail.confine`` applies them
in the child), and the zygote reports how each worker ended, since this process is not its parent.

Without a zygote (the engine called on its own) a worker starts cold: ``python jail.py``, then exec.
"""

import atexit
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import disk, processes
from .limits import SandboxUnavailable
from .packages import package_walls
from .policy import WORKER_ENV

HERE = Path(__file__).resolve().parent
# What the zygote imports: the worker's files (launch.WORKER_FILES, which launch cannot lend
# without an import cycle: it imports this module) and the jail's.
ZYGOTE_FILES = (
    HERE / "zygote.py", HERE / "jail.py", HERE / "landlock.py", HERE / "seccomp.py",
    HERE / "worker.py", HERE / "channel.py", HERE / "settings.py", HERE.parent / "protocol.py",
)
FORK_SECONDS = 120  # for the zygote to fork a worker; its first answer waits for its imports
MAX_MESSAGE = 4096

_zygotes = {}  # preloaded packages -> the running Zygote


# Parts of an allowed package that a submission's first use of it imports anyway: torch's first
# optimizer imports torch._dynamo (1.5 s, every torch homework's given training loop makes one).
# Imported ahead, they cost a worker that never uses them 70 MB of its memory limit's headroom.
WARM_SUBMODULES = {"torch": ("torch._dynamo",)}


def preload_for(packages):
    """What a zygote for these allowed packages imports: numpy (the worker's own), and the rest
    the homework allows (None: a sandbox that may use anything gets numpy only)."""
    allowed = sorted(set(packages or ()) - {"numpy"})
    return ("numpy", *allowed, *(sub for name in allowed for sub in WARM_SUBMODULES.get(name, ())))


def keep_warm(packages):
    """Start (once) the zygote for workers allowed ``packages``; later workers fork from it."""
    preload = preload_for(packages)
    zygote = _zygotes.get(preload)
    if zygote is None or not zygote.alive:
        if zygote is not None:
            zygote.close()  # its folder, and its place among the processes kill_leftovers keeps
        hidden = () if packages is None else package_walls(tuple(packages))[1]
        first = not _zygotes
        _zygotes[preload] = Zygote(preload, hidden)
        if first:  # registered after the stage holder's handler, so it runs before it
            atexit.register(stop_warm)


def zygote_for(packages):
    """The running zygote for ``packages``, or None (a cold start)."""
    zygote = _zygotes.get(preload_for(packages))
    return zygote if zygote is not None and zygote.alive else None


def stop_warm():
    for zygote in _zygotes.values():
        zygote.close()
    _zygotes.clear()


class ForkedProcess:
    """A worker the zygote forked, with the part of ``subprocess.Popen`` that ``launch.Worker`` uses."""

    def __init__(self, zygote, pid, stdin, stdout):
        self._zygote = zygote
        self.pid, self.stdin, self.stdout = pid, stdin, stdout
        self.returncode = None

    def poll(self):
        if self.returncode is None:
            self.returncode = self._zygote.exit_code(self.pid, timeout=0)
        return self.returncode

    def wait(self, timeout=None):
        if self.returncode is None:
            self.returncode = self._zygote.exit_code(self.pid, timeout)
        if self.returncode is None:
            raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout)
        return self.returncode


class Zygote:
    def __init__(self, preload, hidden):
        self.stage = Path(tempfile.mkdtemp(prefix="rnnkit-zygote-", dir=disk.stage_holder()))
        for source in ZYGOTE_FILES:
            shutil.copy(source, self.stage / source.name)
        self.control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        processes.become_subreaper()  # a worker whose zygote died is reparented here
        self.process = subprocess.Popen(
            [sys.executable, "-I", str(self.stage / "zygote.py"), json.dumps({"preload": list(preload), "hidden": list(hidden)}), str(theirs.fileno())],
            pass_fds=(theirs.fileno(),), env=dict(WORKER_ENV), cwd="/",
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        theirs.close()
        processes.live_workers.add(self.process.pid)  # kill_leftovers keeps it and its workers
        self.pid = self.process.pid
        self._closed = False
        self._exits = {}  # pid -> exit code, reported and not yet asked for

    @property
    def alive(self):
        return not self._closed and self.process.poll() is None

    def fork(self, settings_json, stderr_fd, status_fd):
        """A worker for ``settings_json`` (a JailSettings), its stderr and status pipe given."""
        stdin_read, stdin_write = os.pipe()
        stdout_read, stdout_write = os.pipe()
        try:
            socket.send_fds(self.control, [settings_json.encode()], [stdin_read, stdout_write, stderr_fd, status_fd])
            deadline = time.monotonic() + FORK_SECONDS
            while True:
                message = self._next(deadline)
                if message is None:  # stuck: it must not fork this request later either
                    raise EOFError(f"no worker after {FORK_SECONDS} s")
                if message.get("op") == "started":
                    pid = message["pid"]
                    return ForkedProcess(self, pid, os.fdopen(stdin_write, "wb"), os.fdopen(stdout_read, "rb"))
                if message.get("op") == "failed":
                    raise SandboxUnavailable(f"the warm sandbox could not start a worker: {message.get('message')}")
        except (OSError, EOFError) as error:
            self.close()
            raise SandboxUnavailable(f"the warm sandbox is gone ({error})") from error
        except BaseException:
            for fd in (stdin_write, stdout_read):
                os.close(fd)
            raise
        finally:
            os.close(stdin_read)
            os.close(stdout_write)

    def exit_code(self, pid, timeout):
        """How worker ``pid`` ended, waiting up to ``timeout`` seconds (None: as long as it takes);
        None if it still runs."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while pid not in self._exits:
            if self._closed:
                return self._orphan_exit_code(pid, deadline)
            try:
                if self._next(deadline) is None:
                    return None
            except (OSError, EOFError):
                self.close()
        return self._exits.pop(pid)

    def _next(self, deadline):
        """The next message (an exit report is also recorded), or None at the deadline."""
        wait = None if deadline is None else max(0.0, deadline - time.monotonic())
        if not select.select([self.control], [], [], wait)[0]:
            return None
        data = self.control.recv(MAX_MESSAGE)
        if not data:
            raise EOFError("the zygote ended")
        message = json.loads(data)
        if message.get("op") == "exit":
            self._exits[message["pid"]] = message["code"]
        return message

    @staticmethod
    def _orphan_exit_code(pid, deadline):
        """The zygote died before its worker: the worker, killed by its parent-death signal, was
        reparented to this process (a subreaper), which reaps it."""
        while True:
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:  # reaped already (kill_leftovers)
                return -9
            if done:
                return os.waitstatus_to_exitcode(status)
            if deadline is not None and time.monotonic() >= deadline:
                return None
            time.sleep(0.01)

    def close(self):
        if self._closed:
            return
        self._closed = True
        self.control.close()  # the zygote reads end of file and leaves; its workers die with it
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        processes.live_workers.discard(self.pid)
        shutil.rmtree(self.stage, ignore_errors=True)
