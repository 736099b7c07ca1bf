"""LMS gradebook files and lateness: canvas.csv as Canvas's gradebook import reads it, one row
per student, late policies as an instructor writes them."""

import csv
import datetime
import io

import pytest

from rnnkit.batch.export import ExportedSubmission, Submitter
from rnnkit.batch.gradebook import grades_csv
from rnnkit.batch.lateness import BadLateOption, Deadline, LatePolicy, format_lateness, parse_due
from rnnkit.batch.lms import canvas_csv, generic_csv

# Canvas's gradebook import (Canvas Instructor Guide, "How do I import grades in the Gradebook?"):
# the identity columns, in this order, then one column per assignment; a "Points Possible" row
# may follow the header; a row names its student by ID, SIS User ID or SIS Login ID; scores are
# numbers or blank (blank leaves the grade as it is). Any other column becomes a new assignment.
CANVAS_IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def assert_canvas_import_file(text, assignment):
    """Check ``text`` against Canvas's documented import format; returns {SIS User ID: score}."""
    assert not text.startswith("\ufeff") and text.endswith("\n")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == CANVAS_IDENTITY + [assignment], table[0]  # nothing Canvas would make an assignment of
    assert table[1][0] == "Points Possible" and table[1][1:5] == [""] * 4
    possible = float(table[1][5])
    scores, seen = {}, set()
    for row in table[2:]:
        assert len(row) == 6, row
        name, canvas_id, sis_user, sis_login, _, score = row
        assert name and (canvas_id or sis_user or sis_login), row  # Canvas can match it to a student
        key = sis_user or sis_login
        assert key not in seen, f"{key} appears twice"
        seen.add(key)
        if score:
            assert 0 <= float(score) <= possible, row
        scores[key] = score
    return scores


def person(name, sid):
    return Submitter(name, sid, f"s{sid}@example.edu")


def results(score, maximum=10.0):
    return {"tests": [{"name": "f: one", "number": "1.1", "score": score, "max_score": maximum,
                       "status": "passed" if score == maximum else "failed"}]}


def submission(number, people, minutes):
    at = datetime.datetime(2026, 10, 30, 23, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=-7)))
    return ExportedSubmission(f"submission_{number}", None, people, (at + datetime.timedelta(minutes=minutes)).isoformat())


ADA, ALAN, ZOE, LEI = person("Ada Lovelace", "1001"), person("Alan Turing", "1002"), \
    person('Müller, Zoë "Z"', "1003"), person("李雷", "1004")
ROWS = [
    (submission(1, [ADA, ALAN], 0), results(10.0), "graded"),  # a group of two, on time
    (submission(2, [ALAN], 30), None, "not graded: submission_2/ is empty"),  # and an empty one of Alan's
    (submission(3, [ZOE], 100), results(4.0), "graded"),  # Zoë's first, 40 minutes late
    (submission(4, [ZOE], 25 * 60 + 60), results(8.0), "graded"),  # and her later, better one, 25 h late
    (submission(5, [LEI], 10), None, "kit problem: the sandbox could not start"),
]
DUE = parse_due("2026-10-31T00:00-07:00")


def test_canvas_file_has_one_row_per_student_in_canvas_import_format():
    scores = assert_canvas_import_file(canvas_csv(ROWS, "HW1: RNN cell"), "HW1: RNN cell")
    # Alan: the graded group submission, not his empty one; Zoë: her latest graded one; Lei: blank.
    assert scores == {"1001": "10", "1002": "10", "1003": "8", "1004": ""}
    table = list(csv.reader(io.StringIO(canvas_csv(ROWS, "HW1"))))
    assert [row[0] for row in table[2:]] == ["Ada Lovelace", "Alan Turing", 'Müller, Zoë "Z"', "李雷"]
    assert table[4][3] == "s1003@example.edu"


def test_the_late_policy_changes_the_lms_score_and_nothing_without_it():
    deadline = Deadline(DUE, LatePolicy.parse("10%/day, grace=15m, cap=50%"))
    # Zoë's latest is 25 h late: two started days, 20% off her 8 points.
    assert assert_canvas_import_file(canvas_csv(ROWS, "HW1", deadline), "HW1")["1003"] == "6.4"
    assert assert_canvas_import_file(canvas_csv(ROWS, "HW1", Deadline(DUE)), "HW1")["1003"] == "8"
    generic = list(csv.DictReader(io.StringIO(generic_csv(ROWS, deadline))))
    assert list(generic[0]) == ["SID", "Email", "Name", "Score", "Max Points", "Lateness (H:M:S)", "Submission ID"]
    zoe = next(row for row in generic if row["SID"] == "1003")
    assert (zoe["Score"], zoe["Lateness (H:M:S)"], zoe["Submission ID"]) == ("6.4", "25:00:00", "4")


def test_grades_csv_carries_lateness_always_and_the_penalty_only_with_a_policy():
    plain = list(csv.DictReader(io.StringIO(grades_csv(ROWS, Deadline(DUE)))))
    assert "Final Score" not in plain[0] and "Late Penalty (%)" not in plain[0]
    late = {row["Submission ID"]: row["Lateness (H:M:S)"] for row in plain}
    assert late["1"] == "0:00:00" and late["3"] == "0:40:00" and late["4"] == "25:00:00"
    penalized = list(csv.DictReader(io.StringIO(grades_csv(ROWS, Deadline(DUE, LatePolicy.parse("10%/day,grace=1h"))))))
    by_id = {row["Submission ID"]: row for row in penalized}
    assert by_id["3"]["Late Penalty (%)"] == "0" and by_id["3"]["Final Score"] == "4"  # inside the grace period
    assert by_id["4"]["Score"] == "8" and by_id["4"]["Final Score"] == "7.2"  # 24 h past grace: one day
    assert by_id["2"]["Final Score"] == ""  # not graded: no score to penalize


@pytest.mark.parametrize("text, late_hours, percent", [
    ("10%/day", 0, 0), ("10%/day", 0.01, 10), ("10%/day", 24, 10), ("10%/day", 24.01, 20),
    ("2%/hour,grace=30m", 0.5, 0), ("2%/hour,grace=30m", 0.6, 2), ("25%/day,cap=50%", 100, 50),
    ("5 % / days , grace = 1 d", 47, 5),
])
def test_late_policies_read_as_written(text, late_hours, percent):
    assert LatePolicy.parse(text).penalty_percent(late_hours * 3600) == pytest.approx(percent)


@pytest.mark.parametrize("text", ["", "10", "10%/fortnight", "grace=5m", "10%/day,cap=150%", "10%/day,grace=soon"])
def test_a_late_policy_that_cannot_be_read_is_one_clear_error(text):
    with pytest.raises(BadLateOption, match="late-policy"):
        LatePolicy.parse(text)


def test_a_due_date_needs_its_utc_offset():
    with pytest.raises(BadLateOption, match="UTC offset"):
        parse_due("2026-10-31T23:59")
    with pytest.raises(BadLateOption, match="not a date"):
        parse_due("Friday")
    assert parse_due("2026-10-31T06:59Z") == parse_due("2026-10-30T23:59-07:00")
    assert format_lateness(90061) == "25:01:01"
