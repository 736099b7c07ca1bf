"""A mistake of the course team's is one line naming the file, and exit status 2: a misspelt or
mistyped homework.yaml key, a name in it the solution does not define, a grader file that cannot
be imported, a test without points, a broken release marker. Never a Python traceback."""

import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, SOLUTIONS

HW = "hw1_rnn_cell"
# `rnnkit` on a copy of the graders and solutions, which the test then breaks.
RUNNER = """
import sys
from pathlib import Path
from rnnkit import cli, homeworks
import rnnkit.gradescope  # before the roots move: it locates the graders within the checkout
homeworks.GRADERS_ROOT, homeworks.SOLUTIONS_ROOT = Path(sys.argv[1]), Path(sys.argv[2])
sys.exit(cli.main(sys.argv[3:]))
"""


@pytest.fixture
def kit(tmp_path):
    graders, solutions = tmp_path / "graders", tmp_path / "solutions"
    shutil.copytree(ROOT / "autograder" / "graders", graders, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(SOLUTIONS / HW, solutions / HW)
    (tmp_path / "run.py").write_text(RUNNER)

    def rnnkit(*args):
        proc = subprocess.run([sys.executable, str(tmp_path / "run.py"), str(graders), str(solutions), *args],
                              capture_output=True, text=True, timeout=300, env={"PYTHONPATH": str(ROOT / "autograder"),
                                                                               "PATH": "/usr/bin:/bin"})
        return proc.returncode, proc.stdout.strip(), proc.stderr.strip()

    return graders / HW, solutions / HW, rnnkit


def edit(path, old, new):
    text = path.read_text()
    assert text.count(old) >= 1, f"{path.name} no longer holds {old!r}"
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize("old,new,said", [
    ("builds_on:", "bulds_on:", "homework.yaml: the top level: Additional properties are not allowed ('bulds_on' was unexpected)"),
    ("  memory_mb: 1024", "  memory_mb: lots", "homework.yaml: sandbox.memory_mb: 'lots' is not of type 'integer'"),
    ("  call_timeout: 10", "  call_timeout: -1", "homework.yaml: sandbox.call_timeout: -1 is less than or equal to the minimum of 0"),
    ("  rnn_forward: [rnn_cell_forward]", "  rnn_forward: [rnn_cell_fwd]",
     "homework.yaml: builds_on.rnn_forward: 'rnn_cell_fwd' is not defined in rnn_cell.py"),
    ("title:", "title: [\n", "homework.yaml: not valid YAML"),
], ids=["misspelt_key", "not_a_number", "negative", "unknown_function", "not_yaml"])
def test_a_wrong_homework_yaml_is_one_line_naming_the_file(kit, old, new, said):
    graders, _, rnnkit = kit
    edit(graders / "homework.yaml", old, new)
    code, out, err = rnnkit("list")
    assert code == 2 and err == "", err
    assert out.startswith("rnnkit list: ") and said in out and len(out.splitlines()) == 1, out


@pytest.mark.parametrize("breaking,said", [
    (lambda tests: edit(tests, "import numpy as np", "import numpy as np\nimport no_such_module_here"),
     "test_1_forward.py: cannot be imported: ModuleNotFoundError: No module named 'no_such_module_here'"),
    (lambda tests: edit(tests, "@pytest.mark.points(", "@pytest.mark.skipif(False, reason="),
     "test_1_forward.py::test_cell_shape: has no @pytest.mark.points(n)"),
], ids=["grader_import_error", "test_without_points"])
def test_a_broken_grader_is_one_line_naming_the_file(kit, tmp_path, breaking, said):
    graders, solutions, rnnkit = kit
    breaking(graders / "test_1_forward.py")
    code, out, err = rnnkit("list")
    assert code == 2 and err == "" and said in out and len(out.splitlines()) == 1, out
    # Grading says the same to the instructor, and still writes a valid results.json.
    code, out, err = rnnkit("grade", HW, str(solutions / "rnn_cell.py"), "--out", str(tmp_path / "out"))
    assert code == 2 and "kit error: " in out and said in out and "Traceback" not in out + err, out
    assert (tmp_path / "out" / "results.json").is_file()


def test_a_broken_release_marker_is_one_line_naming_the_file(kit):
    _, solutions, rnnkit = kit
    edit(solutions / "rnn_cell.py", "    # END SOLUTION\n", "\n")
    code, out, err = rnnkit("release", "--check", HW)
    assert code == 2 and err == "", err
    assert out.startswith("rnnkit release: ") and "rnn_cell.py:77: BEGIN SOLUTION inside another" in out, out
    assert len(out.splitlines()) == 1, out
