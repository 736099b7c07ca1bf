"""The sample class: one Gradescope "Export Submissions" folder per homework, written from recipes.

    python -m rnnkit.sample_class OUT [HOMEWORK ...]   # write the exports under OUT/<hw>/
    python -m rnnkit.sample_class --record             # grade them and record their scores

Each export holds the reference, the stub, realistic wrong submissions (edits of the reference a
student could make, each of which must match the reference exactly once) and broken ones (a syntax
error, a hang, a submission that tries to kill the grader, an empty folder, the wrong file, a record
without a folder...), with the metadata Gradescope writes: Ruby-style keys, timestamps, group
submissions, names with commas, quotes and non-ASCII letters. Nothing of it is committed: `rnnkit
demo` and the tests write it when they need it, from the solutions and the student release.

The recorded `:score:` is what the current graders give (``sample_class_scores.json``, written by
``--record`` and checked by the demo's test), except where an entry's offset says the score came
from an older grader, so that regrade.csv lists it.
"""

import datetime
import json
import re
import sys
import tempfile
from pathlib import Path

import yaml

from rnnkit import KIT_ROOT

ROOT = KIT_ROOT
SCORES = Path(__file__).with_name("sample_class_scores.json")

PEOPLE = [
    ("Ada Lovelace", "1001"), ("O'Brien, Seán", "1002"), ('Zoë "Z" Müller', "1003"), ("李雷", "1004"),
    ("Grace Hopper", "1005"), ("Alan Turing", "1006"), ("Katherine Johnson", "1007"),
    ("Edsger Dijkstra", "1008"), ("Barbara Liskov", "1009"), ("Donald Knuth", "1010"),
    ("Frances Allen", "1011"), ("Tony Hoare", "1012"), ("Radia Perlman", "1013"),
    ("John Backus", "1014"), ("Margaret Hamilton", "1015"), ("Ken Thompson", "1016"),
]

