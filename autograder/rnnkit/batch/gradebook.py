"""grades.csv and regrade.csv from the results.json of every submission of an export.

grades.csv has one row per submitter (a group submission gives one row per member, with the same
scores), keyed by SID and email so it joins Gradescope's grades CSV and an LMS gradebook. Rows and
columns depend only on the export and the results, never on timing, so a resumed batch writes the
same bytes as an uninterrupted one.
"""

import csv
import io
import math

from rnnkit.batch.lateness import Deadline, format_lateness


def points(value):
    """A score as the CSV shows it: 2 rather than 2.0, at most 4 decimals."""
    return f"{round(value, 4):g}" if value is not None else ""


def test_columns(all_results):
    """["1.1 name", ...]: every test of every graded submission, in Gradescope's number order."""
    columns = {}
    for results in all_results:
        for test in (results or {}).get("tests", []):
            columns.setdefault(test["number"], test["name"])
    def order(number):
        return tuple(int(part) if part.isdigit() else math.inf for part in number.split("."))
    return [(number, columns[number]) for number in sorted(columns, key=order)]


def score_of(results):
    """(score, max_score) of a results.json: its `score` when set, else the sum of its tests."""
    tests = results.get("tests", [])
    maximum = sum(t.get("max_score", 0.0) for t in tests)
    score = results.get("score", sum(t.get("score", 0.0) for t in tests))
    return float(score), float(maximum)


def grades_csv(rows, deadline=Deadline()):
    """``rows``: (ExportedSubmission, results or None, status) per submission, sorted by id.
    When and how late each submission came (``deadline.due``); with a late policy, also the
    penalty and the final score after it."""
    columns = test_columns([results for _, results, status in rows if status == "graded"])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    penalized = deadline.policy is not None
    writer.writerow(
        ["SID", "Email", "Name", "Submission ID", "Score", "Max Points", "Status", "Submitted At", "Lateness (H:M:S)"]
        + (["Late Penalty (%)", "Final Score"] if penalized else [])
        + [f"{number} {name}" for number, name in columns]
    )
    lines = []
    for submission, results, status in rows:
        per_test = {}
        score = maximum = None
        if results is not None and status == "graded":  # not graded: blank, not a misleading 0
            score, maximum = score_of(results)
            per_test = {t["number"]: t.get("score", 0.0) for t in results.get("tests", [])}
        late = deadline.late_seconds(submission)
        timing = [submission.created_at, format_lateness(late)]
        if penalized:  # blank where the time is unknown or nothing was graded: no penalty to state
            final = None if score is None else deadline.final_score(submission, score)
            timing += [points(deadline.penalty_percent(submission) if late is not None else None), points(final)]
        cells = [points(score), points(maximum), status, *timing] + [points(per_test.get(n)) for n, _ in columns]
        people = submission.submitters or [None]
        for person in people:
            identity = [person.sid, person.email, person.name] if person else ["", "", ""]
            lines.append(identity + [submission.id.removeprefix("submission_")] + cells)
    lines.sort(key=lambda line: (line[0], line[1], line[3], line[2]))
    writer.writerows(lines)
    return out.getvalue()


def regrade_csv(rows):
    """The submissions whose new score differs from the score the export recorded."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Submission ID", "Submitters", "Old Score", "New Score", "Change"])
    for submission, results, _ in rows:
        if results is None or submission.old_score is None:
            continue
        new, _ = score_of(results)
        if abs(new - submission.old_score) > 1e-9:
            names = "; ".join(p.name or p.email or p.sid for p in submission.submitters)
            writer.writerow([
                submission.id.removeprefix("submission_"), names, points(submission.old_score),
                points(new), points(new - submission.old_score),
            ])
    return out.getvalue()
