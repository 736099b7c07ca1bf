"""Build the sandbox around the worker, then become it (``execve``, or in place in a zygote's child).

Run as ``python -I -S jail.py SETTINGS_JSON`` by ``launch.py``, the settings being a
``settings.JailSettings``, checked here before anything else; or imported by ``zygote.py``, whose
children call ``confine`` and then become the worker without exec'ing it. Standard library only, because it
runs before anything else is set up. It applies every layer this machine allows and reports which
ones it applied on a status pipe before the student's code ever runs:

* ``namespaces`` (root with CAP_SYS_ADMIN): new mount, network, PID, IPC and UTS namespaces. The
  file system the worker sees is a fresh size-limited tmpfs holding only read-only binds of the
  system and Python directories plus its own copy of the submission; the kit's checkout, the
  graders, the solutions and the results folder do not exist there. No network interface is up.
  The worker is PID 1 of its namespace: when it dies, every process it started dies with it.
* ``unprivileged-user`` (root): the worker runs as an unprivileged uid/gid with no groups, so it
  cannot signal the grader or write the grader's files.
* ``landlock`` (Linux 5.13+): a kernel-enforced allowlist of paths (see ``landlock.py``).
* ``seccomp`` (Linux, no privilege needed): no sockets at all, no ptrace, no signals to the grader
  or its ancestors, no new namespaces or mounts (see ``seccomp.py``). This is the layer that closes
  the network and protects the grader where Landlock is missing.
* ``rlimits`` (always): CPU seconds, address space, writable memory, processes, file size, open files, no core dumps.

Then, as the worker-to-be, it checks the walls instead of trusting them: it tries to read a sample
of the files that must stay hidden and to open a socket, and reports what it could reach
(``files-hidden`` / ``network-closed``, or what is exposed). The grader refuses to grade when a
hidden file was readable, unless the instructor allowed it.
"""

import ctypes
import dataclasses
import json
import os
import resource
import shutil
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # python -I leaves it out
import landlock  # noqa: E402
import seccomp  # noqa: E402
from settings import JailSettings  # noqa: E402

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
WORKER_DIR, SUBMISSION_DIR = "/opt/rnnkit-worker", "/submission"
DEVICES = ("/dev/null", "/dev/zero", "/dev/random", "/dev/urandom")

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


_check = landlock.check


def _mount(source, target, fstype, flags, data=None):
    _check(
        _libc.mount(
            None if source is None else source.encode(),
            target.encode(),
            None if fstype is None else fstype.encode(),
            ctypes.c_ulong(flags),
            None if data is None else data.encode(),
        ),
        f"mount {target}",
    )


# --- namespaces and the private root ---------------------------------------------------------


def _bind_read_only(path, new_root, device=False):
    """Make ``path`` appear read-only at the same place inside ``new_root``."""
    target = new_root + path
    if os.path.islink(path):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.lexists(target):
            os.symlink(os.readlink(path), target)
        return
    if os.path.isdir(path):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()
    _mount(path, target, None, MS_BIND | MS_REC)
    flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | (0 if device else MS_NODEV)
    _mount(None, target, None, flags)


def _build_root(settings, new_root):
    _mount("tmpfs", new_root, "tmpfs", MS_NOSUID | MS_NODEV, f"size={settings.disk_mb}m,mode=755")
    for path in settings.read_only:
        _bind_read_only(path, new_root)
    for path in settings.hidden:
        # Graders or solutions that happen to lie inside a bound folder are covered by an empty,
        # read-only tmpfs.
        if os.path.isdir(new_root + path):
            _mount("tmpfs", new_root + path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k")
    for device in DEVICES:
        if os.path.exists(device):
            _bind_read_only(device, new_root, device=True)
    os.makedirs(new_root + "/proc", exist_ok=True)
    _mount("proc", new_root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    # exist_ok: a Python installed under /tmp (a CI checkout's virtualenv) was bound there above.
    os.makedirs(new_root + "/tmp", exist_ok=True)
    os.chmod(new_root + "/tmp", 0o1777)
    shutil.copytree(settings.worker_dir, new_root + WORKER_DIR)
    shutil.copytree(settings.submission_dir, new_root + SUBMISSION_DIR, symlinks=False)


def _wait_and_pass_on(pid, status_fd):
    """Let go of the pipes (so the grader sees EOF when the worker dies), wait, and end the same
    way the worker did."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(status_fd)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
        os.kill(os.getpid(), os.WTERMSIG(status))
    return os.waitstatus_to_exitcode(status)


def _enter_namespaces(settings):
    """Unshare, fork; the child continues as PID 1 of the new namespaces inside the new root.

    The parent stays outside only to wait and to pass on the child's exit status."""
    _check(
        _libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS),
        "unshare",
    )
    new_root = settings.root_dir  # an empty folder the grader made and will remove
    pid = os.fork()
    if pid:
        os._exit(_wait_and_pass_on(pid, settings.status_fd))
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _build_root(settings, new_root)
    os.chroot(new_root)
    os.chdir("/")
    return {"worker_dir": WORKER_DIR, "submission_dir": SUBMISSION_DIR, "tmp_dir": "/tmp",
            "read_only": ["/"], "listable": []}


# --- the rest ------------------------------------------------------------------------------


def _tasks_of(uid):
    """Threads and processes this uid runs now: RLIMIT_NPROC counts them all, per user."""
    count = 0
    for name in os.listdir("/proc"):
        try:
            if name.isdigit() and os.stat(f"/proc/{name}").st_uid == uid:
                count += len(os.listdir(f"/proc/{name}/task"))
        except OSError:
            continue
    return count


def _set_limits(limits, own_user, running):
    """``own_user``: the sandbox has a user to itself, so the process limit is the homework's;
    otherwise it is what the grader's user already runs (``running``) plus the homework's, so a
    fork bomb stays bounded without starving the user's other programs."""
    mib = 1024 * 1024
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * mib,) * 2)
    # Heap and private mappings, the memory a process really fills: the address space alone
    # cannot bound it, since torch reserves hundreds of MB it never touches.
    resource.setrlimit(resource.RLIMIT_DATA, (limits.data_mb * mib,) * 2)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb * mib,) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files,) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    processes = limits.processes + (0 if own_user else running)
    if own_user or os.getuid() != 0:  # root ignores RLIMIT_NPROC anyway
        resource.setrlimit(resource.RLIMIT_NPROC, (processes,) * 2)


