"""The sandbox: student code runs in a separate, unprivileged, resource-limited process; only plain
data comes back.

One module per job. In the grading process: ``limits`` (what a sandbox may use), ``policy`` (what
it may read, and ``SandboxSpec``), ``packages`` (the allowlist), ``users`` (its uid), ``launch``
(one worker: stage, start, frames, end), ``proxy`` (``SandboxStudent``, the graders' ``student``),
``processes``, ``disk`` and ``ipc`` (what it started, wrote and left behind), ``warm`` (a zygote
that forks workers from an interpreter that has imported numpy and torch once). Crossing into the
sandbox: ``settings`` (typed, checked on arrival) and ``channel`` (frames, read alike at both ends).
Inside it: ``jail`` (namespaces, uid, rlimits, then exec), ``zygote`` (the warm process, which
runs the jail in each forked child), ``landlock`` and ``seccomp`` (one wall
each), and ``worker`` (the only place student code runs).

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

from .limits import LAYERS, Limits, SandboxUnavailable, missing_layers
from .policy import SandboxSpec
from .processes import kill_leftovers
from .proxy import SandboxStudent
from .warm import keep_warm, stop_warm

__all__ = ["LAYERS", "Limits", "SandboxSpec", "SandboxStudent", "SandboxUnavailable", "keep_warm", "kill_leftovers", "missing_layers", "stop_warm"]
