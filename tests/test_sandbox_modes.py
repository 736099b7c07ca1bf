"""Where the sandbox cannot hide the graders, the kit refuses to grade (unless told otherwise).

The hostile suite shows each mode's walls hold when they can; these tests show what happens when
they cannot: root without namespaces or Landlock on a world-readable checkout (a Gradescope image
without setup.sh's modes), and an ordinary user without Landlock (a laptop on an older kernel).
"""

import jsonschema
import pytest

import grader_modes
from conftest import SOLUTIONS, run_grade, total
from rnnkit.results import SCHEMA

HW = "hw1_rnn_cell"
REFERENCE = SOLUTIONS / HW / "rnn_cell.py"


@pytest.mark.parametrize("mode", ["docker-root-no-landlock", "non-root-no-landlock"])
def test_the_kit_refuses_to_grade_where_the_graders_are_readable(mode):
    folder = grader_modes.open_workdir()
    proc, results = run_grade(HW, REFERENCE, folder / "out", prefix=grader_modes.prefix(mode))
    assert proc.returncode == 2, proc.stdout + proc.stderr  # the kit's failure, not the student's
    jsonschema.validate(results, SCHEMA)
    assert total(results)[0] == 0 and len(results["tests"]) == 57
    assert "refusing to grade" in proc.stdout and "--allow-unsafe" in proc.stdout
    assert "autograder/graders" in proc.stdout  # names what it could read
    # What is true: the kit failed, not the student, and the details are where the instructor looks.
    assert "The autograder itself hit a problem (not your code's fault)" in results["output"]
    assert "autograder output your instructor can see. Ask them to regrade." in results["output"]
    assert "has been told" not in results["output"]


def test_allow_unsafe_grades_and_says_what_is_missing():
    folder = grader_modes.open_workdir()
    proc, results = run_grade(HW, REFERENCE, folder / "out", "--allow-unsafe",
                              prefix=grader_modes.prefix("non-root-no-landlock"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert total(results) == (69, 69)
    layers = results["extra_data"]["sandbox"]
    assert "UNSAFE:hidden-files-readable" in layers and "network-closed" in layers, layers
    assert not any(layer.startswith("landlock") for layer in layers)
