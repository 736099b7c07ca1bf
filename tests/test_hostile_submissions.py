"""Broken and hostile submissions: each gets the right score, a clear message and a valid
results.json that lists every test, and the run ends in bounded time.

Scores are checked against the reference's own results, so the tests say exactly which points a
submission must lose and which it must keep.
"""

import ast
import json
import subprocess
import time

import jsonschema
import pytest

from conftest import SOLUTIONS, failed_outputs, run_grade, total
from rnnkit.results import SCHEMA

HW = "hw1_rnn_cell"
REFERENCE = (SOLUTIONS / HW / "rnn_cell.py").read_text()
GRADER_FILE = "autograder/graders/hw1_rnn_cell/test_1_forward.py"


def reference_with(overrides):
    """The reference solution with some functions redefined at its end (the rest stays correct)."""
    return REFERENCE + "\n\n# --- overrides ---\nimport os, sys\n" + overrides


@pytest.fixture(scope="module")
def reference_results(tmp_path_factory):
    proc, results = run_grade(HW, SOLUTIONS / HW / "rnn_cell.py", tmp_path_factory.mktemp("ref"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return results


def points_of(results, prefix):
    """Max points of the tests whose name starts with ``prefix`` (a function name)."""
    return sum(t["max_score"] for t in results["tests"] if t["name"].startswith(prefix))


def assert_loses_only(results, reference_results, *functions):
    """The score is full marks minus exactly the points of the tests of ``functions``."""
    score, maximum = total(results)
    assert score == maximum - sum(points_of(reference_results, f) for f in functions)


def check_report(results, reference_results):
    """Valid Gradescope JSON, and every test of the reference run is listed with its max_score."""
    jsonschema.validate(results, SCHEMA)
    listed = [(t["name"], t["max_score"]) for t in results["tests"]]
    assert listed == [(t["name"], t["max_score"]) for t in reference_results["tests"]]


def grade_text(tmp_path, source, *extra):
    path = tmp_path / "rnn_cell.py"
    path.write_text(source)
    started = time.monotonic()
    proc, results = run_grade(HW, path, tmp_path / "out", *extra)
    assert proc.returncode == 0, f"the kit failed on a student's submission:\n{proc.stdout}\n{proc.stderr}"
    return results, time.monotonic() - started


ALL_FAIL = [
    ("syntax_error", "import numpy as np\ndef rnn_cell_forward(x:\n    pass\n", "SyntaxError"),
    ("exception_at_import", "import numpy as np\nraise RuntimeError('half-finished file')\n", "RuntimeError"),
    ("sys_exit_at_import", "import sys\nsys.exit(0)\n", "sys.exit"),
    ("os_exit_at_import", "import os\nos._exit(0)\n", "crashed"),
    ("infinite_loop_at_import", "while True:\n    pass\n", "did not finish"),
    ("memory_bomb_at_import", "blocks = []\nwhile True:\n    blocks.append(bytearray(50_000_000))\n", "MemoryError"),
    (
        "wrong_return_types",
        "import numpy as np\n"
        "rnn_cell_forward = lambda *a, **k: [[0.0]]\n"
        "rnn_forward = lambda *a, **k: None\n"
        "rnn_cell_backward = lambda *a, **k: [np.zeros(1), np.zeros(1)]\n"
        "rnn_backward = lambda *a, **k: 'gradients'\n"
        "clip_grad_norm = lambda *a, **k: 1.0\n"
        "output_layer = lambda *a, **k: {'y': 1}\n"
        "gradient_norms_through_time = lambda *a, **k: (lambda: 0)\n",
        "should",
    ),
    (
        "monkeypatches_numpy_and_returns_zeros",
        "import numpy as np\n"
        "np.allclose = lambda *a, **k: True\n"
        "np.isclose = lambda a, b, **k: np.ones(np.shape(a), bool)\n"
        "np.testing.assert_allclose = lambda *a, **k: None\n"
        "def _zeros(*args, **kwargs):\n"
        "    return np.zeros((1, 1))\n"
        "rnn_cell_forward = rnn_forward = rnn_cell_backward = rnn_backward = _zeros\n"
        "clip_grad_norm = output_layer = gradient_norms_through_time = _zeros\n",
        ("has shape", "should return"),
    ),
    (
        "writes_a_fake_results_json",
        "import json, os, sys\n"
        "fake = {'score': 1000, 'tests': []}\n"
        "for path in ('results.json', '/autograder/results/results.json', '/tmp/results.json'):\n"
        "    try:\n"
        "        os.makedirs(os.path.dirname(path) or '.', exist_ok=True)\n"
        "        open(path, 'w').write(json.dumps(fake))\n"
        "    except OSError:\n"
        "        pass\n"
        "print(json.dumps(fake))\n"
        "sys.stdout.flush()\n",
        "no function named",
    ),
]


@pytest.mark.parametrize("source,keyword", [c[1:] for c in ALL_FAIL], ids=[c[0] for c in ALL_FAIL])
def test_broken_submission_scores_zero_with_a_clear_message(tmp_path, reference_results, source, keyword):
    results, seconds = grade_text(tmp_path, source)
    check_report(results, reference_results)
    score, maximum = total(results)
    assert score == 0 and maximum == total(reference_results)[1]
    outputs = failed_outputs(results)
    assert len(outputs) == len(results["tests"])
    keywords = (keyword,) if isinstance(keyword, str) else keyword
    assert all(any(k.lower() in text.lower() for k in keywords) for text in outputs.values()), sorted(
        set(outputs.values())
    )[:3]
    assert seconds < 120


def test_a_failure_in_one_function_costs_only_that_function(tmp_path, reference_results):
    """An infinite loop, a crash and a memory bomb, each in one function: the rest keeps its marks."""
    source = reference_with(
        "def clip_grad_norm(grads, max_norm):\n"
        "    while True:\n"
        "        pass\n"
        "def output_layer(h, W_hy, b_y):\n"
        "    os._exit(1)\n"
        "def gradient_norms_through_time(*args, **kwargs):\n"
        "    return [bytearray(100_000_000) for _ in range(100)]\n"
    )
    results, seconds = grade_text(tmp_path, source)
    check_report(results, reference_results)
    assert_loses_only(results, reference_results, "clip_grad_norm", "output_layer", "gradient_norms_through_time")
    outputs = failed_outputs(results)
    assert all("did not return within" in o for n, o in outputs.items() if n.startswith("clip_grad_norm"))
    assert all("crashed" in o for n, o in outputs.items() if n.startswith("output_layer"))
    assert all("MemoryError" in o for n, o in outputs.items() if n.startswith("gradient_norms_through_time"))
    assert seconds < 60  # a function that hung is not called again


def test_missing_function_loses_only_its_points(tmp_path, reference_results):
    source = reference_with("del clip_grad_norm\n")
    results, _ = grade_text(tmp_path, source)
    check_report(results, reference_results)
    assert_loses_only(results, reference_results, "clip_grad_norm")
    assert all("no function named `clip_grad_norm`" in o for o in failed_outputs(results).values())


def test_nan_outputs_are_named(tmp_path, reference_results):
    source = reference_with(
        "_cell = rnn_cell_forward\n"
        "def rnn_cell_forward(*args, **kwargs):\n"
        "    return np.full_like(_cell(*args, **kwargs), np.nan)\n"
    )
    results, _ = grade_text(tmp_path, source)
    check_report(results, reference_results)
    cell = {n: o for n, o in failed_outputs(results).items() if n.startswith("rnn_cell_forward")}
    assert cell and all("NaN" in o for n, o in cell.items() if "ValueError" not in n), cell


# --- the sandbox's walls ---------------------------------------------------------------------

SPY = '''
import os, signal, socket
from pathlib import Path

def _try(action):
    try:
        return repr(action())
    except BaseException as error:
        return f"refused: {{type(error).__name__}}"

def rnn_cell_forward(*args, **kwargs):
    kit = Path({kit!r})
    report = {{
        "read grader": _try(lambda: (kit / {grader!r}).read_text()),
        "list kit": _try(lambda: os.listdir(kit)),
        "read solution": _try(lambda: (kit / "solutions/hw1_rnn_cell/rnn_cell.py").read_text()),
        "connect": _try(lambda: socket.create_connection(("127.0.0.1", {port}), timeout=2)),
        "signal a process of the grader's user": _try(lambda: os.kill({sentinel}, signal.SIGKILL)),
        "write out dir": _try(lambda: open({out!r} + "/results.json", "w").write("{{}}")),
    }}
    _try(lambda: os.kill(-1, signal.SIGKILL))  # judged by its effect: the grader must survive
    raise RuntimeError("SPY" + repr(report))
'''


def _spy_report(results):
    for output in failed_outputs(results).values():
        if "SPY{" in output:
            start = output.index("SPY{") + 3
            return ast.literal_eval(output[start : output.index("}", start) + 1])
    raise AssertionError("the spy never reported")


@pytest.mark.parametrize("mode", ["auto", "process"])
def test_sandbox_hides_graders_network_and_grader(tmp_path, reference_results, mode, monkeypatch):
    """The submission cannot read graders or solutions, reach a local server, signal the grader
    or write the results; in process mode (no namespaces) Landlock provides the same walls."""
    import socket

    from conftest import ROOT

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    sentinel = subprocess.Popen(["sleep", "120"])
    out = tmp_path / "out"
    out.mkdir()
    source = SPY.format(kit=str(ROOT), grader=GRADER_FILE, port=server.getsockname()[1],
                        out=str(out), sentinel=sentinel.pid)
    if mode == "process":
        # Python here lives under /root, which the unprivileged sandbox user cannot enter.
        monkeypatch.setenv("RNNKIT_SANDBOX_USER", "")
    results, _ = grade_text(tmp_path, source, "--sandbox", mode)
    server.close()
    assert sentinel.poll() is None, "the submission killed a process outside the sandbox"
    sentinel.kill()
    check_report(results, reference_results)
    report = _spy_report(results)
    listing = report.pop("list kit")  # the checkout: at most the virtualenv Python runs from
    assert "autograder" not in listing and "solutions" not in listing, listing
    assert all(value.startswith("refused") for value in report.values()), report
    assert json.loads((out / "results.json").read_text()) == results
    layers = results["extra_data"]["sandbox"]
    expected = {"auto": {"namespaces", "unprivileged-user"}, "process": set()}[mode]
    assert expected <= set(layers) and "rlimits" in layers and any(l.startswith("landlock") for l in layers)


def test_fork_bomb_is_contained(tmp_path, reference_results):
    source = reference_with(
        "def output_layer(h, W_hy, b_y):\n"
        "    while True:\n"
        "        os.fork()\n"
    )
    results, seconds = grade_text(tmp_path, source)
    check_report(results, reference_results)
    assert_loses_only(results, reference_results, "output_layer")
    assert seconds < 60


def test_file_size_and_disk_are_limited(tmp_path, reference_results):
    """Writing a 100 MB file, or many small ones, fails inside the sandbox; nothing else suffers."""
    source = reference_with(
        "def output_layer(h, W_hy, b_y):\n"
        "    with open('big.bin', 'wb') as f:\n"
        "        f.write(b'0' * 100_000_000)\n"
        "def clip_grad_norm(grads, max_norm):\n"
        "    for i in range(100):\n"
        "        with open(f'/tmp/part{i}', 'wb') as f:\n"
        "            f.write(b'0' * 10_000_000)\n"
    )
    results, _ = grade_text(tmp_path, source)
    check_report(results, reference_results)
    assert_loses_only(results, reference_results, "output_layer", "clip_grad_norm")
    outputs = failed_outputs(results)
    assert all("File too large" in o or "No space left" in o for o in outputs.values()), outputs


def test_grading_is_deterministic(tmp_path):
    """Same submission, same results.json, apart from execution_time; the student's own use of
    np.random is reseeded before every call."""
    source = reference_with(
        "_cell = rnn_cell_forward\n"
        "def rnn_cell_forward(*args, **kwargs):\n"
        "    return _cell(*args, **kwargs) + (np.random.rand() > 0.5)\n"
    )
    runs = []
    for name in ("first", "second"):
        (tmp_path / name).mkdir()
        runs.append(grade_text(tmp_path / name, source)[0])
    for results in runs:
        results.pop("execution_time")
    assert runs[0] == runs[1]