# (label, how the submission is made, recorded-score offset: a nonzero offset means the export's
# score came from an older grader and regrade.csv must list it; None: Gradescope graded nothing)
HW1 = [
    ("reference", ("solution",), 0),
    ("stub", ("stub",), 0),
    ("missing transpose", ("edit", "h_prev @ W_hh.T + b_h", "h_prev @ W_hh + b_h"), 0),
    ("truncation off by one", ("edit", "(t + 1) % truncate == 0", "t % truncate == 0"), 5),
    ("clipping in place", ("edit", "    return [g * scale for g in grads]\n",
                           "    for g in grads:\n        g *= scale\n    return grads\n"), 0),
    ("bias gradient as a mean", ("edit", "db_h = dz.sum(axis=0)", "db_h = dz.mean(axis=0)"), 0),
    ("syntax error", ("append", "\ndef unfinished(x:\n    return x\n"), 0),
    ("torch in a numpy homework", ("edit", "def rnn_cell_backward(dh_next, x, h_prev, W_xh, W_hh, b_h):",
                                   "import torch\n\n\ndef rnn_cell_backward(dh_next, x, h_prev, W_xh, W_hh, b_h):\n"
                                   "    torch.zeros(1)"), 0),
    ("hangs in gradient norms", ("edit", "def gradient_norms_through_time(dh_last, x, h0, W_xh, W_hh, b_h, activation=\"tanh\"):",
                                 "def gradient_norms_through_time(dh_last, x, h0, W_xh, W_hh, b_h, activation=\"tanh\"):\n"
                                 "    while True:\n        pass"), 0),
    ("tries to kill the grader", ("append", "\nimport os, signal\nfor _target in (os.getppid(), -1):\n"
                                  "    try:\n        os.kill(_target, signal.SIGKILL)\n    except OSError:\n        pass\n"), 0),
    ("renamed file", ("solution", "my_rnn.py"), 0),
    ("group of two", ("solution",), 0),
    ("empty folder", ("empty",), None),
    ("wrong file", ("file", "notes.txt", "I could not get it to work.\n"), None),
    ("record without a folder", ("no folder",), None),
    ("folder without a record", ("no record",), None),
]
HW2 = [
    ("reference", ("solution",), 0),
    ("stub", ("stub",), 0),
    ("CS231n gate order", ("edit", "    W_ii, W_if, W_ig, W_io = _split_rows(W_ih, 4)\n    W_hi, W_hf, W_hg, W_ho = _split_rows(W_hh, 4)\n"
                           "    b_ii, b_if, b_ig, b_io = _split_rows(b_ih, 4)\n    b_hi, b_hf, b_hg, b_ho = _split_rows(b_hh, 4)\n",
                           "    W_ii, W_if, W_io, W_ig = _split_rows(W_ih, 4)\n    W_hi, W_hf, W_ho, W_hg = _split_rows(W_hh, 4)\n"
                           "    b_ii, b_if, b_io, b_ig = _split_rows(b_ih, 4)\n    b_hi, b_hf, b_ho, b_hg = _split_rows(b_hh, 4)\n"), 0),
    ("hidden state as a sum", ("edit", "    return o * np.tanh(c)\n", "    return o + np.tanh(c)\n"), -4),
    ("cell state without the input gate", ("edit", "    return f * c_prev + i * g\n", "    return f * c_prev + g\n"), 0),
    ("syntax error", ("append", "\nclass Broken(\n"), 0),
    ("group of two", ("solution",), 0),
    ("empty folder", ("empty",), None),
]
# HW3 is a notebook homework: most of its class hand in text_generation.ipynb, the student notebook
# with their answers (here the reference's, edited), a few the module.
HW3 = [
    ("reference", ("solution",), 0),
    ("notebook", ("notebook",), 0),
    ("notebook as given", ("notebook", "stub"), 0),
    ("logits from the first time step", ("notebook", "edit", "self.fc(outputs[:, -1])", "self.fc(outputs[:, 0])"), 0),
    ("temperature multiplied", ("notebook", "edit", "np.log(probs[positive]) / temperature",
                                "np.log(probs[positive]) * temperature"), 0),
    ("trains in a graded cell", ("notebook", "cell", "model = CharLSTM(len(build_vocab(default_corpus())[0]))\n"
                                 "text = default_corpus()\nX, y = vectorize(*make_segments(text), build_vocab(text)[1])\n"
                                 "losses = train(model, X, y, epochs=20)"), 0),
    ("a cell with a syntax error", ("notebook", "edit", "def sample_next(probs, temperature, rng):",
                                    "def sample_next(probs, temperature, rng:"), 0),
    ("module with segments off by one", ("edit", "range(0, len(text) - maxlen, step)",
                                         "range(0, len(text) - maxlen + 1, step)"), 0),
]
# HW4 is a notebook homework too; kept small (each submission trains a model for a few seconds).
HW4 = [
    ("reference", ("solution",), 0),
    ("notebook", ("notebook",), 0),
    ("notebook as given", ("notebook", "stub"), 0),
    ("softmax over the batch", ("notebook", "edit", 'float("-inf")), dim=1)', 'float("-inf")), dim=0)'), 0),
    ("source without its EOS", ("notebook", "edit", "return src + [EOS], [SOS] + tgt, tgt + [EOS]",
                                "return src, [SOS] + tgt, tgt + [EOS]"), 2),
    ("module writing after the EOS", ("edit", "                if not finished[row]:\n                    finished[row] = token == EOS",
                                      "                if True:\n                    finished[row] = token == EOS"), 0),
    ("every function returns a dict", ("notebook", "returns", '{"answer": 42}'), 0),
    ("tries to kill the grader", ("append", "\nimport os, signal\nfor _target in (os.getppid(), -1):\n"
                                  "    try:\n        os.kill(_target, signal.SIGKILL)\n    except OSError:\n        pass\n"), 0),
]
MODULES = {"hw1_rnn_cell": ("rnn_cell", HW1), "hw2_lstm_gates": ("lstm_gates", HW2),
           "hw3_text_generation": ("text_generation", HW3), "hw4_seq2seq": ("seq2seq", HW4)}


def notebook_of(kind, module, homework):
    """The text of a notebook submission: the student notebook with the reference's answers, then
    the entry's change (as given, one answer edited, or one more cell)."""
    import nbformat

    from rnnkit.release.notebook import answer_cells, answered

    book = nbformat.read(ROOT / "assignments" / homework / f"{module}.ipynb", as_version=4)
    if kind[1:2] == ("stub",):
        return nbformat.writes(book)
    book = answered(book, (ROOT / "solutions" / homework / f"{module}.py").read_text())
    if kind[1:2] == ("edit",):
        edited = [cell for cell in book.cells if kind[2] in cell.source]
        assert len(edited) == 1, kind[2]
        edited[0].source = edited[0].source.replace(kind[2], kind[3])
    elif kind[1:2] == ("cell",):
        book.cells.append(nbformat.v4.new_code_cell(kind[2]))
    elif kind[1:2] == ("returns",):  # a hostile class: every answer returns the same odd value
        for cell, name in answer_cells(book):
            if cell.source.startswith("def "):
                signature = cell.source.split("\n", 1)[0]
                cell.source = f"{signature}\n    return {kind[2]}\n"
    return nbformat.writes(book)


