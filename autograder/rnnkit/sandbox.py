"""The grading side of the sandbox: start the worker, call student functions, survive anything.

``SandboxStudent`` is what graders receive as the ``student`` fixture. Attribute access returns a
function that sends its arguments to the worker (see ``worker.py``) and returns the plain data that
comes back. The worker is started lazily, restarted after a crash or a time-out, and never trusted:
every reply is decoded by ``protocol.decode_value`` and a bad one is the submission's failure.
Expected values stay in this process; only the inputs of each call cross over.

What this side enforces itself, whatever the machine's kernel offers:

* an overall time budget per submission (``Limits.budget_seconds``): calls are cut short when it
  runs out, and every later call fails at once with a message that says so;
* a disk budget (``Limits.disk_mb``) for the worker's folders and the files its user leaves in the
  machine's shared temporary folders, checked while each call runs;
* a memory budget for what comes back (``Limits.reply_mb``): the bytes decoded from the sandbox
  over the whole grading of one submission, since graders may keep every reply before checking;
* nothing shared between sandboxes: each one's folders are readable by its own uid only, under a
  folder no sandbox can list, and what its uid leaves behind (files in the shared temporary
  folders, System V IPC objects) is removed when it ends;
* no leftover processes: this process is a child subreaper, so everything the submission starts
  (``setsid`` daemons included) stays its descendant, and after a crash, a time-out and at the end
  every process of the sandbox is killed.
"""

import atexit
import ctypes
import errno
import functools
import importlib.metadata
import itertools
import json
import os
import pwd
import re
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
from rnnkit_testing import StudentCodeError, StudentObject, SubmissionFailed, SubmissionStopped

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
    # torch's oneDNN keeps compiled kernels for 1024 input shapes: an LSTM fed a window that keeps
    # growing reserved 1.2 GB over 400 lengths (16 kept: 218 MB), and the memory limit then failed
    # the student's call with "could not create a primitive". Same results, fewer kept.
    "ONEDNN_PRIMITIVE_CACHE_CAPACITY": "16",
}
_SANDBOX_NOISE = re.compile(r"Error in cpuinfo: ")
MAX_FAILURES = 3  # crashes or unreadable replies of one function before it is not called again


LAYERS = ("namespaces", "unprivileged-user", "landlock", "seccomp", "rlimits")


def missing_layers(layers):
    """The sandbox layers this run did not get (``layers`` as the jail reported them)."""
    return [name for name in LAYERS if not any(layer.startswith(name) for layer in layers)]


class SandboxUnavailable(RuntimeError):
    """The sandbox itself could not be set up: a problem of the kit or the machine, not the student."""


@dataclass
class Limits:
    call_timeout: float = 10.0  # wall-clock seconds for one call
    import_timeout: float = 30.0  # wall-clock seconds to start Python and import the submission
    cpu_seconds: int = 120  # CPU time over the sandbox's whole life
    memory_mb: int = 1024  # address space (torch reserves ~640 MB of it at import without using it)
    # Memory it may write into (heap, private mappings): what can fill RAM, where the address space
    # cannot tell. It counts reservations never touched too (numpy's OpenBLAS reserves ~140 MB at
    # its first product). The reference's workers peak at 83 MB (HW1, HW2), 315 (HW3), 247 (HW4);
    # 512 beside a ~270 MB grader fits Gradescope's 768 MB, so a hoarder meets MemoryError there too.
    data_mb: int = 512
    processes: int = 64
    file_mb: int = 16
    disk_mb: int = 64
    open_files: int = 256
    budget_seconds: float = 240.0  # wall-clock seconds for the whole submission (Gradescope: 600)
    reply_mb: int = 256  # bytes decoded from the sandbox's replies over the whole submission

    @classmethod
    def from_mapping(cls, values):
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown sandbox setting(s): {', '.join(sorted(unknown))}")
        return cls(**values)


def _inside(path, folder):
    return path == folder or path.startswith(folder + os.sep)


def _around(path, hidden, split=None):
    """``path`` as a list of paths to allow: itself, or, when it holds a hidden folder, every entry
    that holds none (recursively), so an allowlist can grant a site-packages minus the kit. The
    folders it had to split are added to ``split``: they must stay listable (Python's importer
    lists a folder before it looks for a module in it), not readable."""
    if any(_inside(path, h) for h in hidden):
        return []
    if os.path.islink(path):
        # A link is allowed only whole (a Landlock rule follows it): not when its target is split.
        target = os.path.realpath(path)
        return [] if any(_inside(h, target) or _inside(target, h) for h in hidden) else [path]
    if not any(_inside(h, path) for h in hidden):
        return [path]
    if split is not None:
        split.append(path)
    around = []
    for entry in sorted(os.listdir(path)):
        around += _around(os.path.join(path, entry), hidden, split)
    return around


