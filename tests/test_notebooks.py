"""Notebook submissions: the code cells are graded as the module, each cell on its own, with
Jupyter-only lines neutralized, through the same engine and graders as a .py file."""

import ast
import json

import nbformat

from conftest import SOLUTIONS, failed_outputs, run_grade, total
from rnnkit.grade.notebook import code_cells

HW = "hw3_text_generation"
SOLUTION = (SOLUTIONS / HW / "text_generation.py").read_text()


def solution_cells():
    """The reference split into one code cell per top-level statement, as a student's notebook."""
    tree = ast.parse(SOLUTION)
    return [ast.get_source_segment(SOLUTION, node) for node in tree.body]


def notebook(cells, tags=None):
    book = nbformat.v4.new_notebook()
    book.cells.append(nbformat.v4.new_markdown_cell("# HW3: text generation"))
    for index, source in enumerate(cells):
        cell = nbformat.v4.new_code_cell(source)
        if tags and index in tags:
            cell.metadata["tags"] = tags[index]
        book.cells.append(cell)
    return nbformat.writes(book)


def grade_notebook(tmp_path, text, name="text_generation.ipynb"):
    path = tmp_path / name
    path.write_text(text)
    proc, results = run_grade(HW, path, tmp_path / "out")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return results


def test_jupyter_only_lines_are_neutralized_and_skipped_cells_left_out():
    text = notebook(
        ["!pip install torch\nimport numpy as np\n%matplotlib inline\nx = 1",
         "import otter\ngrader = otter.Notebook()",
         "%%time\ntrain(model, X, y)",
         "# rnnkit: skip\ntrain(model, X, y, epochs=20)",
         "losses = train(model, X, y)",
         "grader.check('q1')"],
        tags={4: ["rnnkit:skip"]},
    )
    cells = dict(code_cells(text))
    assert sorted(cells) == [2, 3, 7]  # numbered as Jupyter shows them; cells 4, 5 and 6 left out
    assert "pip" not in cells[2].split("#")[0] and "x = 1" in cells[2] and cells[2].count("\n") == 4
    assert all(line.strip().startswith("pass") for line in cells[3].splitlines())
    assert cells[7].strip().startswith("pass")


def test_the_reference_as_a_notebook_gets_full_marks_like_the_module(tmp_path):
    cells = ["!pip install numpy", *solution_cells(), "# rnnkit: skip\nmodel = CharLSTM(57)\ntrain(model, X, y, epochs=30)",
             "grader.check('generate')"]
    results = grade_notebook(tmp_path, notebook(cells))
    score, maximum = total(results)
    assert score == maximum, failed_outputs(results)
    assert results["output"].startswith("Graded the code cells of text_generation.ipynb.")


def test_a_broken_cell_costs_only_what_it_defines(tmp_path):
    cells = solution_cells()
    broken = next(i for i, cell in enumerate(cells) if cell.startswith("def sample_next"))
    cells[broken] = cells[broken].replace("probs = np.asarray", "probs = np.asarray(", 1)  # a syntax error
    cells.insert(0, "print(undefined_name)")  # a cell that raises before anything else
    results = grade_notebook(tmp_path, notebook(cells), name="my_hw3.ipynb")
    lost = {name.split(":")[0] for name in failed_outputs(results)}
    assert lost == {"sample_next", "generate"}, lost  # generate calls sample_next
    assert "cell 2 raised NameError" in results["output"]
    assert f"cell {broken + 3} raised SyntaxError" in results["output"]


def test_a_file_that_is_not_a_notebook_is_the_students_problem(tmp_path):
    results = grade_notebook(tmp_path, json.dumps({"cells": "nonsense"}))
    assert total(results)[0] == 0
    assert "the notebook could not be read" in results["output"]
