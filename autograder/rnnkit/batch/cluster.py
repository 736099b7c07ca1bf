"""Grading on an existing Dask cluster (``grade-export --scheduler``), when one machine is not enough.

The same shape as the local pool (``ClusterPool.run(tasks)`` yields a ``Done`` per task), and the
same grading: each Dask worker process loads and warms the homework once, then grades submission
after submission with ``rnnkit.engine.grade`` in a sandbox of its own, exactly as a local grading
process does. No file system is shared: the client sends each submission's files as bytes, the
worker grades them in a temporary folder of its own and sends back the results.json text, and the
client writes it where a local run writes it, so resuming, grades.csv and the report are the same.

A worker lost mid-submission (a machine down, a worker killed, a grading stuck beyond
``task_seconds``, which ends its worker) is the scheduler's to handle: it grades the submission
again on another worker, up to its ``distributed.scheduler.allowed-failures`` (3 by default), and
then the submission is recorded as not graded, with the reason, as the local pool does.

Dask is imported here only by the client, and only when a run starts: the worker's side needs
nothing but the kit.
"""

import json
import os
import shutil
import tempfile
import threading
import uuid
from pathlib import Path, PurePosixPath

from rnnkit.batch.pool import Done
from rnnkit.engine.submission import MAX_BYTES
from rnnkit.errors import KitError
from rnnkit.results import write_json_atomically
from rnnkit.sandbox import keep_warm, kill_leftovers

CONNECT_SECONDS = 20
# What one submission may send to a worker. The engine reads no file beyond MAX_BYTES, so each file
# is cut at MAX_BYTES + 1 bytes: still too large, it gets the engine's own "larger than 20 MB" answer.
SEND_BYTES = 64 * 1024**2
SEND_FILES = 10_000


class _TooLarge(Exception):
    """The submission's files are more than a worker is sent."""


def submission_files(folder):
    """{relative POSIX path: bytes} of every regular file under ``folder``. Links are neither
    followed nor sent (the engine never reads through one); a file is opened with O_NOFOLLOW, so a
    link swapped in meanwhile fails rather than being read."""
    root, files, total = Path(folder), {}, 0
    for parent, _, names in os.walk(root):  # followlinks=False: a linked folder is not entered
        for name in sorted(names):
            path = Path(parent, name)
            if path.is_symlink() or not path.is_file():
                continue
            with os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb") as reader:
                data = reader.read(MAX_BYTES + 1)
            total += len(data)
            if total > SEND_BYTES or len(files) >= SEND_FILES:
                raise _TooLarge(
                    f"its files are more than {SEND_BYTES >> 20} MB or {SEND_FILES} files, more than a "
                    "Dask worker is sent: grade it on this machine (rnnkit grade)"
                )
            files[path.relative_to(root).as_posix()] = data
    return files


# --- the worker's side: runs in a Dask worker process ---------------------------------------------

_warm = {}  # homework id -> the homework, loaded and warmed once in this worker process
# pytest.main and the sandbox's bookkeeping (subreaper, live sandboxes) belong to the whole process:
# a worker started with several threads still grades one submission at a time.
_one_at_a_time = threading.Lock()


def _warmed(homework_id):
    if homework_id not in _warm:
        from rnnkit import homeworks
        from rnnkit.engine import warm_up

        # Several worker processes share a machine: an account named by RNNKIT_SANDBOX_USER would
        # be the uid of sandboxes graded side by side (see GradingPool), so each gets its own.
        if os.environ.get("RNNKIT_SANDBOX_USER"):
            del os.environ["RNNKIT_SANDBOX_USER"]
        homework = homeworks.load(homework_id)
        warm_up(homework)
        _warm[homework_id] = homework
    # Every sandbox of this worker forks from one warm interpreter (started again if it died: it
    # dies with the thread that started it, and Dask may retire its threads).
    keep_warm(_warm[homework_id].packages)
    return _warm[homework_id]


def _overran(work):
    """A grading stuck beyond its time ends its worker, as the local pool stops a stuck grading
    process: the nanny starts a fresh one and the scheduler grades the submission again."""
    # Every process below this one, the sandbox being graded included: the jail's outer process
    # has no parent-death signal, and would outlive this worker.
    kill_leftovers(keep=())
    shutil.rmtree(work, ignore_errors=True)  # the student's files: os._exit skips every cleanup
    os._exit(1)


