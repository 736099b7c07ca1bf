"""report.html: one self-contained page of what a class got right and wrong.

The score distribution and every test's pass rate, lowest first, as figures (PNG, embedded as
data: URLs, so the file opens anywhere without a network); the functions students left
unimplemented, once each; the notebook cells that did not run; every test's failures grouped by
cause across students (the message's lead with its numbers and quoted values set aside, so one
mistake is one line however each student's traceback reads), each with the submissions, linked
to their results.json, and one full message as a code block; the submissions that could not be
graded, with the reason, and the graded ones whose import crashed Python without a word, which a
TA should regrade. Messages are read as the graders' plain text (results.json holds Markdown).
"""

import base64
import collections
import html
import io
import re
import textwrap
from dataclasses import dataclass, field

from rnnkit.batch.gradebook import score_of, test_columns
from rnnkit.feedback_markdown import plain_text

MESSAGE_CHARS = 300  # a message longer than this is folded (<details>), never cut
# The stub's own words, and the engine's for a function that is not there at all: one cause,
# shown once per function rather than under every test that calls it.
_UNIMPLEMENTED = re.compile(r"^`([\w.]+)` raised NotImplementedError|has no function named `?([\w.]+)")
# A notebook cell that did not run (the engine lists them in the top-level output).
_CELL_ERROR = re.compile(r"^- code cell \d+ \(`(?P<code>.*?)`\) (?P<error>raised \w+)")
# What differs between students with the same cause: numbers, quoted values, file positions.
_VARYING = [
    (re.compile(r"File \"[^\"]*\", line \d+"), "File …"),
    (re.compile(r"'[^']*'|\"[^\"]*\""), "'…'"),
    (re.compile(r"(?<![\w.])[-+]?\d+(\.\d+)?(e[-+]?\d+)?\b"), "N"),
]
# The sandbox's words when Python died while importing the submission (rnnkit.sandbox); with no
# "Last output:" after them, it died without printing anything, twice in a row.
_IMPORT_CRASH = re.compile(r"importing \S+ crashed Python \(")


@dataclass
class Cause:
    key: str  # the message's lead with what varies between students set aside
    example: str  # one student's full message
    ids: list = field(default_factory=list)


@dataclass
class Causes:
    passes: collections.Counter = field(default_factory=collections.Counter)
    failures: dict = field(default_factory=lambda: collections.defaultdict(dict))  # test -> key -> Cause
    unimplemented: dict = field(default_factory=lambda: collections.defaultdict(list))  # function -> ids
    cell_errors: dict = field(default_factory=dict)  # key -> Cause


def cause_key(message):
    """The cause a message names, the same for every student it happens to: its first sentence
    (before any traceback), with numbers, quoted values and file positions set aside."""
    lead = message.split("\n\n", 1)[0].split("Where (your code", 1)[0]
    lead = re.split(r"(?<=[.:!?])\s", " ".join(lead.split()), maxsplit=1)[0]
    for pattern, replacement in _VARYING:
        lead = pattern.sub(replacement, lead)
    return lead


def causes_of(graded):
    """Every graded submission's failures, grouped by test and cause."""
    causes = Causes()
    for submission, results in graded:
        for test in results["tests"]:
            if test["status"] == "passed":
                causes.passes[test["number"]] += 1
                continue
            message = plain_text(test.get("output", ""))
            missing = _UNIMPLEMENTED.search(message)
            if missing:  # counted once per function, not under each of its tests
                ids = causes.unimplemented[missing[1] or missing[2]]
                if submission.id not in ids:
                    ids.append(submission.id)
                continue
            key = cause_key(message)
            group = causes.failures[test["number"]].setdefault(key, Cause(key, message))
            group.ids.append(submission.id)
        for line in plain_text(str(results.get("output", ""))).splitlines():
            if (cell := _CELL_ERROR.match(line)):
                key = f"{cause_key(cell['code'])} {cell['error']}"
                causes.cell_errors.setdefault(key, Cause(key, line[2:])).ids.append(submission.id)
    return causes


def _number_key(number):
    return tuple(int(part) if part.isdigit() else 0 for part in number.split("."))


def _ids(ids):
    return "<span class='ids'>" + "".join(
        f"<a href='submissions/{html.escape(i)}/results.json'>{html.escape(i.removeprefix('submission_'))}</a>"
        for i in ids
    ) + "</span>"


