"""Grading a whole class: the export reader, the gradebook, the report in a browser, resuming after
kill -9, and `rnnkit demo`'s sample class."""

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from conftest import RNNKIT, ROOT, chromium_dom
from test_lms import assert_canvas_import_file
from rnnkit import homeworks
from rnnkit.batch.export import NotAnExport, Submitter, read_export
from rnnkit.batch.gradebook import grades_csv, regrade_csv
from rnnkit.sample_class import DUE, LATE_POLICY, MODULES, older_grader_entries, write_export


@pytest.fixture(scope="module")
def sample_export(tmp_path_factory):
    """HW1's sample class, written from its recipes."""
    return write_export("hw1_rnn_cell", tmp_path_factory.mktemp("sample_export") / "hw1_rnn_cell")

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
    assert table[0][:9] == ["SID", "Email", "Name", "Submission ID", "Score", "Max Points", "Status",
                            "Submitted At", "Lateness (H:M:S)"]
    assert table[0][9:] == ["1.1 f: one", "1.2 f: two"]
    members = [row for row in table[1:] if row[3] == "1"]
    assert [row[2] for row in members] == ["O'Brien, Seán", 'Zoë "Z" Müller']
    assert all(row[4:7] + row[9:] == ["2", "3", "graded", "2", "0"] for row in members)
    assert [row[3:7] for row in table[1:] if row[3] == "4"] == [["4", "", "", "not graded: x"]]
    regrades = list(csv.reader(io.StringIO(regrade_csv(rows))))
    assert regrades[1:] == [["1", "O'Brien, Seán; Zoë \"Z\" Müller", "12.5", "2", "-10.5"]]


def grade_export(export, out, *extra, timeout=900):
    return subprocess.run(
        [*RNNKIT, "grade-export", "hw1_rnn_cell", str(export), "--out", str(out), *extra],
        capture_output=True, text=True, timeout=timeout,
    )


@pytest.fixture(scope="module")
def sample_class(tmp_path_factory, sample_export):
    """HW1's sample class, zipped as Gradescope hands it out, and graded once."""
    work = tmp_path_factory.mktemp("sample")
    archive = work / "export.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in sorted(sample_export.rglob("*")):
            bundle.write(path, Path("assignment_1234_export") / path.relative_to(sample_export))
    proc = grade_export(archive, work / "out", "--workers", "2", "--lms", "canvas", "--lms-assignment", "HW1 (RNN cell)",
                        "--due", DUE, "--late-policy", LATE_POLICY)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return work / "out", proc.stdout


def test_the_sample_class_gives_canvas_one_row_per_student_after_the_late_policy(sample_class):
    out, stdout = sample_class
    scores = assert_canvas_import_file((out / "canvas.csv").read_text(), "HW1 (RNN cell)")
    grades = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text())))
    assert len(scores) == len({row["SID"] for row in grades if row["SID"]}) == 15
    by_sid = {row["SID"]: row for row in grades if row["Status"] == "graded"}
    assert scores["1001"] == by_sid["1001"]["Score"] == by_sid["1001"]["Final Score"]  # on time
    # 1011 handed in at 22:10, the end of the grace period; 1012 at 22:17: one started hour late.
    assert by_sid["1011"]["Lateness (H:M:S)"] == "0:10:00" and by_sid["1011"]["Late Penalty (%)"] == "0"
    assert by_sid["1012"]["Late Penalty (%)"] == "10"
    assert float(scores["1012"]) == pytest.approx(0.9 * float(by_sid["1012"]["Score"]))
    assert scores["1013"] == by_sid["1013"]["Final Score"]  # the group's graded work, not their empty folder
    assert scores["1014"] == ""  # nothing gradable: the grade is left for a TA
    assert "canvas.csv" in stdout and "10%/hour" in (out / "report.html").read_text()


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
    dom = chromium_dom(report, tmp_path, screenshot=tmp_path / "report.png")
    assert dom.count("<img") == 2 and dom.count('data-loaded="yes"') == 2, dom[:2000]
    assert "Not graded" in dom and "submission_1112" in dom and "rnn_cell_forward" in dom
    # The stub's functions once each, every test's causes as code blocks with linked submissions.
    unimplemented = dom.split('id="unimplemented"', 1)[1].split("</ul>", 1)[0]
    assert unimplemented.count("<li>") == 7 and 'href="submissions/submission_1101/results.json"' in unimplemented
    assert "NotImplementedError" not in dom.split("Tests, lowest pass rate first", 1)[1]
    assert "<pre>" in dom and 'href="similarity.html"' in dom
    # Drawn: a page of figures and tables is far bigger than a blank one (about 5 kB).
    assert (tmp_path / "report.png").stat().st_size > 100_000


