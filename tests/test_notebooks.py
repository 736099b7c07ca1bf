"""Notebook submissions: the code cells are graded as the module, each cell on its own, with
Jupyter-only lines neutralized, through the same engine and graders as a .py file."""

import json
import resource
import shutil

import nbformat
import pytest

import grader_trust
from conftest import ASSIGNMENTS, SOLUTIONS, failed_outputs, notebook_text, reference_cells, run_grade, total
from rnnkit.engine import notebook_reader
from rnnkit.engine.notebook import SKIP_TAG, NotebookProblem, read_file
from rnnkit.engine.submission import stage
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


def test_cells_run_as_jupyter_runs_them():
    """Body-running cell magics keep their body, other cell magics are reported by their first
    line, shell escapes and otter's calls become `pass` (indented ones too), skip tags match whole
    names (otter's otter_ignore too), and every line keeps its number."""
    sources = [
        "!pip install torch\nimport numpy as np\n%matplotlib inline\nx = 1",   # code cell 1
        "import otter\ngrader = otter.Notebook('hw3 (1).ipynb')",              # 2
        "%%time\ny = train(model, X, y)\n%time z = f(y)",                      # 3
        "# rnnkit: skip\ntrain(model, X, y, epochs=20)",                       # 4: left out
        "losses = train(model, X, y)",                                         # 5: tagged, left out
        "grader.check('q1')\ngrader.export(pdf=False)",                        # 6
        "%%bash\nls",                                                          # 7: reported
        "if x:\n    !ls -l \\\n        more\n    files = !ls\nnp.random.choice?",  # 8
        "# rnnkit: skipping is not skipping\na = 1",                           # 9
        "%%capture out\nb = 2",                                                # 10
        "%%writefile helper.py\nVALUE = 3",                                    # 11
        "c = 3",                                                               # 12: otter_ignore
        "d = 4",                                                               # 13: a longer tag name
    ]
    text = notebook_text(sources, tags={4: [SKIP_TAG], 11: ["otter_ignore"], 12: ["rnnkit:skipper"]})
    cells, notes = notebook_reader.code_cells(text.encode())
    by_index = {cell["index"]: cell for cell in cells}
    assert sorted(by_index) == [1, 2, 3, 6, 8, 9, 10, 11, 13]
    for cell in cells:
        compile(cell["code"], cell["label"], "exec")  # valid Python
        if "writefile" not in cell:
            assert cell["code"].count("\n") == cell["original"].count("\n") + 1, cell
    assert by_index[1]["code"].splitlines() == ["pass", "import numpy as np", "pass", "x = 1"]
    assert [line.strip() for line in by_index[2]["code"].splitlines()] == ["pass", "pass"]
    assert by_index[3]["code"].splitlines() == ["", "y = train(model, X, y)", "z = f(y)"]
    assert [line.strip() for line in by_index[6]["code"].splitlines()] == ["pass", "pass"]
    assert by_index[8]["code"].splitlines() == ["if x:", "    pass", "", "    files = None", "pass"]
    assert by_index[10]["code"].splitlines() == ["", "b = 2"]
    assert by_index[11]["writefile"] == "helper.py" and by_index[11]["text"] == "VALUE = 3"
    assert by_index[3]["label"] == "code cell 3 (`%%time`)"
    assert notes == ["code cell 7 (`%%bash`) was not run: %%bash cells run only in Jupyter"]


@pytest.mark.parametrize("text,problem", [
    ("not json at all", "not valid notebook JSON"),
    (json.dumps({"cells": "nonsense"}), "cells are not a list"),
    (json.dumps({"cells": [{"cell_type": "code", "source": 5}]}), "code cell 1's source is not text"),
    (json.dumps({"cells": [{"cell_type": "code", "source": "x", "metadata": {"tags": 5}}]}),
     "code cell 1's tags are not a list of text"),
    (json.dumps({"cells": [{"cell_type": "code", "source": "x"}] * 1001}), "more than 1000 code cells"),
    (json.dumps({"cells": [{"cell_type": "code", "source": "!x\n" * 1_100_000}]}), "more than 2 MB of code"),
    ("[" * 100_000 + "]" * 100_000, "not valid notebook JSON"),
], ids=["not_json", "cells_not_a_list", "source_not_text", "tags_not_a_list", "too_many_cells", "too_much_code",
        "deep_nesting"])
