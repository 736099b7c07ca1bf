"""Gradebook files an LMS imports as they are: one row per student, one score column.

``canvas.csv`` follows Canvas's gradebook import format: the identity columns ``Student, ID,
SIS User ID, SIS Login ID, Section`` in that order, then one column named after the assignment,
and a ``Points Possible`` row under the header. Canvas turns any column it does not know into a
new assignment, so the file holds nothing else: lateness and per-test scores stay in grades.csv.
Canvas matches a row to a student by its ID, SIS User ID or SIS Login ID; Gradescope knows the
student's SID (Canvas's SIS User ID when the roster came from Canvas) and email (the SIS Login ID
where logins are emails), so those fill the row and Canvas's own ID stays blank. Canvas lists any
row it cannot match on its import page before it changes anything.

``generic.csv`` is the same rows for any other LMS or spreadsheet: SID, Email, Name, Score, Max
Points, Lateness (H:M:S), Submission ID.

One row per student. A student can appear in several submissions of an export (a group
submission and an empty one of their own, or two groups): the row takes the graded submission;
among several graded ones, the latest; a student none of whose submissions was graded gets a blank
score (an import then leaves their grade as it is: a TA decides, with report.html's reasons).
The score is the final score: after the late penalty when a late policy was given.
"""

import csv
import io

from rnnkit.batch.gradebook import points, score_of
from rnnkit.batch.lateness import Deadline, format_lateness, submitted_at

CANVAS_IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
GENERIC_COLUMNS = ["SID", "Email", "Name", "Score", "Max Points", "Lateness (H:M:S)", "Submission ID"]
FILES = {"canvas": "canvas.csv", "generic": "generic.csv"}


def _student_key(person):
    """Who a submitter is, across submissions: the SID, else the email, else the name."""
    if person.sid:
        return ("sid", person.sid)
    if person.email:
        return ("email", person.email.lower())
    return ("name", person.name)


def students(rows):
    """[(Submitter, submission, results or None, graded)] per student, sorted by name then SID:
    each student's graded submission, the latest of several, or an ungraded one."""
    chosen = {}
    for submission, results, status in rows:
        graded = status == "graded" and results is not None
        for person in submission.submitters:
            key = _student_key(person)
            when = submitted_at(submission.created_at)
            rank = (graded, when.timestamp() if when else float("-inf"), submission.id)
            if key not in chosen or rank > chosen[key][0]:
                chosen[key] = (rank, person, submission, results if graded else None, graded)
    entries = [value[1:] for value in chosen.values()]
    return sorted(entries, key=lambda entry: (entry[0].name.casefold(), entry[0].sid, entry[0].email))


def _final(submission, results, deadline):
    """(final score, max points) of a graded submission; (None, None) otherwise."""
    if results is None:
        return None, None
    score, maximum = score_of(results)
    return deadline.final_score(submission, score), maximum


def canvas_csv(rows, assignment, deadline=Deadline()):
    """The Canvas import file for ``rows`` (as grades_csv takes them), the scores under the column
    ``assignment`` (the assignment's name in Canvas, as the instructor gives it)."""
    entries = students(rows)
    maximum = max((score_of(results)[1] for _, _, results, graded in entries if graded), default=None)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CANVAS_IDENTITY + [assignment])
    writer.writerow(["Points Possible", "", "", "", ""] + [points(maximum)])
    for person, submission, results, _ in entries:
        final, _ = _final(submission, results, deadline)
        writer.writerow([person.name, "", person.sid, person.email, "", points(final)])
    return out.getvalue()


def generic_csv(rows, deadline=Deadline()):
    """The same rows for any LMS: identity, final score, lateness."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(GENERIC_COLUMNS)
    for person, submission, results, _ in students(rows):
        final, maximum = _final(submission, results, deadline)
        writer.writerow([
            person.sid, person.email, person.name, points(final), points(maximum),
            format_lateness(deadline.late_seconds(submission)), submission.id.removeprefix("submission_"),
        ])
    return out.getvalue()


def write(kind, rows, out_dir, assignment, deadline=Deadline()):
    """Write the ``kind`` ("canvas" or "generic") file into ``out_dir``; returns its path."""
    path = out_dir / FILES[kind]
    text = canvas_csv(rows, assignment, deadline) if kind == "canvas" else generic_csv(rows, deadline)
    path.write_text(text, encoding="utf-8")
    return path