def test_the_report_groups_one_cause_across_students_and_sorts_by_pass_rate(tmp_path):
    from rnnkit.batch.report import render

    submissions = {s.id: s for s in read_export(small_export(tmp_path, {k: "x = 1\n" for k in (1, 2, 3, 4)}),
                                                tmp_path / "unpacked")}

    def results(first, second):
        return {"tests": [
            {"name": "f: works", "number": "1.1", "score": 0.0 if first else 1.0, "max_score": 1.0,
             "status": "failed" if first else "passed", "output": first or ""},
            {"name": "g: shape [case a]", "number": "1.2", "score": 0.0, "max_score": 1.0, "status": "failed",
             "output": second},
        ], "extra_data": {"homework": "hw1_rnn_cell", "status": "graded"}}

    where = "\n\nWhere (your code, most recent call last):\n  File \"rnn_cell.py\", line {}, in g\n    x[{}]"
    rows = [
        (submissions["submission_1"], results("", "`g` raised IndexError: index 5 is out of bounds" + where.format(3, 5)), "graded"),
        (submissions["submission_2"], results("", "`g` raised IndexError: index 7 is out of bounds" + where.format(9, 7)), "graded"),
        (submissions["submission_3"], results("`f` raised NotImplementedError: f is not implemented yet",
                                              "g returned shape (2, 3), expected (3, 2)."), "graded"),
        (submissions["submission_4"], results("", "`g` raised NotImplementedError: g is not implemented yet"), "graded"),
    ]
    page = render("HW1", rows)
    table = page.split("Tests, lowest pass rate first", 1)[1]
    # Two tracebacks that differ in line and value are one cause, listed with both submissions.
    assert table.count("2 submissions</b>") == 1 and table.count("<li>") == 2
    assert "submissions/submission_1/results.json" in table and "submissions/submission_2/results.json" in table
    assert "line 3" in table and "x[5]" in table  # one student's full message, as a code block
    assert "NotImplementedError" not in table  # the stub's functions are counted apart, once
    assert "<code>f</code>: 1 submission" in page and "<code>g</code>: 1 submission" in page
    assert table.index("g: shape [case a]") < table.index("f: works")  # 0% before 75%