def test_a_malformed_notebook_is_the_students_clear_error(text, problem):
    """Read in a child process with its own limits: whatever the file holds, the student gets one
    clear sentence and the grading process a small reply."""
    with pytest.raises(NotebookProblem, match="hw.ipynb: .*" + problem):
        read_file(text.encode(), "ipynb", "hw.ipynb")


def test_millions_of_empty_objects_stay_in_the_child():
    """A notebook of millions of empty objects once took the grader to 3.5 GB: the child's
    address-space limit stops it, and the grading process does not grow."""
    text = '{"cells": [' + ",".join(["{}"] * 6_000_000) + "]}"
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(NotebookProblem, match="MB of memory|memory and time allowed"):
        read_file(text.encode(), "ipynb", "hw.ipynb")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 * 1024  # KB


def test_what_a_file_answers_leaves_out_the_stub_and_given_code():
    given = grader_trust.Homework(HW).given
    stub = (ASSIGNMENTS / HW / "text_generation.py").read_bytes()
    assert read_file(stub, "py", "text_generation.py", given)["answered"] == []
    notebook = (ASSIGNMENTS / HW / "text_generation.ipynb").read_bytes()
    assert read_file(notebook, "ipynb", "text_generation.ipynb", given)["answered"] == []
    answered_names = read_file(SOLUTION.encode(), "py", "text_generation.py", given)["answered"]
    assert {"build_vocab", "generate", "CharLSTM.forward", "CharLSTM.__init__"} <= set(answered_names)


# --- Intake: finding the student's work in a folder or a zip, whatever lies beside it.

def answered_notebook_text(homework_id=HW):
    return nbformat.writes(answered(student_notebook(homework_id), solution_of(homework_id)))


def assignment_folder(tmp_path, notebook_name="text_generation.ipynb", homework_id=HW, extra=()):
    """The assignment folder as a student hands it in: the stub, the tests, the answered notebook."""
    folder = tmp_path / "hand-in" / homework_id
    shutil.copytree(ASSIGNMENTS / homework_id, folder)
    module = grader_trust.Homework(homework_id).module
    (folder / f"{module}.ipynb").unlink()
    (folder / notebook_name).write_text(answered_notebook_text(homework_id))
    for name, text in extra:
        (folder / name).write_text(text)
    return folder


def staged(tmp_path, submission, homework_id=HW):
    destination = tmp_path / f"staged-{len(list(tmp_path.glob('staged-*')))}"
    destination.mkdir()
    homework = grader_trust.Homework(homework_id)
    note = stage(submission, homework.module, destination, given=homework.given)
    return note, destination


@pytest.mark.parametrize("notebook_name,extra", [
    ("text_generation.ipynb", ()),
    ("text_generation.ipynb", [("utils.py", "def smooth(values):\n    return values\n")]),
    ("text_generation (1).ipynb", ()),
    ("Copy of text_generation.ipynb", [("Untitled.ipynb", nbformat.writes(nbformat.v4.new_notebook()))]),
], ids=["beside_the_stub_and_tests", "with_a_helper", "renamed_by_jupyter", "a_copy_and_an_untitled"])
def test_the_answered_notebook_is_graded_whatever_lies_beside_it(tmp_path, notebook_name, extra):
    folder = assignment_folder(tmp_path, notebook_name, extra=extra)
    note, destination = staged(tmp_path, folder)
    assert note.startswith(f"Graded the code cells of {notebook_name}."), note
    assert "text_generation.py (" in note and "Not graded:" in note, note
    assert "utils.py as" not in note and "name the one to grade" not in note
    assert (destination / ".rnnkit-cells.json").is_file()
    assert (destination / "utils.py").is_file() == bool(extra and extra[0][0] == "utils.py")  # stays importable
    # The same hand-in zipped (a Gradescope upload of the folder) is graded the same way.
    archive = shutil.make_archive(str(tmp_path / "upload"), "zip", folder.parent)
    zipped_note, zipped = staged(tmp_path, archive)
    assert zipped_note.replace(f"{folder.name}/", "") == note  # paths from the zip's top folder
    assert (zipped / ".rnnkit-cells.json").read_bytes() == (destination / ".rnnkit-cells.json").read_bytes()


