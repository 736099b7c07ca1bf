"""Warm sandboxes (issue 20): workers forked by a zygote that imported numpy and torch once keep the
walls of a cold start, and nothing of one submission reaches the next.

In every mode of grader_modes.py this machine allows, ``warm_probe.py`` has one zygote fork three
submissions in turn, as a batch's grading process does: the middle one changes module state
(numpy's, torch's, the standard library's), torch's default dtype and seeds, the environment,
starts a thread, writes files wherever it can and asks for System V IPC. It sees its own changes;
the next submission sees exactly what the first one saw.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import grader_modes
from rnnkit import homeworks, sandbox
from rnnkit.engine import grade
from rnnkit.sandbox import warm
from test_hostile_submissions import grader  # noqa: F401 - the machine modes, as the hostile suite runs them

PROBE = Path(__file__).with_name("warm_probe.py")
TRACES = ("numpy_mark", "torch_mark", "json_mark", "default_dtype", "tabnanny_imported", "environment",
          "threads", "tasks", "files")


def test_nothing_of_one_submission_reaches_the_next(grader, tmp_path):  # noqa: F811
    folder = grader.folder(tmp_path)
    proc = subprocess.run(
        [*grader_modes.prefix(grader.mode), sys.executable, str(PROBE), str(folder)],
        capture_output=True, text=True, timeout=300, env={**os.environ, **grader.env},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["forked"] == [True, True, True]  # each worker came from the zygote, not a cold start
    assert "seccomp" in seen["layers"] and "files-hidden" in seen["layers"], seen["layers"]
    first, planter, last = seen["first"], seen["planter"], seen["last"]
    # The probe sees every trace the planter left in its own sandbox...
    visible = [key for key in TRACES if planter[key] is not None or key != "tasks"]  # /proc may be closed
    changed = [key for key in visible if planter[key] != first[key]]
    assert changed == visible, (changed, planter)
    assert seen["planted"]["written"]  # it wrote its files somewhere
    # ...and none of them in the next submission's.
    assert last == first, {key: (first[key], last[key]) for key in first if first[key] != last[key]}
    assert seen["planted"]["ipc"] == [-1, -1] and last["ipc"] == [-1, -1]  # System V IPC refused


def test_a_warm_grading_gives_the_cold_gradings_results(tmp_path):
    """The same submission graded by a cold start and by a worker forked from the zygote: the same
    results.json, test by test (a torch homework, whose imports the zygote pays ahead)."""
    homework = homeworks.load("hw4_seq2seq")
    submission = homework.solution_dir / f"{homework.module}.py"
    cold = grade(homework, submission, tmp_path / "cold").results
    sandbox.keep_warm(homework.packages)
    try:
        warm_results = grade(homework, submission, tmp_path / "warm").results
        assert warm.zygote_for(homework.packages) is not None
    finally:
        warm.stop_warm()
    assert [(t["name"], t["score"], t["output"]) for t in warm_results["tests"]] == [
        (t["name"], t["score"], t["output"]) for t in cold["tests"]
    ]


def test_a_zygote_that_dies_costs_a_cold_start_not_a_grade(tmp_path):
    homework = homeworks.load("hw1_rnn_cell")
    submission = homework.solution_dir / f"{homework.module}.py"
    sandbox.keep_warm(homework.packages)
    try:
        zygote = warm.zygote_for(homework.packages)
        zygote.process.kill()
        results = grade(homework, submission, tmp_path / "out").results
    finally:
        warm.stop_warm()
    assert results["extra_data"]["status"] == "graded"
    assert sum(t["score"] for t in results["tests"]) == sum(t["max_score"] for t in results["tests"])
    assert warm.zygote_for(homework.packages) is None
