"""report.html: one self-contained page of what a class got right and wrong.

The score distribution and every test's pass rate as figures (PNG, embedded as data: URLs, so the
file opens anywhere without a network), the pass rates as a table with the most common failure
messages per test, the submissions that could not be graded, with the reason, and the graded ones
whose import crashed Python without a word, which a TA should regrade.
"""

import base64
import collections
import html
import io
import re

from rnnkit.batch.gradebook import score_of, test_columns

MESSAGES_PER_TEST = 3
MESSAGE_CHARS = 300
# The sandbox's words when Python died while importing the submission (rnnkit.sandbox); with no
# "Last output:" after them, it died without printing anything, twice in a row.
_IMPORT_CRASH = re.compile(r"importing \S+ crashed Python \(")


def crashed_at_import(results):
    """Did importing this submission crash Python with no output? Mostly the student's own
    ``os._exit`` or a crash at import, but a start that fails on a loaded machine looks the same:
    a TA should regrade these before the zeros stand."""
    output = str((results or {}).get("output", ""))
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
    def draw(axes):
        positions = range(len(labels))
        axes.barh(list(positions), rates, color=["#c44e52" if r < 0.5 else "#55a868" for r in rates])
        axes.set_yticks(list(positions), labels, fontsize=7)
        axes.invert_yaxis()
        axes.set_xlim(0, 100)
        axes.set_xlabel("% of graded submissions that pass")
        axes.set_title("Pass rate per test")
    return _figure_png(draw, 10, max(2.5, 0.22 * len(labels) + 1))


def render(title, rows, notes=()):
    """The page for ``rows``: (ExportedSubmission, results or None, status) per submission;
    only the submissions whose status is "graded" count in the figures and pass rates."""
    graded = [(s, r) for s, r, status in rows if status == "graded"]
    not_graded = [(s, status) for s, _, status in rows if status != "graded"]
    scores = [score_of(r)[0] for _, r in graded]
    maximum = max((score_of(r)[1] for _, r in graded), default=0.0)
    columns = test_columns([r for _, r in graded])
    passes = collections.Counter()
    failures = collections.defaultdict(collections.Counter)
    for _, results in graded:
        for test in results["tests"]:
            if test["status"] == "passed":
                passes[test["number"]] += 1
            else:
                message = " ".join(test.get("output", "").split())[:MESSAGE_CHARS]
                failures[test["number"]][message] += 1
    rates = [100.0 * passes[n] / len(graded) if graded else 0.0 for n, _ in columns]

    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .5em;"
        "vertical-align:top;text-align:left}td.num{text-align:right}img{max-width:100%;display:block;"
        "margin:1em 0}small{color:#555}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        *(f"<p class='note'>{note}</p>" for note in notes),  # already escaped HTML
        f"<p>{len(rows)} submissions: {len(graded)} graded, {len(not_graded)} not graded.",
    ]
    if scores:
        mean = sum(scores) / len(scores)
        median = sorted(scores)[len(scores) // 2]
        parts.append(f" Mean score {mean:.1f}, median {median:g}, out of {maximum:g}.</p>")
        parts.append(_img(_score_histogram(scores, maximum), "score distribution"))
        parts.append(_img(_pass_rate_bars([f"{n} {name[:60]}" for n, name in columns], rates), "pass rate per test"))
    else:
        parts.append("</p>")
    parts.append("<h2>Tests</h2><table><tr><th>#</th><th>test</th><th>pass rate</th>"
                 "<th>most common failure messages (count)</th></tr>")
    for (number, name), rate in zip(columns, rates):
        common = failures[number].most_common(MESSAGES_PER_TEST)
        messages = "".join(f"<li>{html.escape(m) or '<i>no message</i>'} <small>({c})</small></li>" for m, c in common)
        parts.append(
            f"<tr><td>{html.escape(number)}</td><td>{html.escape(name)}</td>"
            f"<td class='num'>{rate:.0f}%</td><td><ul>{messages}</ul></td></tr>"
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
            message = next((line for line in str(results.get("output", "")).splitlines()
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
