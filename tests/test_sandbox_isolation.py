"""Safe grading with no shared state between sandboxes (issue 18).

Without namespaces (Gradescope's Docker, `rnnkit grade-export` with several workers), sandboxes
share /tmp, /proc and System V IPC. These attacks succeeded before the fix and must fail in every
mode of grader_modes.py this machine allows:

* a submission that leaves System V shared memory, semaphores and message queues (and a POSIX
  message queue) behind: they are refused by the seccomp filter, anything of a sandbox uid's is
  removed when it ends, nothing is left in /proc/sysvipc, and the next grading gets full marks;
* a submission that looks for another sandbox's staged submission (listing /tmp, following
  /proc/*/cmdline) while that sandbox runs: it reads nothing;
* replies that would take the grading process past its memory (graders may keep every reply):
  the bytes decoded per submission are bounded, later replies fail with a clear message.

The crafted random Generator is a protocol-level test, in test_protocol.py.
"""

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import jsonschema
import pytest

import grader_modes
from conftest import ROOT, SOLUTIONS, run_grade, total
from rnnkit import sandbox
from rnnkit.results import SCHEMA
from rnnkit.sandbox import ipc, processes, users
from test_hostile_submissions import (  # noqa: F401 - fixtures, shared with the hostile submissions
    HW,
    MODE_PARAMS,
    assert_loses_only,
    grade_text,
    grader,
    leftovers,
    reference_results,
    reference_with,
)

SANDBOX_UIDS = (grader_modes.TEST_UID, users.NOBODY[0])  # and every uid from OWN_UID_BASE on


def _sandbox_uid(uid):
    return uid >= users.OWN_UID_BASE or uid in SANDBOX_UIDS


def sysv_ipc_of_sandboxes():
    """[(kind, id, uid)]: System V IPC objects a sandbox uid owns or created."""
    found = []
    for kind in ("shm", "sem", "msg"):
        lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()
        header = lines[0].split()
        for line in lines[1:]:
            fields = line.split()
            for column in ("uid", "cuid"):
                if _sandbox_uid(int(fields[header.index(column)])):
                    found.append((kind, int(fields[1]), int(fields[header.index(column)])))
                    break
    return found


def orphaned_sandbox_processes():
    """Processes of a sandbox uid whose grading process is gone (`ps -eo uid,pid,args`): a sandbox's
    uid is made of its grading process's pid, so sandboxes of tests running beside this one, whose
    grading processes live, do not count."""
    listing = subprocess.run(["ps", "-eo", "uid=,pid=,args="], capture_output=True, text=True, check=True).stdout
    orphans = []
    for line in listing.splitlines():
        uid = int(line.split()[0])
        grading_pid = (uid - users.OWN_UID_BASE) // users.PER_PROCESS
        if uid >= users.OWN_UID_BASE and not os.path.exists(f"/proc/{grading_pid}"):
            orphans.append(line)
    return orphans


# --- System V IPC -------------------------------------------------------------------------------

IPC_ATTACK = r'''
import ctypes as _ct
_libc = _ct.CDLL(None, use_errno=True)
_libc.shmat.restype = _ct.c_void_p
_IPC_CREAT = 0o1000
_ATTEMPTS = {}
# 600 MB of shared memory, touched so that it is real, then left behind for the next student.
_shm = _libc.shmget(0, 600 << 20, _IPC_CREAT | 0o666)
_ATTEMPTS["shmget"] = (_shm, _ct.get_errno())
if _shm >= 0:
    _address = _libc.shmat(_shm, None, 0)
    if _address not in (None, 2**64 - 1):
        _ct.memset(_address, 1, 64 << 20)
        _libc.shmdt(_ct.c_void_p(_address))
_ATTEMPTS["msgget"] = (_libc.msgget(0, _IPC_CREAT | 0o666), _ct.get_errno())
_ATTEMPTS["semget"] = (_libc.semget(0, 4, _IPC_CREAT | 0o666), _ct.get_errno())
_ATTEMPTS["mq_open"] = (_libc.mq_open(b"/rnnkit-attack", 0o100 | 2, 0o666, None), _ct.get_errno())
'''


def test_sysv_ipc_is_refused_and_nothing_outlives_the_sandbox(grade_text, reference_results):
    before = set(sysv_ipc_of_sandboxes())  # empty, unless a test beside this one is making some
    results, _ = grade_text(reference_with(IPC_ATTACK))
    assert total(results)[0] == total(reference_results)[0], "the submission's functions work normally"
    assert set(sysv_ipc_of_sandboxes()) <= before, "a sandbox left System V IPC objects behind"
    assert not orphaned_sandbox_processes()
    # The next student's correct submission is graded as usual.
    results, _ = grade_text((SOLUTIONS / HW / "rnn_cell.py").read_text())
    assert total(results) == total(reference_results)