def _message_block(message):
    block = f"<pre>{html.escape(message)}</pre>"
    if len(message) <= MESSAGE_CHARS:
        return block
    first = html.escape(message.splitlines()[0][:MESSAGE_CHARS // 2])
    return f"<details><summary><code>{first}</code> …</summary>{block}</details>"


def _cause_item(group):
    count = len(group.ids)
    return (f"<li><b>{count} submission{'s' * (count != 1)}</b>: {_ids(group.ids)}"
            f"{_message_block(group.example)}</li>")


def _unimplemented_section(unimplemented):
    parts = ["<h2 id='unimplemented'>Functions left unimplemented</h2>"]
    if not unimplemented:
        return parts + ["<p>None: every graded submission implements every function.</p>"]
    parts.append("<p>Each function once, with the submissions that left it as the stub gave it (or "
                 "without it); the tests that call it fail for that reason and are not listed again.</p><ul>")
    for function, ids in sorted(unimplemented.items(), key=lambda item: (-len(item[1]), item[0])):
        parts.append(f"<li><code>{html.escape(function)}</code>: {len(ids)} submission"
                     f"{'s' * (len(ids) != 1)} {_ids(ids)}</li>")
    return parts + ["</ul>"]


def _cell_errors_section(cell_errors):
    parts = ["<h2 id='cell-errors'>Notebook cells that did not run</h2>"]
    if not cell_errors:
        return parts + ["<p>None.</p>"]
    parts.append("<p>Code cells that raised when the notebook was run in order (what they define was "
                 "missing; the rest was graded).</p><ul class='causes'>")
    groups = sorted(cell_errors.values(), key=lambda group: (-len(group.ids), group.key))
    return parts + [_cause_item(group) for group in groups] + ["</ul>"]


def crashed_at_import(results):
    """Did importing this submission crash Python with no output? Mostly the student's own
    ``os._exit`` or a crash at import, but a start that fails on a loaded machine looks the same:
    a TA should regrade these before the zeros stand."""
    output = plain_text(str((results or {}).get("output", "")))
    return bool(_IMPORT_CRASH.search(output)) and "Last output:" not in output


def _figure_png(draw, width, height):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(width, height), dpi=100)
    draw(axes)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})  # no version stamp: same bytes each run
    pyplot.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _img(png, alt):
    # data-loaded marks a figure the browser decoded; the kit's own test reads it back.
    return (
        f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{png}" '
        "onload=\"this.dataset.loaded='yes'\">"
    )


def _score_histogram(scores, maximum):
    def draw(axes):
        bins = min(20, max(1, int(maximum))) if maximum else 10
        axes.hist(scores, bins=bins, range=(0, maximum or 1), color="#4c72b0", edgecolor="white")
        axes.set_xlabel(f"score (out of {maximum:g})")
        axes.set_ylabel("submissions")
        axes.set_title("Score distribution")
    return _figure_png(draw, 7, 3.2)


def _pass_rate_bars(labels, rates):
    """One bar per test, in the order given, each labelled with its full name (wrapped)."""
    wrapped = ["\n".join(textwrap.wrap(label, 70)) for label in labels]
    lines = sum(label.count("\n") + 1 for label in wrapped)

    def draw(axes):
        positions = range(len(labels))
        axes.barh(list(positions), rates, color=["#c44e52" if r < 50 else "#55a868" for r in rates])
        axes.set_yticks(list(positions), wrapped, fontsize=7)
        axes.invert_yaxis()
        axes.set_xlim(0, 100)
        axes.set_xlabel("% of graded submissions that pass")
        axes.set_title("Pass rate per test")
    return _figure_png(draw, 11, max(2.5, 0.14 * lines + 0.08 * len(labels) + 1))