@functools.lru_cache(maxsize=8)
def _read_only_paths(roots, hidden):
    """SandboxSpec.read_only_paths for these package roots and the hidden folders among them."""
    keep, split = set(), []
    for folder in roots:
        keep.update(_around(folder, hidden, split))
    system = [p for p in SYSTEM_DIRS if os.path.lexists(p)]
    return system + sorted(keep - set(system)), sorted(set(split))


# Without RNNKIT_SANDBOX_USER, every sandbox runs as a uid of its own, outside the usual account
# ranges, made of the grading process's pid and a count of the sandboxes it started: sandboxes
# graded side by side (a batch, parallel tests) or one after the other in the same process can
# neither signal each other nor share a process limit, and each one's files are its own to count
# and remove.
OWN_UID_BASE, PIDS, PER_PROCESS = 2_000_000_000, 2_000_000, 1000
NOBODY = (65534, 65534)
_sandboxes_started = itertools.count()


def _sandbox_ids():
    """(uid, gid) the worker runs as when the grader is root; None keeps the grader's own.

    RNNKIT_SANDBOX_USER names an account to use instead (Gradescope's setup.sh creates one); set it
    to an empty string only where Python lives in a folder no other user can enter, and accept a
    weaker sandbox."""
    name = os.environ.get("RNNKIT_SANDBOX_USER")
    if name == "":
        return None
    if name is None:
        uid = OWN_UID_BASE + (os.getpid() % PIDS) * PER_PROCESS + next(_sandboxes_started) % PER_PROCESS
        return uid, uid
    try:
        entry = pwd.getpwnam(name)
        return entry.pw_uid, entry.pw_gid
    except KeyError:
        return NOBODY


# --- packages ---------------------------------------------------------------------------------

ALWAYS_ALLOWED = ("numpy",)  # the worker itself speaks numpy