def test_the_filter_refuses_ipc_and_numpy_and_torch_still_import():
    """The seccomp filter alone: ENOSYS for every IPC call (Python carries on), and the packages
    the homeworks use import under it, multiprocessing's POSIX semaphores and shared memory too."""
    code = r'''
import ctypes, errno, json, os, sys
sys.path.insert(0, sys.argv[1])
import seccomp
libc = ctypes.CDLL(None, use_errno=True)
assert libc.prctl(38, 1, 0, 0, 0) == 0
seccomp.sandbox_filter([])
calls = {"shmget": lambda: libc.shmget(0, 1 << 20, 0o1666), "msgget": lambda: libc.msgget(0, 0o1666),
         "semget": lambda: libc.semget(0, 1, 0o1666), "shmctl": lambda: libc.shmctl(0, 2, None),
         "mq_open": lambda: libc.mq_open(b"/rnnkit-x", 0o102, 0o666, None)}
errors = {}
for name, call in calls.items():
    errors[name] = (call(), errno.errorcode.get(ctypes.get_errno()))
import numpy, torch, multiprocessing
from multiprocessing import shared_memory
lock = multiprocessing.Lock(); lock.acquire(); lock.release()
memory = shared_memory.SharedMemory(create=True, size=4096); memory.close(); memory.unlink()
print(json.dumps({"errors": errors, "torch": torch.__version__}))
'''
    proc = subprocess.run([sys.executable, "-c", code, str(ROOT / "autograder" / "rnnkit" / "sandbox")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.splitlines()[-1])
    assert report["errors"] == {name: [-1, "ENOSYS"] for name in report["errors"]}


def _make_ipc_as(uid):
    """Create a segment, a semaphore set and a queue owned by ``uid`` (as a sandbox without the
    filter would); return their ids."""
    code = r'''
import ctypes, json, os, sys
uid = int(sys.argv[1])
os.setgid(uid); os.setuid(uid)
libc = ctypes.CDLL(None, use_errno=True)
print(json.dumps([libc.shmget(0, 8 << 20, 0o1600), libc.semget(0, 2, 0o1600), libc.msgget(0, 0o1600)]))
'''
    proc = subprocess.run([sys.executable, "-I", "-S", "-c", code, str(uid)], capture_output=True, text=True,
                          check=True, timeout=30)
    ids = json.loads(proc.stdout)
    assert min(ids) >= 0
    return ids


@pytest.mark.parametrize("mode", ["namespaces", "docker-root"])
def test_the_grader_removes_what_a_sandbox_uid_left(mode):
    """Belt and braces for a kernel without the filter: the grader removes a sandbox uid's IPC
    objects, as root with CAP_SYS_ADMIN and as Docker's root without it (as that uid)."""
    uid = users.OWN_UID_BASE + 1_999_777  # a sandbox uid no grading process here makes
    _make_ipc_as(uid)
    assert len(ipc.sysv_ipc_of(uid)) == 3
    code = f"from rnnkit.sandbox import ipc; print(ipc.remove_sysv_ipc_of({uid}))"
    proc = subprocess.run([*grader_modes.prefix(mode), sys.executable, "-c", code], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT / "autograder")})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
    assert ipc.sysv_ipc_of(uid) == []


# --- another sandbox's files --------------------------------------------------------------------

VICTIM = '''
# {secret}
import time as _time
_time.sleep(9)  # its sandbox, and its staged copy, stay up while the attacker looks (import: 15 s)
'''
SNOOP = r'''
def _snoop():
    """Find another sandbox's staged submission, by listing /tmp and by /proc/*/cmdline; return
    (what it could read, whether it saw another sandbox's worker)."""
    import time
    for _ in range(40):  # up to 4 s, until another sandbox's worker shows (where /proc shows any)
        leaked, seen = _look()
        if seen or leaked:
            return leaked, seen
        time.sleep(0.1)
    return leaked, seen


def _look():
    import json
    import os
    candidates, leaked, seen = set(), [], False
    for top in ("/tmp", "/var/tmp", "/dev/shm"):
        try:
            for name in os.listdir(top):
                candidates.add(os.path.join(top, name))
                try:
                    candidates.update(os.path.join(top, name, sub) for sub in os.listdir(os.path.join(top, name)))
                except OSError:
                    pass
        except OSError:
            pass
    try:
        for pid in os.listdir("/proc"):
            try:
                argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
            except OSError:
                continue
            # A worker forked by a zygote shows the zygote's command line, which names no
            # submission: seeing one (not this sandbox's own zygote) is seeing another sandbox.
            forked = any(arg.endswith(b"zygote.py") for arg in argv)
            if forked and pid.isdigit() and int(pid) not in (os.getpid(), os.getppid()):
                seen = True
            for i, arg in enumerate(argv):
                if arg.endswith(b"worker.py") and i + 1 < len(argv):
                    try:  # the worker's settings: where its submission is
                        staged = json.loads(argv[i + 1])["submission_dir"]
                    except (ValueError, KeyError, TypeError):
                        staged = argv[i + 1].decode()
                    seen = seen or os.path.realpath(staged) != os.path.realpath(os.getcwd())
                    candidates.add(staged)
                    candidates.add(os.path.dirname(staged))
    except OSError:
        pass
    for folder in sorted(candidates):
        for path in (folder, os.path.join(folder, "rnn_cell.py"), os.path.join(folder, "submission", "rnn_cell.py")):
            try:
                if SECRET in open(path, errors="replace").read():
                    leaked.append(path)
            except OSError:
                pass
    return leaked, seen


_LEAKED, _SEEN = _snoop()
_rnn_cell_forward, _output_layer = rnn_cell_forward, output_layer


def rnn_cell_forward(*args, **kwargs):
    if _LEAKED:
        raise RuntimeError(f"LEAKED {_LEAKED}")
    return _rnn_cell_forward(*args, **kwargs)


def output_layer(*args, **kwargs):
    if not _SEEN:
        raise RuntimeError("NO-VICTIM-SEEN")
    return _output_layer(*args, **kwargs)
'''


