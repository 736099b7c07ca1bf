"""`rnnkit release`: stubs come from the reference, assignments/ is never stale, and the folder
students receive works with plain `pytest`."""

import ast
import shutil
import subprocess
import sys

import pytest

from conftest import ASSIGNMENTS, RNNKIT, ROOT, SOLUTIONS
from rnnkit import homeworks
from rnnkit.release.stubs import MarkerError, make_stub

SOLUTION = '''import numpy as np


def given(x):
    return x


def double(x):
    """Return 2 x."""
    # BEGIN SOLUTION
    y = x * 2
    return y
    # END SOLUTION


class Model:
    def forward(self, x):
        # BEGIN SOLUTION
        return x
        # END SOLUTION
'''


def test_stub_replaces_only_the_marked_blocks():
    stub = make_stub(SOLUTION, given=("given",))
    assert "y = x * 2" not in stub and "return x\n" in stub  # given helper kept, solution gone
    assert 'raise NotImplementedError("double is not implemented yet")' in stub
    assert '        raise NotImplementedError("forward is not implemented yet")' in stub
    assert '"""Return 2 x."""' in stub and "BEGIN SOLUTION" not in stub
    namespace = {}
    exec(compile(stub, "stub", "exec"), namespace)
    assert namespace["given"](3) == 3
    with pytest.raises(NotImplementedError):
        namespace["double"](1)


@pytest.mark.parametrize(
    "source,problem",
    [
        ("def f():\n    # BEGIN SOLUTION\n    pass\n", "never closed"),
        ("def f():\n    # END SOLUTION\n", "without BEGIN"),
        ("# BEGIN SOLUTION\n# END SOLUTION\n", "outside a function"),
        ("def f():\n    # BEGIN SOLUTION\n    # BEGIN SOLUTION\n", "inside another"),
    ],
)
def test_unbalanced_markers_are_reported_with_their_line(source, problem):
    with pytest.raises(MarkerError, match=problem):
        make_stub(source, "sol.py")


def test_a_public_function_without_a_block_is_refused_unless_given():
    """Its whole code, answer included, would reach students."""
    with pytest.raises(MarkerError, match=r"sol.py: given has no BEGIN/END SOLUTION block"):
        make_stub(SOLUTION, "sol.py")
    method = SOLUTION + "\n    def backward(self, x):\n        return x\n"
    with pytest.raises(MarkerError, match="given, backward have no"):
        make_stub(method, "sol.py")
    assert "def _helper" in make_stub("def _helper():\n    return 1\n")  # helpers are given


def test_help_reads_as_plain_text():
    proc = subprocess.run([*RNNKIT, "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert "``" not in proc.stdout and "examples:" in proc.stdout


def test_assignments_folder_is_up_to_date():
    """Fails when solutions/, the public tests or the README changed without `rnnkit release`."""
    proc = subprocess.run([*RNNKIT, "release", "--check"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _student_pytest(folder):
    """Run plain pytest in a copy of the student folder, as a student would."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        capture_output=True, text=True, cwd=folder, timeout=300,
    )


def test_student_folder_runs_public_tests_with_plain_pytest(tmp_path):
    folder = tmp_path / "hw1_rnn_cell"
    shutil.copytree(ASSIGNMENTS / "hw1_rnn_cell", folder)
    stub_run = _student_pytest(folder)
    assert stub_run.returncode == 1 and " passed" not in stub_run.stdout, stub_run.stdout
    assert "NotImplementedError" in stub_run.stdout
    shutil.copy(SOLUTIONS / "hw1_rnn_cell" / "rnn_cell.py", folder / "rnn_cell.py")
    solved_run = _student_pytest(folder)
    assert solved_run.returncode == 0 and " failed" not in solved_run.stdout, solved_run.stdout


def test_student_folder_needs_only_numpy_torch_and_pytest():
    """Nothing in assignments/ imports the kit or any other third-party package."""
    allowed = {"numpy", "torch", "pytest", "rnnkit_testing"} | set(sys.stdlib_module_names)
    for path in ASSIGNMENTS.glob("*/*.py"):
        allowed_here = allowed | {homeworks.load(path.parent.name).module}
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            outside = {name.split(".")[0] for name in names} - allowed_here
            assert not outside, f"{path.relative_to(ROOT)} imports {outside}"