def _requirement_closure(names):
    """The distributions ``names`` need, themselves included (extras left out)."""
    seen, todo = set(), [re.sub(r"[-_.]+", "-", n).lower() for n in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requirements = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for requirement in requirements:
            if "extra ==" not in requirement.replace('extra=="', 'extra == "'):
                todo.append(re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9._-]+", requirement).group()).lower())
    return seen


def package_dirs():
    """The folders this Python installs packages into (sys.path entries named site-packages or
    dist-packages, not the script's folder or the current directory)."""
    dirs = site.getsitepackages() + [p for p in sys.path if os.path.basename(p) in ("site-packages", "dist-packages")]
    return sorted({os.path.realpath(p) for p in dirs if os.path.isdir(p)})


@functools.lru_cache(maxsize=None)
def package_walls(allowed):
    """(paths, module names): every entry of this Python's package folders that does not belong
    to an ``allowed`` distribution or to what it requires, and the top-level names they provide.

    The sandbox cannot read those paths (namespaces, Landlock, or file modes set by setup.sh), so a
    numpy-only homework cannot use torch however the submission imports it."""
    keep = set()
    for name in _requirement_closure((*allowed, *ALWAYS_ALLOWED)):
        try:
            distribution = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        for file in distribution.files or []:
            if file.parts and file.parts[0] not in ("..", "__pycache__"):
                keep.add(os.path.realpath(distribution.locate_file(file.parts[0])))
    paths, names, folders = [], set(), package_dirs()
    for folder in folders:
        for entry in sorted(os.listdir(folder)):
            path = os.path.join(folder, entry)
            if path in keep or entry == "__pycache__":
                continue
            paths.append(path)
            if not entry.endswith((".dist-info", ".egg-info", ".data", ".pth", ".txt")):
                names.add(entry.split(".")[0])
    # The base installation's own package folders, off this Python's path but readable beneath it.
    base = Path(sys.base_prefix, "lib")
    for folder in (*base.glob("python3*/site-packages"), *base.glob("python3*/dist-packages")):
        if str(folder.resolve()) not in folders:
            paths.append(str(folder.resolve()))
    names -= set(sys.stdlib_module_names)
    return tuple(paths), tuple(sorted(n for n in names if n.isidentifier()))


@dataclass
class SandboxSpec:
    """Everything needed to start a worker for one submission."""

    submission_dir: Path
    module: str
    hidden: list  # folders the worker must never see (graders, solutions, results)
    limits: Limits = field(default_factory=Limits)
    secrets: list = None  # of those, the ones whose reading would leak answers (default: all)
    packages: tuple = None  # the installed packages student code may use (None: all of them)
    namespaces: bool = True  # try mount/network/PID namespaces (needs root)
    allow_unsafe: bool = False  # grade even when the sandbox can read hidden files (instructor's call)

    def read_only_paths(self):
        """(readable, listable): system folders plus the folders this Python and its packages live
        in, minus the hidden folders (a checkout on sys.path, or the kit installed in
        site-packages, holds the graders) and the packages the homework does not allow; and the
        folders split around them, whose entries may be listed but not read."""
        python_dirs = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
        python_dirs.add(os.path.dirname(os.path.realpath(sys.executable)))
        # Package folders only: other sys.path entries (the script's folder, the current
        # directory) could be anything, such as the checkout itself.
        python_dirs.update([*package_dirs(), site.getusersitepackages()])
        hidden = [os.path.realpath(h) for h in self.hidden] + list(self.package_walls()[0])
        roots = tuple(sorted({os.path.realpath(p) for p in python_dirs if os.path.isdir(p)}))
        # Only hidden folders inside or around those roots change the answer (a results folder
        # elsewhere does not): a process that grades many submissions walks the tree once.
        relevant = tuple(sorted({h for h in hidden for r in roots if _inside(h, r) or _inside(r, h)}))
        return _read_only_paths(roots, relevant)

    def package_walls(self):
        """(package entries the sandbox may not read, module names it may not import)."""
        return ((), ()) if self.packages is None else package_walls(tuple(self.packages))

    def secret_samples(self, per_folder=10):
        """A few files (and the folders) of each hidden folder: the jail checks it cannot read them."""
        samples = []
        for folder in self.hidden if self.secrets is None else self.secrets:
            if not os.path.isdir(folder):
                continue
            samples.append(str(folder))
            files = []
            for parent, dirs, names in os.walk(folder):
                dirs.sort()
                files += [os.path.join(parent, n) for n in sorted(names)]
                if len(files) >= per_folder:
                    break
            samples += files[:per_folder]
        return samples


# --- processes ------------------------------------------------------------------------------

PR_SET_CHILD_SUBREAPER = 36
_libc = ctypes.CDLL(None, use_errno=True)
_live_workers = set()  # pids of this process's running workers; everything else below it is debris


def _process_table():
    """{pid: (parent pid, state)} of every process this one can see."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stat_file:
                stat = stat_file.read()
        except OSError:
            continue  # it just ended
        state, parent = stat[stat.rfind(b")") + 2 :].split()[:2]
        table[int(name)] = (int(parent), state)
    return table


def ancestors(pid):
    """``pid`` and the processes above it, up to (not including) init."""
    table, chain = _process_table(), []
    while pid > 1 and pid not in chain:
        chain.append(pid)
        pid = table.get(pid, (0, b""))[0]
    return chain


def kill_leftovers(keep=(), rounds=300):
    """Kill and reap every descendant of this process outside the subtrees of ``keep``.

    This process is a child subreaper (set when the first worker starts), so whatever a worker
    started, double-forked ``setsid`` daemons included, is reparented here when its parent dies
    and cannot escape. Repeated until nothing is left, for processes that were forking."""
    me = os.getpid()
    for _ in range(rounds):
        table = _process_table()
        children = {}
        for pid, (parent, _) in table.items():
            children.setdefault(parent, []).append(pid)
        doomed, stack = [], [pid for pid in children.get(me, []) if pid not in keep]
        while stack:
            pid = stack.pop()
            doomed.append(pid)
            stack += children.get(pid, [])
        if not doomed:
            return
        for pid in doomed:
            if table[pid][1] != b"Z":
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        for pid in children.get(me, []):
            if pid not in keep:
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
        time.sleep(0.005)


# --- disk --------------------------------------------------------------------------------------

SHARED_TMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")
DISK_CHECK_SECONDS = 0.1
MAX_DISK_ENTRIES = 20_000


class DiskLimitExceeded(Exception):
    pass


def _usage(path, budget):
    """(bytes allocated, entries) under ``path``, without following links; stops past ``budget`` entries."""
    used, entries, stack = 0, 0, [path]
    while stack and entries <= budget:
        try:
            with os.scandir(stack.pop()) as listing:
                for entry in listing:
                    entries += 1
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    used += info.st_blocks * 512
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
        except OSError:
            continue
    return used, entries


def _usage_of_file(path):
    try:
        return os.lstat(path).st_blocks * 512
    except OSError:
        return 0


def _entries_owned_by(uid):
    """What the sandbox user left in the machine's shared temporary folders (``/tmp``,
    ``/dev/shm``...): at their top, and at the top of the folders there that anyone may write in
    (``/tmp/.X11-unix``, a ``/dev/shm`` folder left open by another program)."""
    found, folders = [], list(SHARED_TMP_DIRS)
    while folders:
        folder = folders.pop(0)
        try:
            with os.scandir(folder) as listing:
                for entry in listing:
                    info = entry.stat(follow_symlinks=False)
                    if info.st_uid == uid:
                        found.append(entry.path)
                    elif folder in SHARED_TMP_DIRS and entry.is_dir(follow_symlinks=False) and info.st_mode & 0o002:
                        folders.append(entry.path)
        except OSError:
            continue
    return found


# --- what a sandbox's uid leaves behind ----------------------------------------------------------

_stage_holder_path = None


def _stage_holder():
    """The folder this process stages sandboxes in: its own, mode 0711, so that no sandbox can list
    it to find another one's stage (each stage's submission and temporary folders are 0700 and
    owned by their own sandbox's uid besides)."""
    global _stage_holder_path
    if _stage_holder_path is None or not os.path.isdir(_stage_holder_path):
        _stage_holder_path = tempfile.mkdtemp(prefix="rnnkit-stages-")
        os.chmod(_stage_holder_path, 0o711)
        atexit.register(_remove_stage_holder, _stage_holder_path)
    return _stage_holder_path