def test_the_module_is_graded_when_the_notebook_is_the_untouched_stub(tmp_path):
    folder = tmp_path / "hand-in"
    shutil.copytree(ASSIGNMENTS / HW, folder)
    (folder / "text_generation.py").write_text(SOLUTION)
    note, destination = staged(tmp_path, folder)
    assert note.startswith("Graded text_generation.py."), note
    assert "text_generation.ipynb (it answers none of the homework's functions)" in note
    assert (destination / "text_generation.py").read_text() == SOLUTION


def test_the_untouched_stub_alone_is_graded_and_said_to_be_the_stub(tmp_path):
    folder = tmp_path / "hand-in"
    shutil.copytree(ASSIGNMENTS / HW, folder)
    note, _ = staged(tmp_path, folder)
    assert note.startswith("Graded the code cells of text_generation.ipynb."), note
    assert "answers none of the homework's functions yet" in note


def test_the_reference_as_a_notebook_gets_full_marks_like_the_module(tmp_path):
    """Cells as students leave them: a %%time on top of an answer, shell escapes, otter's calls,
    a %%bash cell (reported), an otter_ignore cell that would raise."""
    cells = ["!pip install numpy", *solution_cells(), "# rnnkit: skip\nmodel = CharLSTM(57)\ntrain(model, X, y, epochs=30)",
             "grader.check('generate')\ngrader.export()", "%%bash\necho hello", "raise SystemExit('not graded')"]
    cells = ["%%time\n" + cell if cell.startswith("def sample_next") else cell for cell in cells]
    results = grade_notebook(tmp_path, notebook_text(cells, tags={len(cells) - 1: ["otter_ignore"]}))
    score, maximum = total(results)
    assert score == maximum, failed_outputs(results)
    assert results["output"].startswith("Graded the code cells of text_generation.ipynb.")
    assert "(`%%bash`) was not run" in results["output"]


def test_a_broken_cell_costs_only_what_it_defines(tmp_path):
    """... and every message quotes the student's own line, naming the cell as Jupyter shows it."""
    cells = solution_cells()
    broken = next(i for i, cell in enumerate(cells) if cell.startswith("def sample_next"))
    cells[broken] = cells[broken].replace("probs = np.asarray", "probs = np.asarray(", 1)  # a syntax error
    segments = next(i for i, cell in enumerate(cells) if cell.startswith("def make_segments"))
    cells[segments] = cells[segments].replace('    """\n', '    """\n    window = undefined_window\n', 1)
    cells.insert(0, "print(undefined_name)")  # a cell that raises before anything else
    results = grade_notebook(tmp_path, notebook_text(cells), name="my_hw3.ipynb")
    outputs = failed_outputs(results)
    lost = {name.split(":")[0] for name in outputs}
    assert lost == {"sample_next", "generate", "make_segments"}, lost
    assert ("code cell 1 (`print(undefined_name)`) raised NameError: name 'undefined_name' is not defined "
            "(line 1: `print(undefined_name)`)") in results["output"]
    assert f"code cell {broken + 2} (`def sample_next(" in results["output"]
    assert "raised SyntaxError" in results["output"]
    for text in [results["output"], *outputs.values()]:
        assert "_rnnkit" not in text and "running[0]" not in text and "setitimer" not in text, text
    assert any(f'File "my_hw3.ipynb, code cell {segments + 2}", line' in text and "window = undefined_window" in text
               for text in outputs.values()), outputs


def test_a_file_that_is_not_a_notebook_is_the_students_problem(tmp_path):
    results = grade_notebook(tmp_path, json.dumps({"cells": "nonsense"}))
    assert total(results)[0] == 0
    assert "text_generation.ipynb: its cells are not a list" in results["output"]


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
    # Otter's tests folder, not the notebook's metadata: the checks work in a renamed copy too.
    tests = sorted(path.stem for path in (ASSIGNMENTS / homework_id / "tests").glob("*.py"))
    assert tests == sorted(questions) and "tests" not in book.metadata.get("otter", {})
    experiments = [cell for cell in book.cells if any(mark in cell.source for mark in EXPERIMENTS[homework_id])]
    assert len(experiments) == 2 and all(SKIP_TAG in cell.metadata["tags"] for cell in experiments)


