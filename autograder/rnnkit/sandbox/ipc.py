"""System V IPC objects a sandbox's uid leaves behind, found and removed."""

import ctypes
import errno
import json
import os
import subprocess
import sys

_libc = ctypes.CDLL(None, use_errno=True)
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