def _unpack(files, folder):
    folder.mkdir()
    for name, data in files.items():
        relative = PurePosixPath(name)
        if relative.is_absolute() or ".." in relative.parts:
            raise ValueError(f"not a relative path: {name}")
        target = folder.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def grade_on_worker(homework_id, files, grade_options, task_seconds):
    """Grade one submission sent as ``files``; return plain data: the results.json text (None when
    the engine did not write one) and the Done's ``ok`` and ``detail``."""
    from rnnkit.engine import grade

    with _one_at_a_time:
        homework = _warmed(homework_id)  # before the watchdog: warming up is not grading
        work = Path(tempfile.mkdtemp(prefix="rnnkit-cluster-"))  # mode 0700: no sandbox reads it
        watchdog = threading.Timer(task_seconds, _overran, args=(work,))
        watchdog.daemon = True
        watchdog.start()
        try:
            _unpack(files, work / "submission")
            outcome = grade(homework, work / "submission", work / "out", **grade_options)
            detail = "" if outcome.kit_ok else "; ".join(e.splitlines()[0] for e in outcome.kit_errors)[:500]
            return {"results": (work / "out" / "results.json").read_text(), "ok": True, "detail": detail}
        except Exception as error:  # noqa: BLE001 - reported for this submission only
            return {"results": None, "ok": False, "detail": f"{type(error).__name__}: {error}"[:500]}
        finally:
            watchdog.cancel()
            shutil.rmtree(work, ignore_errors=True)


# --- the client's side ----------------------------------------------------------------------------

def _connect(address):
    try:
        from distributed import Client
        from distributed.comm import resolve_address
    except ImportError:
        raise KitError(
            "--scheduler needs Dask's distributed package: pip install 'rnnkit[cluster]'"
        ) from None
    try:
        resolve_address(address)  # checked first: a Client that fails on a malformed one takes 40 s to exit
        return Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        raise KitError(f"could not reach the Dask scheduler at {address}: {error}") from None


class ClusterPool:
    """Grade tasks on the workers of the Dask scheduler at ``address``; ``run`` yields a Done for
    each task, and writes its results.json (``Task.out_dir``) before it does, as a local grading
    process does."""

    def __init__(self, address, homework_id, task_seconds, grade_options=None):
        self.address = address
        self.homework_id = homework_id
        self.task_seconds = task_seconds  # beyond the sandbox's own budget: the grading is stuck
        self.grade_options = dict(grade_options or {})

    def run(self, tasks):
        client = _connect(self.address)  # first: it says which extra to install when Dask is missing
        from distributed import as_completed

        pending = list(reversed(tasks))
        running = {}  # future -> task
        finished = as_completed(loop=client.loop)
        try:
            while pending or running:
                # As many submissions in flight as the cluster has threads now: a worker lost costs
                # only what it was grading (the scheduler counts a death against every task it
                # held), the files of a whole class are never in memory at once, and workers that
                # join later get their share.
                while pending and len(running) < max(1, sum(client.nthreads().values())):
                    task = pending.pop()
                    try:
                        files = submission_files(task.submission)
                    except (_TooLarge, OSError) as error:
                        yield Done(task.key, False, str(error)[:500])
                        continue
                    future = client.submit(
                        grade_on_worker, self.homework_id, files, self.grade_options, self.task_seconds,
                        key=f"rnnkit-grade-{task.key}-{uuid.uuid4().hex}",
                    )
                    running[future] = task
                    finished.add(future)
                if not running:
                    continue
                future = next(finished)
                done = self._done(running.pop(future), future)
                future.release()  # held, its result would be graded again if its worker is lost later
                yield done
        finally:
            client.cancel(list(running))
            client.close()

    def _done(self, task, future):
        """The Done of a finished future, its results.json written first."""
        from distributed import KilledWorker

        if future.status == "cancelled":  # the scheduler is gone: what is graded is kept
            raise KitError(
                f"lost the Dask scheduler at {self.address}; run the same command again to grade the "
                "submissions left"
            )
        try:
            reply = future.result()
        except KilledWorker as error:
            return Done(task.key, False, (
                f"the Dask worker grading it died, or overran {self.task_seconds:.0f} s, "
                f"{error.allowed_failures + 1} times"
            ))
        except Exception as error:  # noqa: BLE001 - a worker without the kit, say
            return Done(task.key, False, f"{type(error).__name__}: {error}"[:500])
        if reply["results"] is not None:
            write_json_atomically(Path(task.out_dir) / "results.json", json.loads(reply["results"]))
        return Done(task.key, reply["ok"], reply["detail"])