def render(title, rows, notes=(), links=()):
    """The page for ``rows``: (ExportedSubmission, results or None, status) per submission;
    only the submissions whose status is "graded" count in the figures and pass rates.
    ``notes``: paragraphs of HTML (already escaped) under the title; ``links``: (href, text)."""
    graded = [(s, r) for s, r, status in rows if status == "graded"]
    not_graded = [(s, status) for s, _, status in rows if status != "graded"]
    scores = [score_of(r)[0] for _, r in graded]
    maximum = max((score_of(r)[1] for _, r in graded), default=0.0)
    columns = test_columns([r for _, r in graded])
    causes = causes_of(graded)
    rates = {n: 100.0 * causes.passes[n] / len(graded) if graded else 0.0 for n, _ in columns}
    ordered = sorted(columns, key=lambda column: (rates[column[0]], _number_key(column[0])))

    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:80em}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .5em;"
        "vertical-align:top;text-align:left}td.num{text-align:right}img{max-width:100%;display:block;"
        "margin:1em 0}small{color:#555}pre{white-space:pre-wrap;background:#f6f6f6;padding:.4em;margin:.2em 0;"
        "font-size:90%}details summary{cursor:pointer}ul.causes{padding-left:1em;margin:0}"
        "ul.causes>li{margin-bottom:.6em}.ids a{margin-right:.4em}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        *(f"<p class='note'>{note}</p>" for note in notes),  # already escaped HTML
        *(f"<p><a href='{html.escape(href)}'>{html.escape(text)}</a></p>" for href, text in links),
        f"<p>{len(rows)} submissions: {len(graded)} graded, {len(not_graded)} not graded.",
    ]
    if scores:
        mean = sum(scores) / len(scores)
        median = sorted(scores)[len(scores) // 2]
        parts.append(f" Mean score {mean:.1f}, median {median:g}, out of {maximum:g}.</p>")
        parts.append(_img(_score_histogram(scores, maximum), "score distribution"))
        parts.append(_img(_pass_rate_bars([f"{n} {name}" for n, name in ordered], [rates[n] for n, _ in ordered]),
                          "pass rate per test, lowest first"))
    else:
        parts.append("</p>")
    parts += _unimplemented_section(causes.unimplemented)
    parts += _cell_errors_section(causes.cell_errors)
    parts.append("<h2>Tests, lowest pass rate first</h2><p>Each test's failures grouped by cause across "
                 "students (the message with its numbers and names set aside), with the submissions that "
                 "failed that way. Functions left unimplemented are counted once, above, not here.</p>"
                 "<table><tr><th>#</th><th>test</th><th>pass rate</th><th>why it failed (submissions)</th></tr>")
    for number, name in ordered:
        groups = sorted(causes.failures[number].values(), key=lambda group: (-len(group.ids), group.key))
        items = "".join(_cause_item(group) for group in groups)
        parts.append(
            f"<tr><td>{html.escape(number)}</td><td>{html.escape(name)}</td>"
            f"<td class='num'>{rates[number]:.0f}%</td><td><ul class='causes'>{items}</ul></td></tr>"
        )
    parts.append("</table><h2>Not graded</h2>")
    if any(status.startswith("kit problem") for _, status in not_graded):
        parts.append(
            "<p>A <b>kit problem</b> is the autograder's own failure, not the student's: fix its cause "
            "(the reason below), then run the same <code>rnnkit grade-export</code> again; it grades "
            "exactly these again.</p>"
        )
    if not_graded:
        parts.append("<table><tr><th>submission</th><th>submitters</th><th>reason</th></tr>")
        for submission, status in not_graded:
            people = ", ".join(p.name or p.email or p.sid for p in submission.submitters) or "(unknown)"
            parts.append(
                f"<tr><td>{html.escape(submission.id)}</td><td>{html.escape(people)}</td>"
                f"<td>{html.escape(status)}</td></tr>"
            )
        parts.append("</table>")
    else:
        parts.append("<p>Every submission was graded.</p>")
    crashed = [(s, r) for s, r in graded if crashed_at_import(r)]
    parts.append("<h2 id='import-crashes'>Import crashed Python with no output: regrade these</h2>")
    if crashed:
        parts.append(
            "<p>Python died without printing anything while importing these submissions, twice in a "
            "row. Usually the student's code does it (<code>os._exit</code>, a crash at import), but a "
            "start that fails on a loaded machine looks the same: regrade them (delete their "
            "<code>results.json</code> and run the same <code>rnnkit grade-export</code> again) before "
            "the scores stand.</p>"
            "<table><tr><th>submission</th><th>submitters</th><th>score</th><th>message</th></tr>"
        )
        for submission, results in crashed:
            people = ", ".join(p.name or p.email or p.sid for p in submission.submitters) or "(unknown)"
            score, maximum = score_of(results)
            message = next((line for line in plain_text(str(results.get("output", ""))).splitlines()
                            if _IMPORT_CRASH.search(line)), "")[:MESSAGE_CHARS]
            parts.append(
                f"<tr><td>{html.escape(submission.id)}</td><td>{html.escape(people)}</td>"
                f"<td class='num'>{score:g}/{maximum:g}</td><td>{html.escape(message)}</td></tr>"
            )
        parts.append("</table>")
    else:
        parts.append("<p>None.</p>")
    parts.append("</body></html>\n")
    return "".join(parts)
