"""Notebook submissions: the code cells are graded as the module, each cell on its own, with
Jupyter-only lines neutralized, through the same engine and graders as a .py file."""

import json
import shutil

import nbformat
import pytest

import grader_trust
from conftest import ASSIGNMENTS, SOLUTIONS, failed_outputs, notebook_text, reference_cells, run_grade, total
from rnnkit.grade.notebook import SKIP_TAG, code_cells
from rnnkit.release.notebook import ANSWER_TAG, answer_cells, answered

HW = "hw3_text_generation"
SOLUTION = (SOLUTIONS / HW / "text_generation.py").read_text()


def solution_cells():
    return reference_cells(HW, "text_generation")


def grade_notebook(tmp_path, text, name="text_generation.ipynb"):
    path = tmp_path / name
    path.write_text(text)
    proc, results = run_grade(HW, path, tmp_path / "out")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return results


def test_jupyter_only_lines_are_neutralized_and_skipped_cells_left_out():
    text = notebook_text(
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
    results = grade_notebook(tmp_path, notebook_text(cells))
    score, maximum = total(results)
    assert score == maximum, failed_outputs(results)
    assert results["output"].startswith("Graded the code cells of text_generation.ipynb.")


def test_a_broken_cell_costs_only_what_it_defines(tmp_path):
    cells = solution_cells()
    broken = next(i for i, cell in enumerate(cells) if cell.startswith("def sample_next"))
    cells[broken] = cells[broken].replace("probs = np.asarray", "probs = np.asarray(", 1)  # a syntax error
    cells.insert(0, "print(undefined_name)")  # a cell that raises before anything else
    results = grade_notebook(tmp_path, notebook_text(cells), name="my_hw3.ipynb")
    lost = {name.split(":")[0] for name in failed_outputs(results)}
    assert lost == {"sample_next", "generate"}, lost  # generate calls sample_next
    assert "cell 2 raised NameError" in results["output"]
    assert f"cell {broken + 3} raised SyntaxError" in results["output"]


def test_a_file_that_is_not_a_notebook_is_the_students_problem(tmp_path):
    results = grade_notebook(tmp_path, json.dumps({"cells": "nonsense"}))
    assert total(results)[0] == 0
    assert "the notebook could not be read" in results["output"]


# --- The notebook students receive: made by `rnnkit release` with otter assign from the reference.

NOTEBOOK_HOMEWORKS = {
    "hw3_text_generation": {"data": ["build_vocab", "make_segments", "vectorize"], "model": ["CharLSTM"],
                            "sampling": ["sample_next"], "generate": ["generate"]},
    "hw4_seq2seq": {"data": ["build_vocab", "numericalize", "make_example", "pad_batch"], "encoder": ["EncoderRNN"],
                    "attention": ["Attention"], "decoder": ["AttnDecoderRNN", "DecoderRNN", "greedy_decode"]},
}
EXPERIMENTS = {"hw3_text_generation": ("= train(model", "+ generate(model"),
               "hw4_seq2seq": ("= train(encoder", "greedy_decode(encoder, decoder, batch")}


def student_notebook(homework_id):
    module = grader_trust.Homework(homework_id).module
    return nbformat.read(ASSIGNMENTS / homework_id / f"{module}.ipynb", as_version=4)


def solution_of(homework_id):
    homework = grader_trust.Homework(homework_id)
    return homework.solution.read_text()


@pytest.mark.parametrize("homework_id", NOTEBOOK_HOMEWORKS)
def test_student_notebook_asks_for_each_function_and_holds_no_answer(homework_id):
    questions = NOTEBOOK_HOMEWORKS[homework_id]
    book = student_notebook(homework_id)
    answers = [cell.source for cell in book.cells if ANSWER_TAG in cell.metadata.get("tags", [])]
    asked = [name for _, name in answer_cells(book)]
    assert asked == [name for names in questions.values() for name in names]
    assert all("YOUR CODE BELOW" in source and "raise NotImplementedError" in source for source in answers)
    # (The experiment cells are the instructor's own code, run after the answers: not scanned.)
    code = [cell.source for cell in book.cells if SKIP_TAG not in cell.metadata.get("tags", [])]
    leaked = grader_trust.Homework(homework_id).code_in("\n".join(code))
    assert not leaked, f"the student notebook shows reference code: {leaked}"
    checks = [cell.source.strip() for cell in book.cells if cell.cell_type == "code" and "grader.check" in cell.source]
    assert checks == [f'grader.check("{question}")' for question in questions]
    assert sorted(book.metadata["otter"]["tests"]) == sorted(questions)
    experiments = [cell for cell in book.cells if any(mark in cell.source for mark in EXPERIMENTS[homework_id])]
    assert len(experiments) == 2 and all(SKIP_TAG in cell.metadata["tags"] for cell in experiments)


@pytest.mark.parametrize("homework_id", NOTEBOOK_HOMEWORKS)
def test_grader_check_runs_the_public_tests_in_the_students_kernel(tmp_path, homework_id):
    """In a real Jupyter kernel, as a student works: the checks of the unfinished notebook fail
    and say what is not implemented yet; after the answers are filled in, they all pass."""
    nbclient = pytest.importorskip("nbclient")
    questions = NOTEBOOK_HOMEWORKS[homework_id]
    folder = tmp_path / homework_id
    shutil.copytree(ASSIGNMENTS / homework_id, folder)
    book = student_notebook(homework_id)
    run = [cell for cell in book.cells if SKIP_TAG not in cell.metadata.get("tags", [])]
    filled = [cell for cell in answered(book, solution_of(homework_id)).cells if ANSWER_TAG in cell.metadata.get("tags", [])]
    book.cells = run + filled + [nbformat.v4.new_code_cell(f'grader.check("{question}")') for question in questions]
    nbclient.NotebookClient(book, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}}).execute()
    outputs = ["".join(output.get("data", {}).get("text/plain", output.get("text", "")) for output in cell.outputs)
               for cell in book.cells if cell.source.startswith("grader.check")]
    before, after = outputs[:len(questions)], outputs[len(questions):]
    for question, text in zip(questions, before):
        assert "Test case failed" in text and "is not implemented yet" in text, (question, text)
    assert "0.1 " in before[0]  # numbered as on Gradescope
    for question, text in zip(questions, after):
        assert "All test cases passed" in text, (question, text)


@pytest.mark.parametrize("answers", [True, False], ids=["answered", "as_given"])
@pytest.mark.parametrize("homework_id", NOTEBOOK_HOMEWORKS)
def test_the_student_notebook_is_graded_by_the_engine(tmp_path, homework_id, answers):
    """The notebook students receive grades to 0 as given and to full marks with the answers,
    its training cells left out."""
    book = student_notebook(homework_id)
    module = grader_trust.Homework(homework_id).module
    path = tmp_path / f"{module}.ipynb"
    path.write_text(nbformat.writes(answered(book, solution_of(homework_id)) if answers else book))
    proc, results = run_grade(homework_id, path, tmp_path / "out")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    score, maximum = total(results)
    assert maximum > 0 and score == (maximum if answers else 0), failed_outputs(results)