def _remove_stage_holder(path):
    try:
        os.rmdir(path)  # empty unless a worker is still running: then its own kill() removes it
    except OSError:
        pass


IPC_RMID = 0
_REMOVE_IPC = """
import ctypes, json, sys
libc = ctypes.CDLL(None, use_errno=True)
for kind, ident in json.loads(sys.argv[1]):
    if kind == "shm":
        libc.shmctl(ident, 0, None)
    elif kind == "sem":
        libc.semctl(ident, 0, 0)
    else:
        libc.msgctl(ident, 0, None)
"""


def sysv_ipc_of(uid):
    """[(kind, id)]: the System V shared memory segments, semaphore sets and message queues that
    ``uid`` owns or created, from /proc/sysvipc (in this process's IPC namespace)."""
    found = []
    for kind in ("shm", "sem", "msg"):
        try:
            with open(f"/proc/sysvipc/{kind}") as table:
                lines = table.read().splitlines()
        except OSError:
            continue
        if not lines:
            continue
        header = lines[0].split()
        try:
            columns = [header.index("uid"), header.index("cuid")]
        except ValueError:
            continue
        for line in lines[1:]:
            fields = line.split()
            try:
                if uid in (int(fields[columns[0]]), int(fields[columns[1]])):
                    found.append((kind, int(fields[1])))
            except (IndexError, ValueError):
                continue
    return found


