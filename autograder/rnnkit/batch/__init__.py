"""``rnnkit grade-export``: grade every submission of a Gradescope "Export Submissions" download.

    DIR/submissions/<id>/results.json   one per submission, written atomically as each finishes
    DIR/grades.csv                      one row per submitter: SID, email, name, scores per test
    DIR/regrade.csv                     the submissions whose score changed from the export's
    DIR/report.html                     figures and tables of what the class got right and wrong
    DIR/similarity.csv, .html           pairs of submissions whose code looks alike (similarity.py)
    DIR/canvas.csv or DIR/generic.csv   with --lms: one row per student, as an LMS imports it (lms.py)

With ``--due`` each submission's lateness is reported; with ``--late-policy`` too, its penalty is
applied to the score the LMS file carries (lateness.py).

Graded on warm local grading processes (pool.py), or on a Dask cluster's workers (cluster.py).
Resumable: a submission whose results.json is already there is not graded again, so a run that was
killed (kill -9 included) and started again grades only what is missing; the CSV files and the
report are rebuilt from all results at the end and come out the same as after one uninterrupted run.
A submission the kit itself failed to grade (status "kit problem: ...") is graded again by the next
run: once the cause is fixed, running the same command again regrades exactly those.
"""

import html
import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from rnnkit.batch.export import NotAnExport, read_export
from rnnkit.batch.gradebook import grades_csv, regrade_csv
from rnnkit.batch.lateness import Deadline
from rnnkit.batch.lms import write as lms_file
from rnnkit.batch.pool import GradingPool, Task
from rnnkit.batch.similarity import write_similarity
from rnnkit.batch.report import crashed_at_import
from rnnkit.engine import STATUS_KIT_PROBLEM, STATUS_NOT_GRADED
from rnnkit.results import write_json_atomically

__all__ = ["Deadline", "NotAnExport", "grade_export"]

SLACK_SECONDS = 120  # beyond a submission's time budget before its grading process counts as stuck


@dataclass
class Summary:
    graded: int
    not_graded: int
    kit_problems: list
    out_dir: Path
    import_crashes: list = field(default_factory=list)  # ids whose import crashed Python silently
    files: list = field(default_factory=list)  # what it wrote into out_dir, for the instructor


def _results_path(out_dir, submission):
    return out_dir / "submissions" / submission.id / "results.json"


def _finished(path, homework_id):
    """The results.json a previous run left, if it is complete and for this homework."""
    try:
        results = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(results, dict) or results.get("extra_data", {}).get("homework") != homework_id:
        return None
    return results


KIT_FAILED_OUTPUT = (
    "The autograder itself hit a problem and could not grade this submission (not your code's "
    "fault); your instructor's grade-export report lists it. Ask them to regrade."
)


def _kit_failed(results):
    """Did the kit itself fail on this results.json? The engine's status says so, or the batch's
    own kit_error (a grading process that died before writing its results)."""
    extra = results.get("extra_data", {})
    return bool(extra.get("kit_error")) or extra.get("status") == STATUS_KIT_PROBLEM


def _status(submission, results):
    if submission.problem:
        return f"not graded: {submission.problem}"
    if results is None:
        return "not graded: no results"
    extra = results.get("extra_data", {})
    if _kit_failed(results):  # graded or not, the kit failed: its scores cannot be trusted
        detail = extra.get("kit_error") or extra.get("status_detail") or ""
        return f"{STATUS_KIT_PROBLEM}: " + (str(detail).strip().splitlines() or [""])[0][:300]
    if extra.get("status") == STATUS_NOT_GRADED:
        return f"not graded: {extra.get('status_detail', '')}"
    return "graded"