def _worker_under(pid):
    """Whether a sandbox worker runs below process ``pid``: a worker.py started cold, or a child
    of a zygote (whose command line is the zygote's, below a zygote.py)."""
    for name in os.listdir("/proc"):
        try:
            if not name.isdigit():
                continue
            command = Path(f"/proc/{name}/cmdline").read_bytes()
            parent = int(Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()[1])
            forked = b"zygote.py" in command and b"zygote.py" in Path(f"/proc/{parent}/cmdline").read_bytes()
            if (b"worker.py" in command or forked) and pid in processes.ancestors(int(name)):
                return True
        except OSError:
            continue
    return False


def test_a_sandbox_cannot_read_another_sandboxs_submission(grader, grade_text, reference_results, tmp_path):
    """While one submission is being graded, another one, graded beside it (a batch), lists /tmp and
    follows /proc/*/cmdline to the first one's staged copy: it reads nothing."""
    from conftest import RNNKIT

    folder = grader.folder(tmp_path)
    victim_dir = folder / "victim"
    victim_dir.mkdir()
    victim_dir.chmod(0o777)
    secret = f"VICTIM-SECRET-{uuid.uuid4().hex}"  # this run's only: no copy left by an earlier run matches
    (victim_dir / "rnn_cell.py").write_text(reference_with(VICTIM.format(secret=secret)))
    out = victim_dir / "out"
    victim = subprocess.Popen(
        [*grader_modes.prefix(grader.mode), *RNNKIT, "grade", HW, str(victim_dir / "rnn_cell.py"), "--out", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **grader.env},
    )
    try:
        deadline = time.monotonic() + 30
        while not _worker_under(victim.pid):
            assert victim.poll() is None and time.monotonic() < deadline, "the victim's sandbox never started"
            time.sleep(0.1)
        results, _ = grade_text(reference_with(f"SECRET = {secret[:6]!r} + {secret[6:]!r}\n" + SNOOP))
    finally:
        victim.wait(timeout=120)
    leaks = [t["output"] for t in results["tests"] if "LEAKED" in t["output"]]
    assert not leaks, leaks[0]
    # Where the sandbox sees /proc at all (no namespaces, no Landlock), it did see the victim's
    # worker and the path of its stage: the attack was really tried, and the file modes held.
    if grader.mode == "docker-root-no-landlock":
        assert total(results) == total(reference_results)
    else:
        assert_loses_only(results, reference_results, "output_layer")
    assert not orphaned_sandbox_processes()


# --- the reply budget ---------------------------------------------------------------------------

BIG_REPLIES = """
import numpy as _np
_BIG = _np.ones(11 * 2**20 // 8)  # 11 MB: about 15 MB once encoded, just under one frame's 16 MB
for _name in ("rnn_cell_forward", "rnn_forward", "rnn_cell_backward", "rnn_backward", "clip_grad_norm",
              "output_layer", "gradient_norms_through_time"):
    globals()[_name] = lambda *args, **kwargs: _BIG
"""

KEEP_EVERY_REPLY = r'''
import json, sys
from pathlib import Path
from rnnkit import homeworks, sandbox
from rnnkit_testing import SubmissionFailed
homework = homeworks.load("hw1_rnn_cell")
spec = sandbox.SandboxSpec(Path(sys.argv[1]), "rnn_cell", hidden=list(homeworks.SECRET_DIRS),
                           packages=homework.packages, limits=homework.limits)
student = sandbox.SandboxStudent(spec)
kept, failures = [], []
for _ in range(24):  # the audit's grader: keep every reply, check them at the end
    try:
        kept.append(student.output_layer(1))
    except SubmissionFailed as error:
        failures.append(str(error))
student.close()
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the pytest worker that spawned us
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"kept": len(kept), "failures": failures[:2], "failed": len(failures), "max_rss_mb": peak_kb / 1024}))
'''


