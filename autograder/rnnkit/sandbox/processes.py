"""The process tree below the grader: every sandbox process stays its descendant and is reaped.

The grader is a child subreaper (``become_subreaper``, when its first worker starts), so whatever a
worker starts, double-forked ``setsid`` daemons included, is reparented to it when its parent dies.
"""

import ctypes
import os
import signal
import time

PR_SET_CHILD_SUBREAPER = 36
_libc = ctypes.CDLL(None, use_errno=True)
live_workers = set()  # pids of this process's running workers; everything else below it is debris


def become_subreaper():
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


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


def kill_leftovers(keep=None, rounds=300):
    """Kill and reap every descendant of this process outside the subtrees of ``keep``.

    This process is a child subreaper (set when the first worker starts), so whatever a worker
    started, double-forked ``setsid`` daemons included, is reparented here when its parent dies
    and cannot escape. Repeated until nothing is left, for processes that were forking. ``keep``
    defaults to the workers still running."""
    keep = live_workers if keep is None else keep
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

