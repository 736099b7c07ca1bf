"""The students' own check: plain `pytest` in a homework folder covers every function, catches the
usual slips, prints a short report that ends with the public points, and agrees with the sandbox."""

import ast
import re
import shutil
import subprocess
import sys

import pytest

from conftest import ASSIGNMENTS, SOLUTIONS
from grader_trust import Homework
from rnnkit import homeworks
from rnnkit.feedback_markdown import plain_text

HOMEWORKS = ("hw1_rnn_cell", "hw2_lstm_gates")
REPORT_LINE = re.compile(r"^(?P<status>PASSED|FAILED) (?P<number>0\.\d+) (?P<name>.*) \((?P<earned>[\d.]+)/(?P<points>[\d.]+)\)$")


def student_folder(tmp_path, homework_id, source=None):
    """A copy of the folder students receive, with ``source`` as their module (default: the stub)."""
    folder = tmp_path / homework_id
    shutil.copytree(ASSIGNMENTS / homework_id, folder)
    if source is not None:
        (folder / f"{homeworks.load(homework_id).module}.py").write_text(source)
    return folder


def student_pytest(cwd, *args):
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        capture_output=True, text=True, cwd=cwd, timeout=300,
    )


def public_report(stdout):
    """{number: (status, message)} from the public-tests report, repeated messages resolved."""
    tests, current = {}, None
    for line in stdout.splitlines():
        match = REPORT_LINE.match(line)
        if match:
            current = match["number"]
            tests[current] = [match["status"], []]
        elif current and line.startswith("    "):
            tests[current][1].append(line.strip())
        else:
            current = None
    report = {number: (status, "\n".join(lines)) for number, (status, lines) in tests.items()}
    for number, (status, message) in report.items():
        same = re.fullmatch(r"\(the same error as (0\.\d+)\)", message)
        if same:
            report[number] = (status, report[same[1]][1])
    return report


def as_reported(message):
    """A results.json message (Markdown) as the public-tests report prints it (plain text,
    indented, no blank lines)."""
    return "\n".join(line.strip() for line in plain_text(message).splitlines() if line.strip())


def called_functions(path):
    """The student functions a test file calls: student.f(...) and student.call_with_*("f", ...)."""
    called = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "student":
            called.add(node.attr)
        if (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr.startswith("call_with_") and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            called.add(node.args[0].value)
    return called


@pytest.mark.parametrize("homework_id", [*HOMEWORKS, "hw3_text_generation", "hw4_seq2seq"])
def test_public_tests_call_every_student_function(homework_id):
    homework = Homework(homework_id)
    public = called_functions(ASSIGNMENTS / homework_id / f"test_public_{homework.module}.py")
    missing = set(homework.student_functions()) - public
    assert not missing, f"no public test calls {sorted(missing)}"


HW1 = Homework("hw1_rnn_cell")
# Slips that used to pass the public tests and lose points on Gradescope.
HW1_SLIPS = {
    "truncation_off_by_one": ("(t + 1) % truncate == 0", "t % truncate == 0", "truncate=2"),
    "clipping_in_place": (
        "    return [g * scale for g in grads]\n", "    for g in grads:\n        g *= scale\n    return grads\n",
        "does not modify",
    ),
    "clipping_with_an_epsilon": (
        "    if total_norm <= max_norm:\n        return [g.copy() for g in grads]\n"
        "    # One factor for all tensors keeps the direction of the full gradient; only its length changes.\n"
        "    scale = max_norm / total_norm\n",
        "    scale = min(1.0, max_norm / (total_norm + 1e-6))\n",
        "exactly max_norm",
    ),
}


@pytest.mark.parametrize("slip", sorted(HW1_SLIPS))
def test_public_tests_catch_the_usual_slips(tmp_path, slip):
    find, replace, failing_test = HW1_SLIPS[slip]
    source = HW1.solution.read_text()
    assert source.count(find) == 1, slip
    run = student_pytest(student_folder(tmp_path, HW1.id, source.replace(find, replace)))
    failed = [
        match["name"] for match in map(REPORT_LINE.match, run.stdout.splitlines())
        if match and match["status"] == "FAILED"
    ]
    assert run.returncode == 1 and any(failing_test in name for name in failed), run.stdout


def test_local_proxy_catches_an_in_place_edit_exactly_as_the_sandbox_does(tmp_path, grade):
    """The same public tests fail with the same messages in the student's pytest and in the sandbox."""
    find, replace, _ = HW1_SLIPS["clipping_in_place"]
    source = HW1.solution.read_text().replace(find, replace)
    local = public_report(student_pytest(student_folder(tmp_path, HW1.id, source)).stdout)
    submission = tmp_path / "submission" / "rnn_cell.py"
    submission.parent.mkdir()
    submission.write_text(source)
    graded = {
        t["number"]: ("PASSED" if t["status"] == "passed" else "FAILED", as_reported(t["output"]))
        for t in grade(HW1.id, submission)["tests"] if t["number"].startswith("0.")
    }
    assert local == graded
    assert any("modified its input" in message for _, message in local.values())


def test_an_exception_reads_the_same_locally_and_in_the_sandbox(tmp_path, grade):
    source = HW1.solution.read_text().replace(
        "def output_layer(h, W_hy, b_y):", "def output_layer(h, W_hy, b_y):\n    return {}['no such key']\n", 1,
    )
    local = public_report(student_pytest(student_folder(tmp_path, HW1.id, source)).stdout)
    submission = tmp_path / "rnn_cell.py"
    submission.write_text(source)
    graded = {t["number"]: as_reported(t["output"]) for t in grade(HW1.id, submission)["tests"] if t["number"].startswith("0.")}
    failed = {number: message for number, (status, message) in local.items() if status == "FAILED"}
    assert len(failed) == 1
    (number, message), = failed.items()
    assert "KeyError" in message and 'File "rnn_cell.py"' in message
    assert graded[number] == message


def test_stub_report_is_short_and_ends_with_the_public_points(tmp_path):
    folder = student_folder(tmp_path, HW1.id)
    run = student_pytest(folder)
    lines = run.stdout.splitlines()
    assert run.returncode == 1
    assert len(lines) < 80, run.stdout
    assert "array(" not in run.stdout and "Inputs:" not in run.stdout  # no values, no docstrings
    points = [line for line in lines if line.startswith("Public points for hw1_rnn_cell:")]
    assert len(points) == 1 and points[0].startswith("Public points for hw1_rnn_cell: 0 / "), run.stdout
    assert "only part of your grade" in points[0]

    shutil.copy(SOLUTIONS / HW1.id / "rnn_cell.py", folder / "rnn_cell.py")
    solved = student_pytest(folder)
    earned, available = re.search(r"Public points for hw1_rnn_cell: (\d+(?:\.\d+)?) / (\d+(?:\.\d+)?)", solved.stdout).groups()
    assert solved.returncode == 0 and earned == available, solved.stdout


def test_full_tracebacks_on_request(tmp_path):
    run = student_pytest(student_folder(tmp_path, HW1.id), "--tb=short")
    assert "Traceback" in run.stdout or "rnn_cell.py:" in run.stdout
    assert "For pytest's full tracebacks" not in run.stdout


def test_two_homework_folders_in_one_run(tmp_path):
    for homework_id in HOMEWORKS:
        student_folder(tmp_path, homework_id)
    run = student_pytest(tmp_path, *HOMEWORKS)
    assert run.returncode == 1 and "error" not in run.stdout.splitlines()[-1], run.stdout
    for homework_id in HOMEWORKS:
        assert f"Public points for {homework_id}: 0 / " in run.stdout, run.stdout