def test_replies_kept_by_a_grader_are_bounded(tmp_path):
    """24 replies of 15 MB, all kept: before, they all were (360 MB of arrays; 60 of them took the
    grading process to 740 MB here, 1.1 GB with torch loaded, where Gradescope allows 768 MB); now
    the replies past the 256 MB budget are dropped unread and fail their call."""
    (tmp_path / "rnn_cell.py").write_text(BIG_REPLIES)
    proc = subprocess.run([sys.executable, "-c", KEEP_EVERY_REPLY, str(tmp_path)], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT / "autograder")})
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.splitlines()[-1])
    assert 10 <= report["kept"] <= 20 and report["failed"] == 24 - report["kept"]
    assert "more than is left of the 256 MB" in report["failures"][0]
    assert report["max_rss_mb"] < 400, report  # 264 measured: the 187 MB of arrays kept, Python and numpy


def test_a_submission_of_huge_replies_fails_clearly_and_the_kit_stays_ok(tmp_path):
    """Through `rnnkit grade` (the budget is the grading process's, whatever the sandbox's mode, so
    one mode): the tests fail with a message, results.json is valid and lists every test, and the
    kit reports no error of its own."""
    (tmp_path / "rnn_cell.py").write_text(BIG_REPLIES)
    proc, results = run_grade(HW, tmp_path / "rnn_cell.py", tmp_path / "out")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    _, reference = run_grade(HW, SOLUTIONS / HW / "rnn_cell.py", tmp_path / "reference")
    jsonschema.validate(results, SCHEMA)
    assert [t["name"] for t in results["tests"]] == [t["name"] for t in reference["tests"]]
    assert total(results)[0] == 0
    assert any("more than is left of the 256 MB" in t["output"] for t in results["tests"])


# --- a whole class at once: grade-export with two workers ---------------------------------------


# Namespaces alone keep sandboxes apart; here they are off, as in Gradescope's Docker container.
@pytest.mark.parametrize(
    "grader", [m for m in MODE_PARAMS if (m if isinstance(m, str) else m.values[0]) != "namespaces"], indirect=True
)
def test_grade_export_keeps_classmates_apart(grader, reference_results, tmp_path):
    """A class graded two at a time where nothing but file modes, the filter and the cleanup keep
    sandboxes apart: a snooper looks for the classmate graded beside it, another student leaves
    System V IPC behind; the classmates keep their full marks, the snooper reads nothing, and
    nothing is left allocated or running."""
    from conftest import RNNKIT

    folder = grader.folder(tmp_path)
    export = folder / "assignment_export"
    secret = f"VICTIM-SECRET-{uuid.uuid4().hex}"
    sources = {
        "submission_1": reference_with(VICTIM.format(secret=secret)),  # graded first, slow to import
        "submission_2": reference_with(f"SECRET = {secret[:6]!r} + {secret[6:]!r}\n" + SNOOP),
        "submission_3": reference_with(IPC_ATTACK),
        "submission_4": (SOLUTIONS / HW / "rnn_cell.py").read_text(),
    }
    metadata = ""
    for number, (name, source) in enumerate(sources.items(), start=1):
        (export / name).mkdir(parents=True)
        (export / name / "rnn_cell.py").write_text(source)
        metadata += f"{name}:\n  :submitters:\n  - :name: Student {number}\n    :sid: '{number}'\n"
    (export / "submission_metadata.yml").write_text(metadata)
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o777 if path.is_dir() else 0o666)  # the mode's user grades it
    out = folder / "out"
    proc = subprocess.run(
        [*grader_modes.prefix(grader.mode), *RNNKIT, "grade-export", HW, str(export), "--out", str(out), "--workers", "2"],
        capture_output=True, text=True, timeout=600, env={**os.environ, **grader.env},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = {name: json.loads((out / "submissions" / name / "results.json").read_text()) for name in sources}
    for name in results.values():
        jsonschema.validate(name, SCHEMA)
    full = total(reference_results)
    assert total(results["submission_1"]) == full and total(results["submission_4"]) == full
    assert total(results["submission_3"]) == full  # its IPC calls were refused; the rest is correct
    leaks = [t["output"] for t in results["submission_2"]["tests"] if "LEAKED" in t["output"]]
    assert not leaks, leaks[0]
    assert not sysv_ipc_of_sandboxes() and not orphaned_sandbox_processes() and not leftovers()
