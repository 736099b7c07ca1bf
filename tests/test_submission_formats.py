"""What `rnnkit grade` accepts: a .py file, a folder or a .zip, from a student or a Gradescope
upload; and what it does with bad input."""

import json
import shutil
import subprocess
import zipfile

import jsonschema

from conftest import RNNKIT, SOLUTIONS, failed_outputs, run_grade, total
from rnnkit.results import SCHEMA

HW = "hw1_rnn_cell"
REFERENCE = SOLUTIONS / HW / "rnn_cell.py"


def test_folder_with_the_module_in_a_subfolder(tmp_path, grade):
    folder = tmp_path / "submission" / "my_work"
    folder.mkdir(parents=True)
    shutil.copy(REFERENCE, folder / "rnn_cell.py")
    (tmp_path / "submission" / "notes.txt").write_text("hello")
    results = grade(HW, tmp_path / "submission")
    assert total(results)[0] == total(results)[1]
    assert "my_work/rnn_cell.py" in results["output"]


def test_zip_with_a_folder_inside(tmp_path, grade):
    archive = tmp_path / "submission.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.write(REFERENCE, "hw1/rnn_cell.py")
        bundle.writestr("__MACOSX/hw1/rnn_cell.py", "garbage that must be ignored")
    results = grade(HW, archive)
    assert total(results)[0] == total(results)[1]


def test_python_file_with_another_name_is_graded_as_the_module(tmp_path, grade):
    renamed = tmp_path / "rnn_cell (1).py"
    shutil.copy(REFERENCE, renamed)
    results = grade(HW, renamed)
    assert total(results)[0] == total(results)[1]
    assert "as rnn_cell.py" in results["output"]


def _all_fail_with(results, phrase):
    jsonschema.validate(results, SCHEMA)
    score, maximum = total(results)
    outputs = failed_outputs(results)
    assert score == 0 and maximum > 0 and len(outputs) == len(results["tests"])
    assert all(phrase in output for output in outputs.values()), list(outputs.values())[:1]
    assert phrase in results["output"]


def test_corrupt_zip(tmp_path, grade):
    archive = tmp_path / "submission.zip"
    archive.write_bytes(b"PK\x03\x04 this is not really a zip")
    _all_fail_with(grade(HW, archive), "could not be read")


def test_zip_that_escapes_its_folder(tmp_path, grade):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("../../rnn_cell.py", "print('escaped')")
    _all_fail_with(grade(HW, archive), "unsafe path")
    assert not (tmp_path.parent / "rnn_cell.py").exists()


def test_folder_without_the_module(tmp_path, grade):
    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / "notes.txt").write_text("x = 1\n")
    _all_fail_with(grade(HW, tmp_path / "submission"), "rnn_cell.py was not found")


def test_a_single_python_file_in_a_folder_or_zip_is_graded_as_the_module(tmp_path, grade):
    """As Gradescope delivers a renamed rnn_cell.py: the same grade as the file on its own."""
    (tmp_path / "submission").mkdir()
    shutil.copy(SOLUTIONS / HW / "rnn_cell.py", tmp_path / "submission" / "hw1_final.py")
    results = grade(HW, tmp_path / "submission")
    assert total(results)[0] == total(results)[1]
    assert "Graded hw1_final.py as rnn_cell.py." in results["output"]
    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.write(SOLUTIONS / HW / "rnn_cell.py", "work/my rnn.py")
    results = grade(HW, archive)
    assert total(results)[0] == total(results)[1]
    assert "as rnn_cell.py" in results["output"]


def test_several_python_files_without_the_module_are_listed(tmp_path, grade):
    (tmp_path / "submission").mkdir()
    for name in ("rnn.py", "cell_v2.py"):
        (tmp_path / "submission" / name).write_text("x = 1\n")
    results = grade(HW, tmp_path / "submission")
    _all_fail_with(results, "rnn_cell.py was not found")
    assert "cell_v2.py (it answers none of the homework's functions), rnn.py" in results["output"]


def test_a_notebook_that_cannot_be_read_fails_with_the_reason(tmp_path, grade):
    """Notebooks are graded by their code cells (tests/test_notebooks.py); a broken one is named."""
    notebook = tmp_path / "rnn_cell.ipynb"
    notebook.write_text("{}")
    _all_fail_with(grade(HW, notebook), "rnn_cell.ipynb: it is not a Jupyter notebook")


def test_a_file_of_another_kind_is_not_a_python_file(tmp_path, grade):
    document = tmp_path / "rnn_cell.pdf"
    document.write_text("%PDF-1.4")
    _all_fail_with(grade(HW, document), "is not a Python file")


def test_missing_submission_is_the_callers_error_but_results_are_still_written(tmp_path):
    proc, results = run_grade(HW, tmp_path / "does_not_exist.py", tmp_path / "out")
    assert proc.returncode == 2
    assert "no such submission" in proc.stdout
    assert "Total" not in proc.stdout and "instructor" not in proc.stdout  # the cause, not a table
    _all_fail_with(results, "nothing was found")


def test_rnnkit_list_shows_each_homework_with_its_tests_and_points():
    proc = subprocess.run([*RNNKIT, "list"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = {line.split()[1]: line for line in proc.stdout.splitlines() if "hw" in line and "│" in line}
    assert "57 (10)" in lines["hw1_rnn_cell"] and "69" in lines["hw1_rnn_cell"]
    assert "64 (9)" in lines["hw2_lstm_gates"] and "79" in lines["hw2_lstm_gates"]


def test_unknown_homework(tmp_path):
    proc, results = run_grade("hw9_transformers", REFERENCE, tmp_path / "out")
    assert proc.returncode == 2 and "hw1_rnn_cell" in proc.stdout  # lists the known ones
    jsonschema.validate(results, SCHEMA)
    assert results["score"] == 0
    assert json.loads((tmp_path / "out" / "results.json").read_text()) == results