class _Progress:
    """A progress bar on a terminal, plain lines otherwise (CI logs, pipes)."""

    def __init__(self, total, already, again=0):
        self.total, self.done = total, already
        self.bar = None
        if sys.stderr.isatty():
            from rich.progress import Progress

            self.bar = Progress(transient=True)
            self.bar.start()
            self.task = self.bar.add_task("grading", total=total, completed=already)
        elif already or again:
            regrading = f"; grading {again} kit problem{'s' * (again != 1)} again" if again else ""
            print(f"resuming: {already} of {total} submissions already graded{regrading}", flush=True)

    def advance(self, label):
        self.done += 1
        if self.bar is not None:
            self.bar.update(self.task, advance=1, description=label)
        else:
            print(f"[{self.done}/{self.total}] {label}", flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.stop()


def grade_export(homework, export, out_dir, workers=None, budget_seconds=None, scheduler=None,
                 deadline=Deadline(), lms=None, lms_assignment=None):
    """Grade what is not graded yet, then write grades.csv, regrade.csv and report.html: on
    ``workers`` local grading processes, or on the Dask cluster whose scheduler is at ``scheduler``.
    ``deadline``: the due date and late policy; ``lms``: "canvas" or "generic" for an LMS file,
    whose score column is named ``lms_assignment`` (default: the homework's title)."""
    from rnnkit.batch.report import render

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # The unpacked export and every student's results: the grader's only, so that no sandbox (a uid
    # of its own, where neither namespaces nor Landlock hide the disk) reads a classmate's files.
    out_dir.chmod(0o700)
    unpacked = out_dir / ".export"
    if Path(export).is_file():
        shutil.rmtree(unpacked, ignore_errors=True)
        unpacked.mkdir()
    submissions = read_export(export, unpacked)
    if not submissions:
        raise NotAnExport(f"{export}: the export holds no submissions")
    results, todo, again = {}, [], 0
    for submission in submissions:
        if submission.problem:
            continue
        done = _finished(_results_path(out_dir, submission), homework.id)
        if done is not None and not _kit_failed(done):
            results[submission.id] = done
        else:  # not graded yet, or the kit failed on it last time: graded (again)
            again += done is not None
            todo.append(submission)
    gradable = sum(1 for s in submissions if not s.problem)
    progress = _Progress(gradable, gradable - len(todo), again)
    kit_problems = []
    budget = budget_seconds or homework.limits.budget_seconds
    grade_options = {"budget_seconds": budget_seconds}
    if scheduler:
        from rnnkit.batch.cluster import ClusterPool  # Dask is an optional extra: imported only here

        pool = ClusterPool(scheduler, homework.id, budget + SLACK_SECONDS, grade_options)
    else:
        pool = GradingPool(homework.id, workers or os.cpu_count() or 1, budget + SLACK_SECONDS, grade_options)
    by_id = {s.id: s for s in todo}
    tasks = [Task(s.id, str(s.folder), str(_results_path(out_dir, s).parent)) for s in todo]
    try:
        for done in pool.run(tasks):
            path = _results_path(out_dir, by_id[done.key])
            if not done.ok:  # the grading process itself failed twice: still leave a valid file
                write_json_atomically(path, {
                    "score": 0.0, "output": KIT_FAILED_OUTPUT,
                    "extra_data": {"homework": homework.id, "kit_error": done.detail},
                })
            elif done.detail:  # graded, but the kit failed somewhere: say so in its results.json
                written = _finished(path, homework.id)
                if written is not None:
                    written["extra_data"]["kit_error"] = done.detail
                    write_json_atomically(path, written)
            if done.detail:
                kit_problems.append(f"{done.key}: {done.detail}")
            results[done.key] = _finished(path, homework.id)
            progress.advance(done.key)
    finally:
        progress.close()
    rows = []
    for submission in submissions:
        graded = results.get(submission.id)
        rows.append((submission, graded, _status(submission, graded)))
    (out_dir / "grades.csv").write_text(grades_csv(rows, deadline))
    (out_dir / "regrade.csv").write_text(regrade_csv(rows))
    written = [out_dir / name for name in ("grades.csv", "regrade.csv", "report.html")]
    if lms:
        written.append(lms_file(lms, rows, out_dir, lms_assignment or homework.title, deadline))
    written += write_similarity(homework, rows, out_dir)
    notes = [html.escape(deadline.describe())] if deadline.describe() else []
    links = [("similarity.html", "Similar submissions: the pairs whose code looks alike, side by side")]
    (out_dir / "report.html").write_text(
        render(f"{homework.title}: {len(rows)} submissions", rows, notes=notes, links=links)
    )
    # A kit problem is not a grade: it is listed with the reason (report.html, grades.csv) and
    # counted among the submissions not graded.
    graded_count = sum(1 for _, _, status in rows if status == "graded")
    crashes = [s.id for s, graded, status in rows if status == "graded" and crashed_at_import(graded)]
    return Summary(graded_count, len(rows) - graded_count, kit_problems, out_dir, crashes, written)