@pytest.mark.parametrize("opened", ["in_its_folder", "on_its_own"])
@pytest.mark.parametrize("homework_id", NOTEBOOK_HOMEWORKS)
def test_grader_check_runs_the_public_tests_in_the_students_kernel(tmp_path, homework_id, opened):
    """In a real Jupyter kernel, as a student works, in a copy Jupyter renamed, inside the
    homework's folder or alone in an empty one (a Colab tab): the checks of the unfinished
    notebook fail and say what is not implemented yet; after the answers are filled in, they all
    pass, and say that hidden tests run too. Alone, the notebook's first cell writes the files
    the checks need; in its folder it writes nothing."""
    nbclient = pytest.importorskip("nbclient")
    questions = NOTEBOOK_HOMEWORKS[homework_id]
    module = grader_trust.Homework(homework_id).module
    folder = tmp_path / homework_id
    if opened == "in_its_folder":
        shutil.copytree(ASSIGNMENTS / homework_id, folder)
        (folder / f"{module}.ipynb").rename(folder / "Copy of the notebook (1).ipynb")
    else:
        folder.mkdir()
        shutil.copy(ASSIGNMENTS / homework_id / f"{module}.ipynb", folder / "Copy of the notebook (1).ipynb")
    book = student_notebook(homework_id)
    first = book.cells[0]
    assert first.metadata["jupyter"]["source_hidden"] and SKIP_TAG in first.metadata["tags"]
    run = [first] + [cell for cell in book.cells if SKIP_TAG not in cell.metadata.get("tags", [])]
    filled = [cell for cell in answered(book, solution_of(homework_id)).cells if ANSWER_TAG in cell.metadata.get("tags", [])]
    book.cells = run + filled + [nbformat.v4.new_code_cell(f'grader.check("{question}")') for question in questions]
    nbclient.NotebookClient(book, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}}).execute()
    wrote = "".join(output.get("text", "") for output in book.cells[0].outputs)
    if opened == "in_its_folder":
        assert wrote == ""
    else:
        assert "opened on its own" in wrote
        written = {"tests", "rnnkit_testing", "conftest.py", f"test_public_{module}.py"}
        assert {p.name for p in folder.iterdir()} - {"__pycache__", ".OTTER_LOG"} == written | {"Copy of the notebook (1).ipynb"}
        for name in ("rnnkit_testing/__init__.py", f"tests/{sorted(questions)[0]}.py"):
            assert (folder / name).read_text() == (ASSIGNMENTS / homework_id / name).read_text()
    outputs = ["".join(output.get("data", {}).get("text/plain", output.get("text", "")) for output in cell.outputs)
               for cell in book.cells if cell.source.startswith("grader.check")]
    before, after = outputs[:len(questions)], outputs[len(questions):]
    for question, text in zip(questions, before):
        assert "Test case failed" in text and "is not implemented yet" in text, (question, text)
    assert "0.1 " in before[0]  # numbered as on Gradescope
    for question, text in zip(questions, after):
        assert "All test cases passed" in text and "and hidden tests" in text, (question, text)


@pytest.mark.parametrize("hand_in", ["folder_zip", "renamed", "as_given"])
@pytest.mark.parametrize("homework_id", NOTEBOOK_HOMEWORKS)
def test_the_student_notebook_is_graded_by_the_engine(tmp_path, homework_id, hand_in):
    """The notebook students receive grades to 0 as given, and to full marks with the answers (its
    training cells left out), however it is handed in: the whole assignment folder zipped, with
    the untouched stub .py and the public tests beside the notebook, or the notebook alone in a
    copy Jupyter renamed. The results say which file was graded."""
    book = student_notebook(homework_id)
    module = grader_trust.Homework(homework_id).module
    text = nbformat.writes(book if hand_in == "as_given" else answered(book, solution_of(homework_id)))
    if hand_in == "folder_zip":
        folder = tmp_path / "upload" / homework_id
        shutil.copytree(ASSIGNMENTS / homework_id, folder)
        (folder / f"{module}.ipynb").write_text(text)
        path, graded = shutil.make_archive(str(tmp_path / "submission"), "zip", folder.parent), f"{module}.ipynb"
    else:
        graded = f"Copy of {module} (1).ipynb" if hand_in == "renamed" else f"{module}.ipynb"
        path = tmp_path / graded
        path.write_text(text)
    proc, results = run_grade(homework_id, path, tmp_path / "out")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    score, maximum = total(results)
    assert maximum > 0 and score == (0 if hand_in == "as_given" else maximum), failed_outputs(results)
    assert results["output"].startswith(f"Graded the code cells of {homework_id + '/' if hand_in == 'folder_zip' else ''}{graded}."), results["output"]
    if hand_in == "folder_zip":
        assert f"{module}.py (" in results["output"], results["output"]  # the stub, named as ignored