def test_killed_with_sigkill_and_run_again_it_grades_only_what_is_missing(tmp_path, sample_export):
    """The final grades.csv is byte for byte the one of an uninterrupted run."""
    export = tmp_path / "export"
    export.mkdir()
    keep = [f"submission_{i}" for i in (1100, 1101, 1102, 1104, 1105, 1110)]
    for name in keep:
        shutil.copytree(sample_export / name, export / name)
    metadata = (sample_export / "submission_metadata.yml").read_text()
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
    """`make demo` runs `rnnkit demo`: the release, the zips and every sample class, written from its
    recipes. Its recorded scores are the current graders' (sample_class_scores.json): regrade.csv
    lists exactly the entries recorded by an "older grader"."""
    proc = subprocess.run([*RNNKIT, "demo", "--out", str(tmp_path), "--workers", "2"],
                          capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for homework in ("hw1_rnn_cell", "hw2_lstm_gates", "hw3_text_generation", "hw4_seq2seq"):
        assert (tmp_path / homework / "report.html").is_file()
        assert (tmp_path / homework / "grades.csv").read_text().count("\n") > 5
        assert_canvas_import_file((tmp_path / homework / "canvas.csv").read_text(), homeworks.load(homework).title)
    assert "grades.csv" in proc.stdout and "canvas.csv" in proc.stdout
    for homework in MODULES:
        regrades = list(csv.DictReader(io.StringIO((tmp_path / homework / "regrade.csv").read_text())))
        assert [r["Submission ID"] for r in regrades] == older_grader_entries(homework), (
            f"{homework}: the sample class's recorded scores are not the current graders': "
            "run `python -m rnnkit.sample_class --record`")
    # HW3's class handed in notebooks (and two modules), through the same path.
    rows = {row["Submission ID"]: row for row in csv.DictReader(io.StringIO(
        (tmp_path / "hw3_text_generation" / "grades.csv").read_text()))}
    full = rows["3100"]["Max Points"]
    assert rows["3100"]["Score"] == rows["3101"]["Score"] == full  # the module, the notebook
    assert rows["3105"]["Score"] == full  # an untagged training cell is stopped, nothing else lost
    assert rows["3102"]["Score"] == "0"  # the notebook as given
    for wrong in ("3103", "3104", "3106", "3107"):
        assert 0 < float(rows[wrong]["Score"]) < float(full), rows[wrong]


# --- kit problems are graded again; silent import crashes are listed apart ---------------------

def small_export(tmp_path, sources):
    """An export folder with one submission_<id>/rnn_cell.py per entry of ``sources``."""
    export = tmp_path / "export"
    export.mkdir()
    records = []
    for key, source in sources.items():
        (export / f"submission_{key}").mkdir()
        (export / f"submission_{key}" / "rnn_cell.py").write_text(source)
        records.append(f"submission_{key}:\n  :submitters:\n  - :name: Student {key}\n    :sid: '{key}'\n")
    (export / "submission_metadata.yml").write_text("".join(records))
    return export


def fake_results(kit_error=None, output=None, status="graded"):
    results = {"tests": [{"name": "f: one", "number": "1.1", "score": 1.0, "max_score": 1.0, "status": "passed"}],
               "extra_data": {"homework": "hw1_rnn_cell", "status": status}}
    if kit_error:
        results["extra_data"]["kit_error"] = kit_error
    if output:
        results["output"] = output
    return results


def test_resume_grades_kit_problems_again_and_skips_the_rest(tmp_path, monkeypatch, capsys):
    """A results.json with a kit error (or, from a run killed before the batch noted it, the
    engine's own status "kit problem") is not a grade: the next run grades it again."""
    import rnnkit.batch
    from rnnkit import homeworks
    from rnnkit.batch.pool import Done
    from rnnkit.results import write_json_atomically

    export = small_export(tmp_path, {k: "x = 1\n" for k in (1, 2, 3, 4)})
    out = tmp_path / "out"
    previous = {
        1: fake_results(),  # graded: kept
        2: fake_results(kit_error="RuntimeError: the sandbox could not start"),
        3: {"score": 0.0, "output": rnnkit.batch.KIT_FAILED_OUTPUT,
            "extra_data": {"homework": "hw1_rnn_cell", "kit_error": "the grading process died"}},
        4: fake_results(status="kit problem"),
    }
    for key, results in previous.items():
        write_json_atomically(out / "submissions" / f"submission_{key}" / "results.json", results)
    graded = []

    class FakePool:
        def __init__(self, *args, **kwargs):
            pass

        def run(self, tasks):
            for task in tasks:
                graded.append(task.key)
                write_json_atomically(Path(task.out_dir) / "results.json", fake_results())
                yield Done(task.key, True, "")

    monkeypatch.setattr(rnnkit.batch, "GradingPool", FakePool)
    summary = rnnkit.batch.grade_export(homeworks.load("hw1_rnn_cell"), export, out, workers=1)
    assert graded == ["submission_2", "submission_3", "submission_4"]
    assert "resuming: 1 of 4 submissions already graded; grading 3 kit problems again" in capsys.readouterr().out
    assert (summary.graded, summary.not_graded, summary.kit_problems) == (4, 0, [])
    statuses = [row["Status"] for row in csv.DictReader(io.StringIO((out / "grades.csv").read_text()))]
    assert statuses == ["graded"] * 4


def crash_output(module="rnn_cell.py", tail=""):
    message = (f"importing {module} crashed Python (exit code 0), twice in a row and with no output at all: "
               "something the file runs when it is imported (its code outside functions) exits or crashes Python")
    return message + (f"\n\nLast output:\n{tail}" if tail else "")


def test_the_report_lists_silent_import_crashes_apart(tmp_path):
    from rnnkit.batch.report import crashed_at_import, render

    submissions = {s.id: s for s in read_export(small_export(tmp_path, {k: "x = 1\n" for k in (1, 2, 3, 4)}),
                                                tmp_path / "unpacked")}
    rows = [
        (submissions["submission_1"], fake_results(), "graded"),
        (submissions["submission_2"], fake_results(output=crash_output()), "graded"),
        (submissions["submission_3"], fake_results(output=crash_output(tail="Segmentation fault")), "graded"),
        (submissions["submission_4"], fake_results(kit_error="boom"), "kit problem: boom"),
    ]
    assert [crashed_at_import(r) for _, r, _ in rows] == [False, True, False, False]
    page = render("HW1", rows)
    section = page.split("id='import-crashes'", 1)[1]
    assert "submission_2" in section and "Student 2" in section and "importing rnn_cell.py crashed Python" in section
    assert "submission_1" not in section and "submission_3" not in section  # one printed something: its own
    assert "kit problem" in page and "run the same <code>rnnkit grade-export</code> again" in page
    assert "<p>None.</p>" in render("HW1", rows[:1]).split("id='import-crashes'", 1)[1]


def test_a_real_export_reports_the_silent_crash_and_regrades_a_kit_problem(tmp_path):
    """End to end: a file that exits without a word at import is graded 0 and listed apart for a
    TA; a results.json marked as a kit problem is graded again by the next run."""
    reference = (ROOT / "solutions" / "hw1_rnn_cell" / "rnn_cell.py").read_text()
    export = small_export(tmp_path, {1: reference, 2: "import os\nos._exit(0)\n"})
    out = tmp_path / "out"
    first = grade_export(export, out, "--workers", "1")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "1 submission crashed Python at import with no output" in first.stdout and "submission_2" in first.stdout
    report = (out / "report.html").read_text().split("id='import-crashes'", 1)[1]
    assert "submission_2" in report and "submission_1" not in report

    path = out / "submissions" / "submission_1" / "results.json"
    marked = json.loads(path.read_text())
    marked["extra_data"]["kit_error"] = "RuntimeError: a kit bug, since fixed"
    path.write_text(json.dumps(marked))
    again = grade_export(export, out, "--workers", "1")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "resuming: 1 of 2 submissions already graded; grading 1 kit problem again" in again.stdout
    regraded = json.loads(path.read_text())
    assert "kit_error" not in regraded["extra_data"]
    rows = {row["Submission ID"]: row for row in csv.DictReader(io.StringIO((out / "grades.csv").read_text()))}
    assert rows["1"]["Status"] == "graded" and rows["1"]["Score"] == rows["1"]["Max Points"] == "69"
    assert rows["2"]["Status"] == "graded" and rows["2"]["Score"] == "0"
