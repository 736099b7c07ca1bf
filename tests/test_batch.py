"""Grading a whole class: the export reader, the gradebook, the report in a browser, resuming after
kill -9, and `rnnkit demo`'s sample class."""

import csv
import io
import os
import shutil
import signal
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from conftest import RNNKIT, ROOT, chromium_dom
from rnnkit.batch.export import NotAnExport, Submitter, read_export
from rnnkit.batch.gradebook import grades_csv, regrade_csv

SAMPLE = ROOT / "samples" / "sample_class" / "hw1_rnn_cell"

ODD_METADATA = """\
---
submission_1:
  :submitters:
  - :name: O'Brien, Seán
    :sid: '0042'
    :email: sean@example.edu
  - :name: 'Zoë "Z" Müller'
    :sid: 43
    :email: zoe@example.edu
  :created_at: 2026-10-30 21:14:05.123456000 -07:00
  :score: 12.5
submission_2:
  submitters:
  - name: 李雷
    sid: '7'
  created_at: !ruby/object:ActiveSupport::TimeWithZone 2026-10-31 10:00:00 Z
submission_3: !ruby/hash:ActiveSupport::HashWithIndifferentAccess
  :submitters: {":name:": Solo, ":sid:": "9"}
submission_4:
  :score: not a number
submission_5: just a string
"""


def odd_export(tmp_path):
    root = tmp_path / "assignment_export"
    root.mkdir()
    (root / "submission_metadata.yml").write_text(ODD_METADATA, encoding="utf-8")
    for name in ("submission_1", "submission_2", "submission_3", "submission_6"):
        (root / name).mkdir()
        (root / name / "rnn_cell.py").write_text("x = 1\n")
    (root / "submission_5").mkdir()  # empty; submission_4 has no folder, submission_6 no record
    return root


def test_an_odd_export_is_read_leniently(tmp_path):
    submissions = {s.id: s for s in read_export(odd_export(tmp_path), tmp_path / "unpacked")}
    assert sorted(submissions) == [f"submission_{i}" for i in range(1, 7)]
    first = submissions["submission_1"]
    assert first.submitters == [
        Submitter("O'Brien, Seán", "0042", "sean@example.edu"), Submitter('Zoë "Z" Müller', "43", "zoe@example.edu"),
    ]
    assert first.created_at.startswith("2026-10-30T21:14:05") and first.old_score == 12.5 and not first.problem
    assert submissions["submission_2"].submitters == [Submitter("李雷", "7", "")]
    assert submissions["submission_3"].submitters == [Submitter("Solo", "9", "")]
    assert submissions["submission_4"].old_score is None
    assert "no submission_4/ folder" in submissions["submission_4"].problem
    assert "is empty" in submissions["submission_5"].problem
    assert "no record" in submissions["submission_6"].problem


