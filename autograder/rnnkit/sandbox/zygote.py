"""A warm start for sandboxes: a process that has imported numpy (and torch, where the homework
allows it) once, and forks each worker from that state.

Run as ``python -I zygote.py PACKAGES_JSON CONTROL_FD`` (``{"preload": [...], "hidden": [...]}``) by ``warm.py``, from a staged copy of the
sandbox's files, with the worker's environment. It runs no student code and reads nothing of the
kit's secrets: it imports the preloaded packages (with the homework's other packages hidden, as
the worker hides them) and this folder's modules, then waits. For each
request on the control socket (a ``JailSettings`` as JSON, with the worker's stdin, stdout,
stderr and status pipe as file descriptors), it forks a child that closes everything else of the
zygote's, confines itself exactly as ``jail.py`` does (namespaces, uid, Landlock, seccomp,
rlimits) and becomes the worker in place. Fork copies the zygote's memory as it was before any
submission ran, so each worker starts from the same clean state and nothing of one submission
can reach the next.

The zygote reaps its children and reports each one's exit status (``{"op": "exit", "pid", "code"}``)
on the control socket; it dies with the grading process (parent-death signal), and its children
die with it.
"""

import ctypes
import dataclasses
import importlib
import json
import os
import select
import signal
import socket
import sys
import tempfile
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # python -I leaves it out
import jail  # noqa: E402
import worker  # noqa: E402
from settings import JailSettings  # noqa: E402

PR_SET_PDEATHSIG = 1
MAX_REQUEST = 1 << 20  # a JailSettings is a few kB
# The fds a request carries, and where the child puts them: stdin, stdout, stderr, status.
WORKER_FDS = 4
STATUS_FD = 3

_libc = ctypes.CDLL(None, use_errno=True)


def _send(control, message):
    control.send(json.dumps(message).encode())


def _become_worker(text, fds, control, zygote_pid):
    """In the forked child: keep only the worker's pipes, confine, and run the worker."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != zygote_pid:  # the zygote died before the signal was set
        os._exit(1)
    os.setsid()  # a process group of its own, as a launched worker has: the grader kills it whole
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    # Nothing of the zygote's stays open: with its control socket, student code could ask the
    # zygote for workers with settings of its own choosing. The Python objects let go of their
    # numbers first, so that collecting them later cannot close a number the worker reuses.
    control.detach()
    os.closerange(STATUS_FD + 1, os.sysconf("SC_OPEN_MAX"))  # the wakeup pipe too
    settings = dataclasses.replace(JailSettings.from_json(text), status_fd=STATUS_FD)
    tempfile.tempdir = None  # torch's import asked for it: the worker's TMPDIR decides
    env, worker_path, worker_settings = jail.confine(settings, forked=True)
    os.environ.clear()
    os.environ.update(env)
    sys.path[0] = os.path.dirname(worker_path)
    sys.argv = [worker_path, worker_settings.to_json()]
    worker.main(worker_settings)


def _spawn(text, fds, control):
    zygote_pid = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        _become_worker(text, fds, control, zygote_pid)
        code = 0
    except BaseException:  # noqa: BLE001 - the grader reads it as "the sandbox could not start"
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)


def _reap(control):
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _send(control, {"op": "exit", "pid": pid, "code": os.waitstatus_to_exitcode(status)})


def main(packages, control_fd):
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # dies with the grading process
    worker.hide_packages(packages["hidden"])
    for name in packages["preload"]:
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # not installed here: the worker reports it as the student's import fails
    control = socket.socket(fileno=control_fd)
    wakeup_read, wakeup_write = os.pipe()
    os.set_blocking(wakeup_write, False)
    signal.set_wakeup_fd(wakeup_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so that SIGCHLD wakes the loop
    _send(control, {"op": "ready", "pid": os.getpid()})
    while True:
        readable, _, _ = select.select([control, wakeup_read], [], [])
        if wakeup_read in readable:
            os.read(wakeup_read, 4096)
            _reap(control)
        if control in readable:
            text, fds, _, _ = socket.recv_fds(control, MAX_REQUEST, WORKER_FDS)
            if not text:
                return  # the grading process is gone: the children's parent-death signal ends them
            try:
                if len(fds) != WORKER_FDS:
                    raise ValueError(f"a request must carry {WORKER_FDS} file descriptors")
                _send(control, {"op": "started", "pid": _spawn(text.decode(), fds, control)})
            except (OSError, ValueError) as error:
                _send(control, {"op": "failed", "message": f"{type(error).__name__}: {error}"[:500]})
            finally:
                for fd in fds:
                    os.close(fd)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]), int(sys.argv[2]))
