"""The similarity report: a disguised copy is found and ranked first; independent correct work,
and work that only fills in the same stub, is not flagged."""

import ast
import csv
import io
import json
from pathlib import Path

from conftest import ROOT
from rnnkit import homeworks
from rnnkit.batch.export import ExportedSubmission, Submitter
from rnnkit.batch.similarity import FLAGGED, Code, code_of, compare, given_code, write_similarity

HW1 = homeworks.load("hw1_rnn_cell")
REFERENCE = (ROOT / "solutions" / "hw1_rnn_cell" / "rnn_cell.py").read_text()
STUB = (ROOT / "assignments" / "hw1_rnn_cell" / "rnn_cell.py").read_text()
ALTERNATIVES = sorted((ROOT / "tests" / "submissions" / "hw1_alternatives").glob("*/rnn_cell.py"))


def disguised(source):
    """``source`` as a student hiding a copy writes it: every argument and local renamed, the
    functions in reverse order, comments gone and the layout redone (ast.unparse)."""
    tree = ast.parse(source)
    names = {}

    class Rename(ast.NodeTransformer):
        def visit_arg(self, node):
            node.arg = names.setdefault(node.arg, f"value_{len(names)}")
            return node

        def visit_Name(self, node):
            if node.id in names or isinstance(node.ctx, ast.Store):
                node.id = names.setdefault(node.id, f"value_{len(names)}")
            return node

    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    for function in functions:
        Rename().visit(function)
    tree.body = [node for node in tree.body if not isinstance(node, ast.FunctionDef)] + functions[::-1]
    return ast.unparse(tree)


def test_a_disguised_copy_ranks_first_and_independent_solutions_are_not_flagged():
    codes = [Code("submission_1", "Ada", REFERENCE), Code("submission_2", "Alan", STUB),
             Code("submission_3", "Grace", disguised(REFERENCE))]
    codes += [Code(f"submission_{4 + n}", path.parent.name, path.read_text()) for n, path in enumerate(ALTERNATIVES)]
    pairs = compare(codes, given_code(HW1))
    first = pairs[0]
    assert {first.a.id, first.b.id} == {"submission_1", "submission_3"} and first.score >= FLAGGED
    assert first.slices_a and first.slices_b  # the shared passages, to highlight
    assert [p for p in pairs if p.score >= FLAGGED] == [first]  # three correct, independent solutions
    assert all("submission_2" not in (p.a.id, p.b.id) for p in pairs)  # the stub is all given code


def submission(tmp_path, number, files):
    folder = tmp_path / f"submission_{number}"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    return (ExportedSubmission(folder.name, folder, [Submitter(f"<b>Student {number}</b>", str(number))]), {}, "graded")


def notebook(source):
    return json.dumps({"cells": [{"cell_type": "markdown", "source": "# my answers"},
                                 {"cell_type": "code", "source": source.splitlines(keepends=True)}],
                       "nbformat": 4, "nbformat_minor": 5, "metadata": {}})


def test_the_csv_and_page_list_pairs_most_similar_first_with_notebooks_read_by_their_code(tmp_path):
    rows = [
        submission(tmp_path, 1, {"rnn_cell.py": REFERENCE}),
        submission(tmp_path, 2, {"rnn_cell.ipynb": notebook(disguised(REFERENCE))}),  # the copy, as a notebook
        submission(tmp_path, 3, {"rnn_cell.py": ALTERNATIVES[0].read_text(), "notes.txt": "mine"}),
        submission(tmp_path, 4, {"rnn_cell.py": STUB, "rnn_cell.ipynb": "{not json"}),
    ]
    assert "my answers" not in code_of(rows[1][0].folder) and "def " in code_of(rows[1][0].folder)
    csv_path, page = write_similarity(HW1, rows, tmp_path)
    table = list(csv.DictReader(io.StringIO(csv_path.read_text())))
    assert list(table[0]) == ["Submission A", "Submission B", "Similarity", "Submitters A", "Submitters B"]
    assert (table[0]["Submission A"], table[0]["Submission B"]) == ("1", "2")
    assert [float(row["Similarity"]) for row in table] == sorted((float(row["Similarity"]) for row in table), reverse=True)
    text = page.read_text()
    assert "<b>Student" not in text and "&lt;b&gt;Student 1" in text  # escaped
    assert "<mark>" in text and "http" not in text  # highlighted, self-contained