def test_a_zip_export_is_unpacked_without_escaping(tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("assignment_export/submission_metadata.yml", "submission_1:\n  :score: 1\n")
        bundle.writestr("assignment_export/submission_1/rnn_cell.py", "x = 1\n")
        bundle.writestr("../escaped.py", "evil\n")
    submissions = read_export(archive, tmp_path / "unpacked")
    assert [s.id for s in submissions] == ["submission_1"] and not submissions[0].problem
    assert not (tmp_path / "escaped.py").exists()


@pytest.mark.parametrize("make", [
    lambda p: p / "missing",
    lambda p: (p / "folder").mkdir() or p / "folder",
    lambda p: (p / "not.zip").write_text("hello") and p / "not.zip",
    lambda p: (p / "bad").mkdir() or (p / "bad" / "submission_metadata.yml").write_text("[1, 2") and p / "bad",
])
def test_something_that_is_not_an_export_is_one_clear_error(tmp_path, make):
    path = make(tmp_path)
    with pytest.raises(NotAnExport):
        read_export(path, tmp_path / "unpacked")
    proc = subprocess.run([*RNNKIT, "grade-export", "hw1_rnn_cell", str(path), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout.count("\n") == 1 and "rnnkit grade-export:" in proc.stdout, proc.stdout


def test_gradebook_has_one_row_per_submitter_and_regrades_differ(tmp_path):
    submissions = {s.id: s for s in read_export(odd_export(tmp_path), tmp_path / "unpacked")}
    results = {
        "tests": [
            {"name": "f: one", "number": "1.1", "score": 2.0, "max_score": 2.0, "status": "passed"},
            {"name": "f: two", "number": "1.2", "score": 0.0, "max_score": 1.0, "status": "failed"},
        ]
    }
    rows = [(submissions["submission_1"], results, "graded"), (submissions["submission_4"], None, "not graded: x")]
    table = list(csv.reader(io.StringIO(grades_csv(rows))))
    assert table[0][:7] == ["SID", "Email", "Name", "Submission ID", "Score", "Max Points", "Status"]
    assert table[0][7:] == ["1.1 f: one", "1.2 f: two"]
    members = [row for row in table[1:] if row[3] == "1"]
    assert [row[2] for row in members] == ["O'Brien, Seán", 'Zoë "Z" Müller']
    assert all(row[4:] == ["2", "3", "graded", "2", "0"] for row in members)
    assert [row[3:7] for row in table[1:] if row[3] == "4"] == [["4", "", "", "not graded: x"]]
    regrades = list(csv.reader(io.StringIO(regrade_csv(rows))))
    assert regrades[1:] == [["1", "O'Brien, Seán; Zoë \"Z\" Müller", "12.5", "2", "-10.5"]]


def grade_export(export, out, *extra, timeout=900):
    return subprocess.run(
        [*RNNKIT, "grade-export", "hw1_rnn_cell", str(export), "--out", str(out), *extra],
        capture_output=True, text=True, timeout=timeout,
    )


@pytest.fixture(scope="module")
def sample_class(tmp_path_factory):
    """The bundled HW1 sample class, zipped as Gradescope hands it out, and graded once."""
    work = tmp_path_factory.mktemp("sample")
    archive = work / "export.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in sorted(SAMPLE.rglob("*")):
            bundle.write(path, Path("assignment_1234_export") / path.relative_to(SAMPLE))
    proc = grade_export(archive, work / "out", "--workers", "2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return work / "out", proc.stdout


def test_the_sample_class_is_graded_as_expected(sample_class):
    out, stdout = sample_class
    rows = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text())))
    by_submission = {}
    for row in rows:
        by_submission.setdefault(row["Submission ID"], []).append(row)
    full = by_submission["1100"][0]
    assert full["Score"] == full["Max Points"] != ""
    assert by_submission["1101"][0]["Score"] == "0"  # the stub
    for wrong in ("1102", "1103", "1104", "1105", "1107", "1108"):  # wrong, torch, a hang
        row = by_submission[wrong][0]
        assert row["Status"] == "graded" and 0 < float(row["Score"]) < float(row["Max Points"]), row
    assert by_submission["1106"][0]["Score"] == "0"  # a syntax error imports nothing
    # Correct code that tries to kill the grader: the attempt fails, the batch goes on, the code scores.
    assert by_submission["1109"][0]["Score"] == full["Max Points"]
    assert by_submission["1110"][0]["Score"] == full["Max Points"]  # renamed file, graded as the module
    assert len(by_submission["1111"]) == 2 and {r["Score"] for r in by_submission["1111"]} == {full["Max Points"]}
    for skipped, reason in (("1112", "is empty"), ("1113", "rnn_cell.py was not found"),
                            ("1114", "no submission_1114/ folder"), ("1115", "no record")):
        row = by_submission[skipped][0]
        assert reason in row["Status"] and row["Score"] == "", row
    regrades = list(csv.DictReader(io.StringIO((out / "regrade.csv").read_text())))
    assert [r["Submission ID"] for r in regrades] == ["1103"]  # the one recorded by an older grader
    assert "graded 12 submissions, 4 not graded" in stdout


def test_the_report_renders_in_chromium_with_its_figures(sample_class, tmp_path):
    report = sample_class[0] / "report.html"
    text = report.read_text()
    assert "http://" not in text and "https://" not in text  # self-contained
    dom = chromium_dom(report, tmp_path)
    assert dom.count("<img") == 2 and dom.count('data-loaded="yes"') == 2, dom[:2000]
    assert "Not graded" in dom and "submission_1112" in dom and "rnn_cell_forward" in dom


def test_killed_with_sigkill_and_run_again_it_grades_only_what_is_missing(tmp_path):
    """The final grades.csv is byte for byte the one of an uninterrupted run."""
    export = tmp_path / "export"
    export.mkdir()
    keep = [f"submission_{i}" for i in (1100, 1101, 1102, 1104, 1105, 1110)]
    for name in keep:
        shutil.copytree(SAMPLE / name, export / name)
    metadata = (SAMPLE / "submission_metadata.yml").read_text()
    (export / "submission_metadata.yml").write_text(metadata)  # records without folders: skipped alike

    whole = grade_export(export, tmp_path / "whole", "--workers", "2")
    assert whole.returncode == 0, whole.stdout + whole.stderr

    out = tmp_path / "resumed"
    run = subprocess.Popen([*RNNKIT, "grade-export", "hw1_rnn_cell", str(export), "--out", str(out), "--workers", "2"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while len(list(out.glob("submissions/*/results.json"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    time.sleep(1.0)  # the grading processes notice within 0.2 s and end, mid-submission or not
    first = {p.parent.name for p in out.glob("submissions/*/results.json")}
    time.sleep(2.0)
    assert {p.parent.name for p in out.glob("submissions/*/results.json")} == first, "a grading process lived on"
    assert 2 <= len(first) < len(keep) and not (out / "grades.csv").exists()

    again = grade_export(export, out, "--workers", "2")
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"resuming: {len(first)} of {len(keep)} submissions already graded" in again.stdout
    assert (out / "grades.csv").read_bytes() == (tmp_path / "whole" / "grades.csv").read_bytes()
    assert (out / "regrade.csv").read_bytes() == (tmp_path / "whole" / "regrade.csv").read_bytes()


def test_rnnkit_demo_the_quick_starts_main_job_runs(tmp_path):
    """`make demo` runs `rnnkit demo`: the release, the zips and every bundled sample class."""
    proc = subprocess.run([*RNNKIT, "demo", "--out", str(tmp_path), "--workers", "2"],
                          capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for homework in ("hw1_rnn_cell", "hw2_lstm_gates", "hw3_text_generation"):
        assert (tmp_path / homework / "report.html").is_file()
        assert (tmp_path / homework / "grades.csv").read_text().count("\n") > 5
    assert "grades.csv" in proc.stdout and "regrade.csv: 1 submission whose score differs" in proc.stdout
    # HW3's class handed in notebooks (and two modules), through the same path.
    rows = {row["Submission ID"]: row for row in csv.DictReader(io.StringIO(
        (tmp_path / "hw3_text_generation" / "grades.csv").read_text()))}
    full = rows["3100"]["Max Points"]
    assert rows["3100"]["Score"] == rows["3101"]["Score"] == full  # the module, the notebook
    assert rows["3105"]["Score"] == full  # an untagged training cell is stopped, nothing else lost
    assert rows["3102"]["Score"] == "0"  # the notebook as given
    for wrong in ("3103", "3104", "3106", "3107"):
        assert 0 < float(rows[wrong]["Score"]) < float(full), rows[wrong]