def _drop_privileges(uid, gid, submission_dir, tmp_dir):
    """Hand the worker its own copy of the submission and its temporary folder, then become it.

    Only the top of tmp_dir changes owner: inside the jail, /tmp may also hold read-only binds
    (a virtualenv under /tmp)."""
    for folder, _, files in os.walk(submission_dir):
        for name in [folder, *(os.path.join(folder, f) for f in files)]:
            os.chown(name, uid, gid, follow_symlinks=False)
    os.chown(tmp_dir, uid, gid)
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)


def _probe_walls(secrets):
    """What this process can still reach: hidden files it can read, and whether it can open a socket."""
    readable = []
    for path in secrets:
        try:
            if os.path.isdir(path):
                os.listdir(path)
            else:
                os.close(os.open(path, os.O_RDONLY))
            readable.append(path)
        except OSError:
            pass
    socket_fd = _libc.socket(2, 2, 0)  # AF_INET, SOCK_DGRAM
    network = socket_fd >= 0
    if network:
        os.close(socket_fd)
    return readable, network


def confine(settings, forked=False):
    """Apply every layer to this process and report them; return (environment, worker script,
    worker settings) for the worker to start with. ``forked``: this process is a child of the
    zygote (``zygote.py``), which becomes the worker in place instead of exec'ing it."""
    layers = []
    paths = {key: getattr(settings, key) for key in ("worker_dir", "submission_dir", "tmp_dir", "read_only", "listable")}
    namespaces = settings.namespaces
    if namespaces:
        try:
            paths = _enter_namespaces(settings)
            layers.append("namespaces")
        except OSError as error:  # e.g. a container without CAP_SYS_ADMIN: carry on with the rest
            if error.errno is None or "unshare" not in str(error):
                raise
            namespaces = False
    as_root = os.geteuid() == 0
    drop = as_root and settings.user is not None
    try:
        with open("/proc/self/oom_score_adj", "w") as oom:
            oom.write("1000")  # under memory pressure the kernel kills the sandbox first
    except OSError:
        pass
    if drop:
        uid, gid = settings.user
        try:
            _drop_privileges(uid, gid, paths["submission_dir"], paths["tmp_dir"])
        except OSError as error:  # EINVAL: a uid outside this user namespace's mapping
            if error.errno != 22:
                raise
            uid, gid = settings.fallback_user
            _drop_privileges(uid, gid, paths["submission_dir"], paths["tmp_dir"])
        if not os.access(settings.python, os.X_OK):
            raise PermissionError(
                f"the sandbox user (uid {uid}) cannot run {settings.python}: install Python in a "
                "folder every user can enter, or see README (RNNKIT_SANDBOX_USER)"
            )
        layers.append("unprivileged-user")
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl no_new_privs")
    if namespaces or forked:
        # Credentials changed, which clears the parent-death signal: set it again (a zygote's
        # child dies with the zygote, as PID 1 of a namespace dies with the process outside).
        _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
    running = 0 if drop else _tasks_of(os.getuid())  # before Landlock hides /proc's other entries
    abi = landlock.apply(
        paths["read_only"] + [paths["worker_dir"]], [paths["submission_dir"], paths["tmp_dir"]],
        paths["listable"], DEVICES,
    )
    if abi:
        layers.append(f"landlock-abi{abi}")
    try:
        seccomp.sandbox_filter(settings.protected_pids)
        layers.append("seccomp")
    except seccomp.Unsupported:
        pass  # reported below: the probe finds the network open
    _set_limits(settings.limits, own_user=drop, running=running)
    layers.append("rlimits")
    readable, network = _probe_walls(settings.secrets)
    layers.append("UNSAFE:hidden-files-readable" if readable else "files-hidden")
    layers.append("UNSAFE:network-open" if network else "network-closed")
    if settings.blocked_samples:  # a homework that allows only some packages: are the others hidden?
        others, _ = _probe_walls(settings.blocked_samples)
        layers.append("other-packages-readable" if others else "packages-limited")
    with os.fdopen(settings.status_fd, "w") as status:
        status.write(json.dumps({"layers": layers, "readable": readable[:5], "uid": os.getuid()}))
    # USER too: getpass.getuser() reads it before looking up a uid that has no account.
    env = {**settings.env, "TMPDIR": paths["tmp_dir"], "HOME": paths["tmp_dir"], "USER": "rnnkit-sandbox"}
    worker = os.path.join(paths["worker_dir"], "worker.py")
    return env, worker, dataclasses.replace(settings.worker, submission_dir=paths["submission_dir"])


def main(settings):
    env, worker, worker_settings = confine(settings)
    os.execve(settings.python, [settings.python, "-I", worker, worker_settings.to_json()], env)


if __name__ == "__main__":
    main(JailSettings.from_json(sys.argv[1]))
