"""Grading processes that import the graders (and torch, where they use it) once, then grade one
submission after another.

Starting Python and importing torch is most of what grading one submission costs, so a batch keeps
a few grading processes warm. Each still gives every submission a sandbox of its own: a fresh
worker process with its own limits, uid and time budget, started by ``rnnkit.engine.grade`` exactly
as for a single submission, except that it is forked from the grading process's zygote (which
imported numpy, and torch where allowed, once: ``rnnkit.sandbox.warm``) instead of starting
Python again. The zygote and its workers die with their grading process (parent-death signals).
Nothing of a submission lives on in the grading process: student code never runs there, and only
plain data comes back from the sandbox.

When a grading process dies or overruns (it should not: a sandbox failure is the submission's
own, but a batch must survive a kit bug too), the supervisor (``GradingPool``) stops it (SIGTERM:
it kills its sandbox and leaves; SIGKILL if it does not) and retries the submission once in a
fresh process before recording it as not graded. A grading process also ends, with its sandbox,
as soon as the supervisor is gone.
"""

import multiprocessing
import os
import signal
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import wait

from rnnkit import homeworks
from rnnkit.sandbox import keep_warm, kill_leftovers, stop_warm

# And torch, for a homework whose graders use it (Homework.graders_use_torch): a numpy homework's
# graders find their torch results stored.
PRELOAD = ["numpy", "pytest", "rnnkit.engine", "rnnkit.batch.pool"]
STOP_SECONDS = 3  # for a grading process to stop its sandbox and leave before it is killed


@dataclass
class Task:
    key: str  # the submission's id
    submission: str  # its folder
    out_dir: str  # where results.json goes


@dataclass
class Done:
    key: str
    ok: bool  # graded (results.json written by the grader) or not
    detail: str = ""  # why not, when not


def _follow(supervisor):
    """End this grading process and its sandbox as soon as the supervisor is gone (kill -9
    included): its parent is the fork server, so the parent-death signal cannot tell."""
    while True:
        time.sleep(0.2)
        try:
            os.kill(supervisor, 0)
        except ProcessLookupError:
            kill_leftovers()
            os._exit(1)


def _leave(signum, frame):
    kill_leftovers()  # this process is its sandboxes' subreaper: they go with it
    os._exit(1)


def _serve(connection, homework_id, grade_options, supervisor, own_uids=False):
    """A grading process: warm up once, then grade each task sent until the pipe closes.
    ``own_uids``: every sandbox gets a uid of its own even where RNNKIT_SANDBOX_USER names one
    account for all of them (see GradingPool)."""
    threading.Thread(target=_follow, args=(supervisor,), daemon=True).start()
    if own_uids:
        os.environ.pop("RNNKIT_SANDBOX_USER", None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the supervisor's to handle
    signal.signal(signal.SIGTERM, _leave)
    from rnnkit.engine import grade, warm_up

    homework = homeworks.load(homework_id)
    warm_up(homework)
    keep_warm(homework.packages)  # every sandbox of this process forks from one warm interpreter
    connection.send("ready")
    while True:
        try:
            task = connection.recv()
        except EOFError:
            stop_warm()  # a multiprocessing child skips atexit: its zygote's folder goes now
            return
        try:
            outcome = grade(homework, task.submission, task.out_dir, **grade_options)
            detail = "" if outcome.kit_ok else "; ".join(e.splitlines()[0] for e in outcome.kit_errors)[:500]
            connection.send(Done(task.key, True, detail))
        except Exception as error:  # noqa: BLE001 - reported for this submission only
            connection.send(Done(task.key, False, f"{type(error).__name__}: {error}"[:500]))


class _Process:
    def __init__(self, context, homework_id, grade_options, own_uids=False):
        self.connection, child_end = context.Pipe()
        self.process = context.Process(
            target=_serve, args=(child_end, homework_id, grade_options, os.getpid(), own_uids), daemon=True
        )
        self.process.start()
        child_end.close()
        self.ready = False
        self.task = None
        self.deadline = None

    def kill(self):
        if self.process.is_alive():
            self.process.terminate()  # SIGTERM: it kills its sandbox, then leaves
            self.process.join(STOP_SECONDS)
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.connection.close()


class GradingPool:
    """Grade tasks on ``workers`` warm grading processes; ``run`` yields a Done for each task."""

    def __init__(self, homework_id, workers, task_seconds, grade_options=None, retries=1):
        self.homework_id = homework_id
        self.workers = max(1, workers)
        self.task_seconds = task_seconds  # beyond the sandbox's own budget: the grading process is stuck
        self.grade_options = dict(grade_options or {})
        self.retries = retries
        # Sandboxes graded side by side must not share a uid: where neither namespaces nor Landlock
        # hold, the uid is what keeps one submission's files, processes and signals from another's.
        # An account named by RNNKIT_SANDBOX_USER (Gradescope's, one submission at a time) would be
        # every sandbox's: with more than one grading process, each sandbox gets a uid of its own.
        self.own_uids = self.workers > 1 and bool(os.environ.get("RNNKIT_SANDBOX_USER"))
        # A fork server: one clean interpreter imports torch and the engine once, and every
        # grading process is forked from it (nothing of this process, its threads included, is
        # inherited; the imports are paid once and their pages shared).
        self.context = multiprocessing.get_context("forkserver")
        torch = ["torch"] if homeworks.load(homework_id).graders_use_torch else []
        self.context.set_forkserver_preload(torch + PRELOAD)

    def run(self, tasks):
        pending = list(reversed(tasks))
        attempts = {}
        processes = [self._start() for _ in range(min(self.workers, len(tasks)))]
        try:
            while pending or any(p.task for p in processes):
                for p in processes:
                    if p.ready and p.task is None and pending:
                        p.task = pending.pop()
                        p.deadline = time.monotonic() + self.task_seconds
                        p.connection.send(p.task)
                readable = wait([p.connection for p in processes], timeout=1.0)
                for index, p in enumerate(processes):
                    failure = None
                    if p.connection in readable:
                        try:
                            message = p.connection.recv()
                        except (EOFError, OSError):
                            failure = "the grading process died"
                        else:
                            if message == "ready":
                                p.ready = True
                            else:
                                p.task = None
                                yield message
                    elif p.task is not None and time.monotonic() > p.deadline:
                        failure = f"grading took longer than {self.task_seconds:.0f} s"
                    elif not p.process.is_alive():
                        failure = "the grading process died"
                    if failure is None:
                        continue
                    task = p.task
                    p.kill()
                    processes[index] = self._start()
                    if task is None:
                        continue
                    attempts[task.key] = attempts.get(task.key, 0) + 1
                    if attempts[task.key] <= self.retries:
                        pending.append(task)
                    else:
                        yield Done(task.key, False, failure)
        finally:
            for p in processes:
                p.kill()

    def _start(self):
        return _Process(self.context, self.homework_id, self.grade_options, self.own_uids)
