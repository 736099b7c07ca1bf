"""Three submissions, one after another, forked by one warm zygote, as a batch's grading process
grades them: run by test_sandbox_warm.py under each machine mode of grader_modes.py.

    python warm_probe.py FOLDER      (FOLDER: where the submissions are written, usable by the mode's user)

The first and the last only look (``probe``); the one between changes every kind of state a
submission could hope to pass on (``plant``), then looks too, so that the test knows each probe
can see what it looks for. Prints one JSON object.
"""

import json
import sys
from pathlib import Path

from rnnkit.homeworks import SECRET_DIRS
from rnnkit.sandbox import Limits, SandboxSpec, SandboxStudent, keep_warm

PACKAGES = ("numpy", "torch")
MARK = "rnnkit-warm-planted"

SUBMISSION = f'''
import ctypes, json, os, sys, tempfile, threading, time
import numpy as np
import torch

MARK = {MARK!r}
DRAWN_AT_IMPORT = [float(torch.rand(1)), float(np.random.rand())]
PLACES = [tempfile.gettempdir(), os.getcwd(), "/tmp", "/dev/shm", "/var/tmp"]


def plant():
    np.rnnkit_mark = MARK  # module state: numpy, torch, the standard library
    torch.rnnkit_mark = MARK
    json.rnnkit_mark = MARK
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(99)
    np.random.seed(99)
    import tabnanny  # noqa: F401 - a module the next submission must not find imported
    os.environ["RNNKIT_PLANTED"] = MARK
    threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
    written = []
    for place in PLACES:
        try:
            with open(os.path.join(place, MARK), "w") as planted:
                planted.write(MARK)
            written.append(place)
        except OSError:
            pass
    libc = ctypes.CDLL(None, use_errno=True)
    ipc = [libc.shmget(0x5EED, 4096, 0o1666), libc.msgget(0x5EED, 0o1666)]  # IPC_CREAT | 0666
    return {{"written": written, "ipc": ipc}}


def _tasks():
    """Threads the kernel counts for this process (None where /proc is closed to the sandbox)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return None


def probe():
    return {{
        "numpy_mark": getattr(np, "rnnkit_mark", None),
        "torch_mark": getattr(torch, "rnnkit_mark", None),
        "json_mark": getattr(json, "rnnkit_mark", None),
        "default_dtype": str(torch.get_default_dtype()),
        "drawn_at_import": DRAWN_AT_IMPORT,
        "torch_seed": torch.initial_seed(),
        "tabnanny_imported": "tabnanny" in sys.modules,
        "environment": os.environ.get("RNNKIT_PLANTED"),
        "threads": threading.active_count(),
        "tasks": _tasks(),
        "files": sorted(place for place in PLACES if os.path.exists(os.path.join(place, MARK))),
        "ipc": [ctypes.CDLL(None).shmget(0x5EED, 0, 0), ctypes.CDLL(None).msgget(0x5EED, 0)],
    }}
'''


def student(folder, name):
    submission = folder / name
    submission.mkdir()
    (submission / "probe.py").write_text(SUBMISSION)
    spec = SandboxSpec(submission, "probe", hidden=list(SECRET_DIRS), secrets=list(SECRET_DIRS),
                       packages=PACKAGES, limits=Limits())
    return SandboxStudent(spec)


def main(folder):
    keep_warm(PACKAGES)
    seen, forked = {}, []
    for name in ("first", "planter", "last"):
        submission = student(folder, name)
        try:
            if name == "planter":
                seen["planted"] = submission.plant()
            seen[name] = submission.probe()
            forked.append(type(submission._worker.process).__name__ == "ForkedProcess")
            seen.setdefault("layers", submission.layers)
        finally:
            submission.close()
    seen["forked"] = forked
    print(json.dumps(seen))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
