"""Which submissions of a class look copied from each other: similarity.csv and similarity.html.

Every pair of graded submissions is compared with copydetect's winnowing (the fingerprints of
token k-grams, after its Python filter replaces every name with one token): a copy whose
variables were renamed, whose functions were reordered or whose comments were rewritten keeps
its fingerprints. The code the course gave out (the released stub module and notebook, helpers
included) is boilerplate: its fingerprints count for no one, so two students who only filled in
the same stub do not look alike.

A pair's similarity is the smaller of the two shares of each one's own code found in the other
(so a short submission copied into a long one still shows). Pairs at or above FLAGGED are
listed first on the page; the csv has every pair with any overlap, most similar first. It is a
pointer for a person to read the two side by side, never a verdict.
"""

import csv
import html
import io
import json
from dataclasses import dataclass
from pathlib import Path

NOISE_TOKENS = 20  # k: shorter shared runs are common idiom (a loop header, a shape check)
WINDOW = 8  # winnowing window: any shared run of NOISE_TOKENS + WINDOW - 1 tokens is always found
FLAGGED = 0.6  # share of a submission's own (non-given) code found in the other
MAX_FILE_BYTES = 1 << 20  # a bigger "source" is not a student's code: left out
PAGE_PAIRS = 10


@dataclass
class Code:
    id: str  # "submission_123"
    people: str
    text: str


def _notebook_code(data):
    """The code cells of a notebook's JSON, joined; "" when it is no notebook."""
    try:
        book = json.loads(data)
    except ValueError:
        return ""
    cells = book.get("cells", []) if isinstance(book, dict) else []
    sources = []
    for cell in cells if isinstance(cells, list) else []:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            sources.append("".join(source) if isinstance(source, list) else str(source))
    return "\n\n".join(s for s in sources if isinstance(s, str))


def code_of(folder):
    """The Python a submission folder holds: its .py files and its notebooks' code cells."""
    parts = []
    for path in sorted(Path(folder).rglob("*")):
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
            continue
        if path.suffix == ".py":
            parts.append(path.read_text(errors="replace"))
        elif path.suffix == ".ipynb":
            parts.append(_notebook_code(path.read_text(errors="replace")))
    return "\n\n".join(part for part in parts if part.strip())


def _fingerprint(text, boilerplate=()):
    from copydetect import CodeFingerprint

    return CodeFingerprint("submission.py", NOISE_TOKENS, WINDOW, boilerplate=list(boilerplate),
                           language="python", fp=io.StringIO(text))


def given_code(homework):
    """The code the course released for a homework (its stub module and notebook): boilerplate."""
    folder = Path(homework.assignment_dir)
    parts = []
    for path in (folder / f"{homework.module}.py", folder / f"{homework.module}.ipynb"):
        if path.is_file():
            text = path.read_text(errors="replace")
            parts.append(text if path.suffix == ".py" else _notebook_code(text))
    return "\n\n".join(parts)


@dataclass
class Pair:
    a: Code
    b: Code
    score: float
    slices_a: list
    slices_b: list


def compare(codes, given=""):
    """Every pair of ``codes`` with any overlap, most similar first."""
    from copydetect import compare_files

    boilerplate = _fingerprint(given).hashes if given.strip() else []
    prints = [(code, _fingerprint(code.text, boilerplate)) for code in codes if code.text.strip()]
    pairs = []
    for i, (code_a, print_a) in enumerate(prints):
        for code_b, print_b in prints[i + 1:]:
            overlap, (share_a, share_b), (slices_a, slices_b) = compare_files(print_a, print_b)
            if overlap:
                pairs.append(Pair(code_a, code_b, float(min(share_a, share_b)),
                                  _spans(slices_a), _spans(slices_b)))
    pairs.sort(key=lambda pair: (-pair.score, pair.a.id, pair.b.id))
    return pairs


def _spans(slices):
    return [(int(start), int(end)) for start, end in zip(*slices)] if len(slices) and len(slices[0]) else []


def similarity_csv(pairs):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Submission A", "Submission B", "Similarity", "Submitters A", "Submitters B"])
    for pair in pairs:
        writer.writerow([pair.a.id.removeprefix("submission_"), pair.b.id.removeprefix("submission_"),
                         f"{pair.score:.3f}", pair.a.people, pair.b.people])
    return out.getvalue()


def _highlighted(text, spans):
    out, at = [], 0
    for start, end in sorted(spans):
        start = max(start, at)
        out.append(html.escape(text[at:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        at = max(at, end)
    out.append(html.escape(text[at:]))
    return "".join(out)


def similarity_html(title, pairs, compared):
    flagged = [pair for pair in pairs if pair.score >= FLAGGED]
    shown = pairs[:max(PAGE_PAIRS, len(flagged))]
    rows = "".join(
        f"<tr{' class=flag' if p.score >= FLAGGED else ''}><td><a href='#pair-{n}'>{html.escape(p.a.id)}</a></td>"
        f"<td>{html.escape(p.b.id)}</td><td class=num>{p.score:.0%}</td>"
        f"<td>{html.escape(p.a.people)}</td><td>{html.escape(p.b.people)}</td></tr>"
        for n, p in enumerate(shown)
    )
    sides = "".join(
        f"<h3 id='pair-{n}'>{html.escape(p.a.id)} and {html.escape(p.b.id)}: {p.score:.0%}</h3>"
        f"<div class=sides><pre>{_highlighted(p.a.text, p.slices_a)}</pre>"
        f"<pre>{_highlighted(p.b.text, p.slices_b)}</pre></div>"
        for n, p in enumerate(shown)
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>body{{font-family:system-ui,sans-serif;margin:2em}}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .5em;text-align:left}"
        "td.num{text-align:right}tr.flag{background:#fde2e1}.sides{display:grid;grid-template-columns:1fr 1fr;"
        "gap:1em}pre{background:#f6f6f6;padding:.5em;overflow:auto;font-size:12px;max-height:40em}"
        "mark{background:#ffd166}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f"<p>{compared} submissions compared pairwise (copydetect winnowing; names and comments do not count, "
        f"nor does the code the course gave out). {len(flagged)} pair{'s' * (len(flagged) != 1)} share "
        f"{FLAGGED:.0%} or more of their own code (highlighted). A pointer for a person to read, not a verdict: "
        "the shared passages are marked below.</p>"
        "<table><tr><th>submission A</th><th>submission B</th><th>similarity</th><th>submitters A</th>"
        f"<th>submitters B</th></tr>{rows}</table>{sides}</body></html>\n"
    )


def write_similarity(homework, rows, out_dir):
    """similarity.csv and similarity.html for the graded ``rows`` of an export; returns the paths."""
    codes = [
        Code(submission.id, "; ".join(p.name or p.email or p.sid for p in submission.submitters), code_of(submission.folder))
        for submission, _, status in rows if status == "graded" and submission.folder is not None
    ]
    pairs = compare(codes, given_code(homework))
    csv_path, page_path = out_dir / "similarity.csv", out_dir / "similarity.html"
    csv_path.write_text(similarity_csv(pairs), encoding="utf-8")
    page_path.write_text(similarity_html(f"{homework.title}: similar submissions", pairs, len(codes)), encoding="utf-8")
    return [csv_path, page_path]