def source_of(kind, module, homework):
    solution = (ROOT / "solutions" / homework / f"{module}.py").read_text()
    if kind[0] in ("solution", "no record"):
        return solution
    if kind[0] == "stub":
        return (ROOT / "assignments" / homework / f"{module}.py").read_text()
    if kind[0] == "edit":
        assert solution.count(kind[1]) == 1, kind[1]
        return solution.replace(kind[1], kind[2])
    if kind[0] == "append":
        return solution + kind[1]
    return None


def older_grader_entries(homework):
    """The submission ids whose recorded score is meant to differ from the current graders'."""
    module, entries = MODULES[homework]
    return [f"{_first_id(homework) + i}" for i, (_, _, offset) in enumerate(entries) if offset]


def _first_id(homework):
    return 1000 * (list(MODULES).index(homework) + 1) + 100


def write_export(homework, root, scores=None):
    """Write ``homework``'s sample export into the folder ``root`` (created); ``scores``: the
    current graders' score per submission id (default: the recorded ones; {}: record none)."""
    module, entries = MODULES[homework]
    scores = _recorded().get(homework, {}) if scores is None else scores
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    metadata = {}
    created = datetime.datetime(2026, 10, 30, 21, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=-7)))
    for index, (label, kind, offset) in enumerate(entries):
        number = _first_id(homework) + index
        submission_id = f"submission_{number}"
        folder = root / submission_id
        people = [PEOPLE[index % len(PEOPLE)]] + ([PEOPLE[(index + 1) % len(PEOPLE)]] if label == "group of two" else [])
        record = {
            ":submitters:": [
                {":name:": name, ":sid:": sid, ":email:": f"s{sid}@example.edu"} for name, sid in people
            ],
            ":created_at:": created + datetime.timedelta(minutes=7 * index),
        }
        if kind[0] != "no folder":
            folder.mkdir()
            text = source_of(kind, module, homework)
            if kind[0] == "notebook":
                (folder / f"{module}.ipynb").write_text(notebook_of(kind, module, homework))
            elif text is not None:
                name = kind[1] if kind[0] == "solution" and len(kind) > 1 else f"{module}.py"
                (folder / name).write_text(text)
            elif kind[0] == "file":
                (folder / kind[1]).write_text(kind[2])
        if offset is not None and str(number) in scores:
            record[":score:"] = float(scores[str(number)] + offset)
        if kind[0] != "no record":
            metadata[submission_id] = record
    text = yaml.safe_dump(metadata, allow_unicode=True, sort_keys=True, default_flow_style=False)
    # Ruby writes its symbol keys bare (:name:), which PyYAML would quote.
    text = re.sub(r"'(:\w+:)':", r"\1", text)
    (root / "submission_metadata.yml").write_text("---\n" + text)
    return root


# The sample class hands in from 21:00, one submission every 7 minutes: with this due date and
# policy the later ones are late (the demo and the tests show lateness and a penalty with them).
DUE = "2026-10-30T22:00-07:00"
LATE_POLICY = "10%/hour,grace=10m,cap=30%"


def _recorded():
    return json.loads(SCORES.read_text()) if SCORES.is_file() else {}


def record_scores(workers=None):
    """Grade every sample export with the current graders and write their scores to SCORES."""
    import csv
    import io

    from rnnkit import homeworks
    from rnnkit.batch import grade_export

    scores = {}
    with tempfile.TemporaryDirectory(prefix="rnnkit-samples-") as work:
        for homework in MODULES:
            export = write_export(homework, Path(work) / "export" / homework, scores={})
            summary = grade_export(homeworks.load(homework), export, Path(work) / "out" / homework, workers=workers)
            rows = csv.DictReader(io.StringIO((summary.out_dir / "grades.csv").read_text()))
            scores[homework] = {row["Submission ID"]: float(row["Score"]) for row in rows if row["Score"]}
    SCORES.write_text(json.dumps(scores, indent=1, sort_keys=True) + "\n")
    return scores


def main(argv):
    if argv[:1] == ["--record"]:
        record_scores()
        return
    if not argv:
        sys.exit("usage: python -m rnnkit.sample_class OUT [HOMEWORK ...] | --record")
    for homework in argv[1:] or MODULES:
        print(write_export(homework, Path(argv[0]) / homework))


if __name__ == "__main__":
    main(sys.argv[1:])