def remove_sysv_ipc_of(uid):
    """Remove every System V IPC object of ``uid`` (the seccomp filter refuses to create them; this
    is for a kernel or architecture without the filter). A segment left behind would hold its
    memory after the sandbox ended, at the next submission's expense. Root without CAP_SYS_ADMIN
    (Docker) may remove only objects it owns: those are removed by a short-lived process running
    as ``uid``."""
    refused = []
    for kind, ident in sysv_ipc_of(uid):
        if kind == "shm":
            result = _libc.shmctl(ident, IPC_RMID, None)
        elif kind == "sem":
            result = _libc.semctl(ident, 0, IPC_RMID)
        else:
            result = _libc.msgctl(ident, IPC_RMID, None)
        if result != 0 and ctypes.get_errno() == errno.EPERM:
            refused.append((kind, ident))
    if refused and os.geteuid() == 0 and uid != 0:
        try:
            subprocess.run(
                [sys.executable, "-I", "-S", "-c", _REMOVE_IPC, json.dumps(refused)],
                user=uid, group=uid, extra_groups=[], env={}, cwd="/", timeout=30,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        except (OSError, subprocess.SubprocessError):
            pass
    return sysv_ipc_of(uid)


class ReplyTooLarge(Exception):
    """A reply bigger than what is left of the submission's reply budget (or the call's own cap);
    it was read and dropped, not decoded."""

    def __init__(self, size):
        super().__init__(size)
        self.size = size


class Worker:
    """One running sandbox process, with its pipes."""

    def __init__(self, spec):
        self.spec = spec
        _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        self.last_reply_cost = 0  # what the last reply costs against the reply budget
        self.stage = Path(tempfile.mkdtemp(prefix="rnnkit-sandbox-", dir=_stage_holder()))
        self.stage.chmod(0o711)
        worker_dir = self.stage / "worker"
        worker_dir.mkdir(mode=0o755)
        for name in ("worker.py", "protocol.py"):
            shutil.copy(HERE / name, worker_dir / name)
            (worker_dir / name).chmod(0o644)
        shutil.copytree(spec.submission_dir, self.stage / "submission", symlinks=True)
        (self.stage / "tmp").mkdir()
        (self.stage / "root").mkdir(mode=0o700)
        # The sandbox's own folders: for its uid only (the jail hands them over), never readable by
        # another sandbox that learnt the path (from /proc/PID/cmdline, say).
        for folder in ("submission", "tmp"):
            (self.stage / folder).chmod(0o700)
        self.stderr = tempfile.TemporaryFile()
        self.user = _sandbox_ids() if os.geteuid() == 0 else None
        self.watch_shared_tmp = False
        read_only, listable = spec.read_only_paths()
        status_read, status_write = os.pipe()
        config = {
            "namespaces": spec.namespaces and os.geteuid() == 0,
            "python": sys.executable,
            "module": spec.module,
            "worker_dir": str(worker_dir),
            "submission_dir": str(self.stage / "submission"),
            "tmp_dir": str(self.stage / "tmp"),
            "root_dir": str(self.stage / "root"),
            "read_only": read_only,
            "listable": listable,
            "hidden": [str(p) for p in spec.hidden],
            "secrets": spec.secret_samples(),
            "refused_modules": list(spec.package_walls()[1]),
            "allowed_packages": list(spec.packages or []),
            "blocked_samples": _package_samples(spec.package_walls()[0]),
            "protected_pids": ancestors(os.getpid()),
            "user": self.user,
            "fallback_user": NOBODY,  # where the uid above cannot exist (a user-namespaced container)
            "status_fd": status_write,
            "disk_mb": spec.limits.disk_mb,
            "limits": {
                key: getattr(spec.limits, key)
                for key in ("cpu_seconds", "memory_mb", "data_mb", "processes", "file_mb", "open_files")
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
        _live_workers.add(self.process.pid)
        os.close(status_write)
        with os.fdopen(status_read) as status:
            text = status.read()  # EOF once the jail has exec'd the worker (or died)
        if not text:
            detail = self.stderr_tail()
            self.kill()
            raise SandboxUnavailable(f"the sandbox could not start:\n{detail}")
        status = json.loads(text)
        self.layers = status["layers"]
        if self.user is not None:
            self.user = (status["uid"], status["uid"])  # the jail may have fallen back to nobody
        if status["readable"] and not spec.allow_unsafe:
            self.kill()
            raise SandboxUnavailable(
                "refusing to grade: the sandbox could read files it must never see ("
                + ", ".join(status["readable"])
                + "). On this machine neither namespaces, Landlock nor file permissions hide them. "
                "Make the kit's folders unreadable to the sandbox user (the Gradescope zip's setup.sh "
                "does), or pass --allow-unsafe to grade anyway (see README)."
            )
        # Where nothing else confines its writes, the sandbox user may also fill the shared
        # temporary folders: count those files against its disk budget too.
        self.watch_shared_tmp = self.user is not None and not any(
            layer == "namespaces" or layer.startswith("landlock") for layer in self.layers
        )

    def send(self, message):
        frame = protocol.encode_frame(message)
        self.process.stdin.write(frame)
        self.process.stdin.flush()

    def receive(self, timeout, max_bytes=None):
        """Next reply, or raise TimeoutError / EOFError (the worker died) / ProtocolError /
        DiskLimitExceeded / ReplyTooLarge (it would cost more than ``max_bytes``: it is read and
        dropped, and the worker can be called again). ``last_reply_cost`` says what it cost."""
        deadline = time.monotonic() + timeout
        header = self._read(protocol.HEADER_SIZE, deadline)
        length = protocol.frame_length(header)
        if max_bytes is not None and length > max_bytes:
            self._skip(length, deadline)
            self.check_disk()
            raise ReplyTooLarge(length)
        payload = self._read(length, deadline)
        self.last_reply_cost = protocol.payload_cost(payload)
        if max_bytes is not None and self.last_reply_cost > max_bytes:
            self.check_disk()
            raise ReplyTooLarge(self.last_reply_cost)
        message = protocol.decode_payload(payload)
        self.check_disk()
        return message

    def _skip(self, size, deadline):
        """Read and drop ``size`` bytes, a chunk at a time."""
        while size:
            chunk = min(size, 1 << 20)
            self._read(chunk, deadline)
            size -= chunk

    def _read(self, size, deadline):
        data, got = bytearray(size), 0
        view = memoryview(data)
        fd = self.process.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while got < size:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                if not selector.select(min(remaining, DISK_CHECK_SECONDS)):
                    self.check_disk()  # a long call: is it filling the disk?
                    continue
                chunk = os.read(fd, min(size - got, 1 << 20))
                if not chunk:
                    raise EOFError
                view[got : got + len(chunk)] = chunk
                got += len(chunk)
        return bytes(data)

    def disk_used(self):
        budget = MAX_DISK_ENTRIES
        used = 0
        roots = [self.stage / "submission", self.stage / "tmp"]
        if self.watch_shared_tmp:
            roots += _entries_owned_by(self.user[0])
        for root in roots:
            if os.path.isdir(root) and not os.path.islink(root):
                size, entries = _usage(root, budget)
            else:
                size, entries = _usage_of_file(root), 1
            used += size
            budget -= entries
            if budget < 0:
                return float("inf")
        return used

    def check_disk(self):
        if self.disk_used() > self.spec.limits.disk_mb * 1024 * 1024:
            raise DiskLimitExceeded

    def stderr_tail(self, limit=1500):
        """The last of what the worker printed, without what a library says about the sandbox
        itself (torch cannot read /proc/cpuinfo in a container): the student's own output."""
        self.stderr.seek(0, os.SEEK_END)
        size = self.stderr.tell()
        self.stderr.seek(max(0, size - limit))
        lines = self.stderr.read().decode("utf-8", "replace").splitlines()
        return "\n".join(line for line in lines if not _SANDBOX_NOISE.match(line)).strip()

    def exit_description(self):
        try:
            code = self.process.wait(timeout=1)
        except subprocess.TimeoutExpired:  # it closed its end of the pipe but lives on
            return "it closed its connection to the grader"
        if code >= 0:
            return f"exit code {code}"
        if -code == signal.SIGXCPU or -code == signal.SIGKILL:
            return (
                f"killed by {signal.Signals(-code).name} (out of CPU time or memory: limits are "
                f"{self.spec.limits.cpu_seconds} CPU s and {self.spec.limits.data_mb} MB of memory)"
            )
        return f"killed by {signal.Signals(-code).name}"

    def kill(self):
        """End the worker and every process it started; remove its files."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()
        _live_workers.discard(self.process.pid)
        kill_leftovers(keep=_live_workers)
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.stderr.close()
        if self.watch_shared_tmp:
            for path in _entries_owned_by(self.user[0]):
                _remove(path)
        if self.user is not None and self.user[0] != os.geteuid() and "namespaces" not in getattr(self, "layers", ()):
            # Outside an IPC namespace of its own; its processes are gone, so nothing is attached.
            remove_sysv_ipc_of(self.user[0])
        shutil.rmtree(self.stage, ignore_errors=True)


def _package_samples(paths, count=5):
    """A few files of the packages the sandbox may not read: the jail checks it cannot."""
    samples = []
    for path in paths:
        if os.path.isfile(path):
            samples.append(path)
        elif os.path.isfile(os.path.join(path, "__init__.py")):
            samples.append(os.path.join(path, "__init__.py"))
        if len(samples) >= count:
            break
    return samples


def _remove(path):
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
    except OSError:
        pass


class SandboxStudent:
    """The ``student`` fixture in the grading process: a proxy to the submission's module."""

    _reply_bytes = 0  # what the replies decoded so far cost, against Limits.reply_mb

    def __init__(self, spec, started=None):
        """``started``: when the submission's grading began (time.monotonic()), if earlier than
        now: reading a notebook counts in the submission's time budget too."""
        self._spec = spec
        self._worker = None
        self._fatal = None  # a message every later call repeats (import failed, too many crashes)
        self._given_up = {}  # function name -> message: it hung, or crashed too often; not called again
        self._failures = {}  # function name -> crashes and unreadable replies so far
        self._pending = None  # a worker launched by prestart() whose hello is not read yet
        self._unavailable = None  # the kit's own failure to start a sandbox, repeated every call
        self._generation = 0  # workers started so far: a kept object lives only as long as its worker
        self._deadline = None if spec is None else (started or time.monotonic()) + spec.limits.budget_seconds
        self.layers = []
        self.import_failure = None  # the full message when the submission did not import
        self._import_retried = False  # a silent crash at import is tried once more
        self.import_notes = None  # what went wrong while it imported, short of failing (a notebook's cells)

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

    def call_capped(self, name, max_bytes, *args, **kwargs):
        """Call ``name`` for a small result (a scalar, a short string): a reply bigger than
        ``max_bytes`` fails the test instead of being decoded."""
        return self._call(name, args, kwargs, max_bytes=max_bytes)["value"]

    def call_with_warnings(self, name, *args, **kwargs):
        """Call ``name``; return ``(result, warnings)``, the warnings it raised as "Category: message"."""
        reply = self._call(name, args, kwargs, record_warnings=True)
        return reply["value"], reply["warnings"]

    def make(self, name, *args, **kwargs):
        """Call ``name`` (a class, or a function that builds something) and keep what it returns in
        the sandbox; return a ``StudentObject`` handle to it (see rnnkit_testing)."""
        reply = self._call(name, args, kwargs, keep=True)
        generation = self._generation

        def call(method, method_args, method_kwargs):
            if self._generation != generation:
                raise SubmissionFailed(
                    f"the {reply['type']} made by `{name}` was lost when the sandbox restarted after an "
                    "earlier failure, so this test cannot use it"
                )
            return self._call(method, method_args, method_kwargs, handle=reply["handle"], label=f"{name}.{method}")["value"]

        return StudentObject(call, reply["type"], handle=reply["handle"])

    def close(self):
        for worker in (self._worker, self._pending):
            if worker is not None:
                worker.kill()
        self._worker = self._pending = None
        kill_leftovers(keep=_live_workers)

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
        try:
            worker = Worker(self._spec)
        except SandboxUnavailable as error:
            self._unavailable = error  # it will not start on a retry either
            raise
        self.layers = worker.layers
        return worker

    def _time_for(self, limit):
        """(seconds this wait may take, whether the budget rather than ``limit`` decides)."""
        left = self._deadline - time.monotonic()
        if left <= 0:
            self._out_of_time()
        return min(limit, left), left < limit

    def _out_of_time(self, name=None):
        budget = f"{self._spec.limits.budget_seconds:g} s"
        stopped = (f"`{name}` was still running when " if name else "") + (
            f"your submission used up its grading time budget of {budget}"
        )
        self._fatal = f"{stopped} (calls that hang or are far too slow); the remaining tests were not run"
        self.close()
        raise SubmissionStopped(self._fatal)

    def _start(self):
        self._generation += 1
        module = f"{self._spec.module}.py"
        brief = None  # one line for each test, when the import fails with the student's own error
        timeout, by_budget = self._time_for(self._spec.limits.import_timeout)
        worker, self._pending = self._pending or self._launch(), None
        try:
            hello = worker.receive(timeout)
        except TimeoutError:
            if by_budget:
                worker.kill()
                self._out_of_time()
            self._fatal = f"importing {module} did not finish within {self._spec.limits.import_timeout:g} s"
        except DiskLimitExceeded:
            self._fatal = f"importing {module} wrote more than {self._spec.limits.disk_mb} MB to disk"
        except protocol.ProtocolError as error:
            self._fatal = f"importing {module} sent back an unreadable reply ({error})"
        except EOFError:
            tail, description = worker.stderr_tail(), worker.exit_description()
            if not tail and not self._import_retried:
                # Python died without a word: a student's os._exit, or (seen once on a loaded
                # machine) a start that failed for no reason of theirs. One more try tells them apart.
                self._import_retried = True
                worker.kill()
                return self._start()
            self._fatal = f"importing {module} crashed Python ({description})"
            if self._import_retried:
                self._fatal += (
                    ", twice in a row and with no output at all: something the file runs when it is "
                    "imported (its code outside functions) exits or crashes Python"
                )
            if tail:
                self._fatal += f"\n\nLast output:\n{tail}"
        else:
            if hello.get("op") == "ready":
                self._worker = worker
                notes = hello.get("notes")
                if isinstance(notes, list) and self.import_notes is None:  # a notebook's broken cells
                    self.import_notes = [str(note)[:300] for note in notes[:20]]
                return
            if hello.get("op") == "import_error":
                error = str(hello.get("message"))[:2000]
                self._fatal = f"{module} could not be imported: {error}"
                trace = str(hello.get("traceback", "")).rstrip()[:4000]
                if trace:
                    self._fatal += f"\n\nWhere (your code, most recent call last):\n{trace}"
                cause = next((line for line in reversed(error.splitlines()) if line.strip()), "")
                brief = f"{module} could not be imported ({cause.strip()[:300]})"
            else:
                self._fatal = f"importing {module} produced an unexpected reply"
        worker.kill()
        # The whole story once, at the top of the results; each test says why it could not run.
        self.import_failure = self._fatal
        brief = brief or self._fatal.splitlines()[0]
        self._fatal = f"{brief}, so this test could not run; the full message is at the top"
        raise SubmissionStopped(self._fatal)

    def _call(self, name, args, kwargs, return_inputs=False, record_warnings=False, keep=False,
              handle=None, label=None, max_bytes=None):
        """One call in the sandbox: of the function ``name``, or of the method ``name`` of the kept
        object ``handle``; ``keep`` keeps the result there. Failures are counted per ``label``
        (the function's name, or "Maker.method"). A reply costing more than what is left of the
        submission's reply budget, or than ``max_bytes``, fails the call undecoded."""
        if self._unavailable:
            raise self._unavailable
        if self._fatal:
            raise SubmissionStopped(self._fatal)
        label = label or name
        if label in self._given_up:
            raise SubmissionFailed(self._given_up[label])
        if self._worker is None:
            self._start()
        worker = self._worker
        request = {
            "op": "call",
            "name": name,
            "args": protocol.to_plain(list(args), tensors=True),
            "kwargs": protocol.to_plain(dict(kwargs), tensors=True),
            "return_inputs": return_inputs,
            "record_warnings": record_warnings,
        }
        if keep:
            request["keep"] = True
        if handle is not None:
            request["handle"] = handle
        name = label
        timeout, by_budget = self._time_for(self._spec.limits.call_timeout)
        budget = self._spec.limits.reply_mb * 1024 * 1024
        allowed = budget - self._reply_bytes if max_bytes is None else min(max_bytes, budget - self._reply_bytes)
        try:
            worker.send(request)
            reply = worker.receive(timeout, max(0, allowed))
        except ReplyTooLarge as error:
            raise self._too_large(name, error.size, max_bytes) from None
        except TimeoutError:
            self._stop_worker()
            if by_budget:
                self._out_of_time(name)
            self._given_up[name] = (
                f"`{name}` did not return within {self._spec.limits.call_timeout:g} s "
                "(an infinite loop, or far too slow); it is not called again"
            )
            raise SubmissionFailed(self._given_up[name]) from None
        except DiskLimitExceeded:
            raise self._failed(
                name,
                f"`{name}` wrote more than {self._spec.limits.disk_mb} MB to disk (its folder, its "
                "temporary folder and the shared temporary folders count together)",
            ) from None
        except protocol.ProtocolError as error:  # the worker is alive but cannot be trusted: no waiting
            raise self._failed(name, f"`{name}` sent back an unreadable reply ({error})") from None
        except (EOFError, BrokenPipeError):
            message = f"your code crashed Python while running `{name}` ({worker.exit_description()})"
            tail = worker.stderr_tail()
            raise self._failed(name, message, tail) from None
        self._reply_bytes += worker.last_reply_cost
        return self._decode(name, reply, return_inputs, record_warnings)

    def _too_large(self, name, size, max_bytes):
        """The failure of a reply that did not fit (it was dropped unread; the worker lives on)."""
        mb = self._spec.limits.reply_mb
        if max_bytes is not None and size > max_bytes:
            return SubmissionFailed(
                f"`{name}` sent back {size:,} bytes where a small value (at most {max_bytes:,} bytes) "
                "was expected; return only what the function is asked for"
            )
        return SubmissionFailed(
            f"`{name}` sent back {size / 2**20:.1f} MB, more than is left of the {mb} MB your "
            "submission's results may take in all over the grading (the grader keeps them to check "
            "them); this test fails, and so will any later test whose results no longer fit. Return "
            "only what each function is asked for, with no extra copies or oversized arrays"
        )

    def _failed(self, name, message, output=""):
        """Stop the worker after a crash or a forged reply of ``name``; after MAX_FAILURES of them
        ``name`` is not called again (each costs a restart), and the other functions keep theirs."""
        self._stop_worker()
        self._failures[name] = self._failures.get(name, 0) + 1
        if self._failures[name] >= MAX_FAILURES:
            self._given_up[name] = f"{message}\n\nThis happened {MAX_FAILURES} times, so `{name}` is not called again."
        return SubmissionFailed(message + (f"\n\nLast output:\n{output}" if output else ""))

    def _decode(self, name, reply, return_inputs, record_warnings):
        """The reply as {"value", and "args" and "kwargs" or "warnings" when asked for}."""
        op = reply.get("op")
        try:
            if op == "result":
                decoded = {"value": protocol.decode_value(reply.get("value"))}
                if "handle" in reply:  # a kept object: its number there, and its type's name
                    if not isinstance(reply["handle"], int) or isinstance(reply["handle"], bool):
                        raise protocol.ProtocolError("malformed handle")
                    decoded.update(handle=reply["handle"], type=str(reply.get("type", ""))[:200])
                if return_inputs:
                    decoded["args"] = tuple(protocol.decode_value(reply["args"]))
                    decoded["kwargs"] = protocol.decode_value(reply["kwargs"])
                if record_warnings:
                    decoded["warnings"] = [str(w)[:300] for w in reply["warnings"][: protocol.MAX_WARNINGS]]
                return decoded
            if op == "error":
                type_names = [str(n)[:200] for n in reply.get("type_names", [])[:20]]
                message = str(reply.get("message", ""))[:2000]
                raise StudentCodeError(
                    f"`{name}` raised {message}", type_names, str(reply.get("traceback", ""))[:4000]
                )
            if op == "missing":
                raise SubmissionFailed(f"{self._spec.module}.py has no function named `{name}`")
            if op == "protocol_error":
                raise SubmissionFailed(
                    f"`{name}` returned a value that cannot be sent back "
                    f"({str(reply.get('message', ''))[:300]}); return numpy arrays, numbers, tuples or lists"
                )
        except (StudentCodeError, SubmissionFailed):
            raise
        except Exception as error:  # noqa: BLE001 - whatever the reply holds, it is the submission's fault
            detail = str(error) if isinstance(error, protocol.ProtocolError) else type(error).__name__
            raise self._failed(name, f"`{name}` sent back an unreadable reply ({detail})") from None
        raise self._failed(name, f"`{name}` sent back an unexpected reply")

    def _stop_worker(self):
        if self._worker is not None:
            self._worker.kill()
            self._worker = None
