"""Broken and hostile submissions: each gets the right score, a clear message and a valid
results.json that lists every test, and the run ends in bounded time, with no process left behind.

Every test runs in every mode of grader_modes.py: root with namespaces; root with Docker's default
capabilities (Gradescope), with and without Landlock; an ordinary user with Landlock. Scores are
checked against the reference's own results, so the tests say exactly which points a submission
must lose and which it must keep.
"""

import ast
import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import pytest

import grader_modes
from conftest import ROOT, SOLUTIONS, failed_outputs, notebook_text, reference_cells, run_grade, total
from rnnkit.results import SCHEMA

HW = "hw1_rnn_cell"
REFERENCE = (SOLUTIONS / HW / "rnn_cell.py").read_text()
GRADER_FILE = "autograder/graders/hw1_rnn_cell/test_1_forward.py"
GRADED_MODES = ("namespaces", "docker-root", "docker-root-no-landlock", "non-root")


@dataclass
class Grader:
    """How one mode runs `rnnkit grade`: its command prefix, environment, kit and work folder."""

    mode: str
    kit: Path  # the checkout, or a private copy of it (Docker modes)
    env: dict
    folders: dict = field(default_factory=dict)

    def folder(self, tmp_path):
        """A folder for the submission and results that the mode's user can use (one per test)."""
        if grader_modes.runs_as_root(self.mode):
            return tmp_path
        return self.folders.setdefault(tmp_path, grader_modes.open_workdir())

    def grade(self, submission, out, *extra, timeout=300, homework=HW):
        return run_grade(homework, submission, out, *extra, timeout=timeout,
                         prefix=grader_modes.prefix(self.mode), env=self.env)


# Where the grader is an ordinary user, every sandbox shares that user's process limit: the fork
# bomb of one test must not starve another test's forks, so those tests run one after another
# (make test uses pytest-xdist's --dist loadgroup).
MODE_PARAMS = [
    pytest.param(mode, marks=pytest.mark.xdist_group("one-user-sandboxes")) if mode.startswith("non-root") else mode
    for mode in GRADED_MODES
]


@pytest.fixture(scope="module", params=MODE_PARAMS)
def grader(request):
    mode = request.param
    if mode.startswith("docker-root"):
        kit = grader_modes.private_kit()  # what setup.sh arranges: only root can read the kit
        yield Grader(mode, kit, {"PYTHONPATH": str(kit / "autograder")})
        shutil.rmtree(kit, ignore_errors=True)
    else:
        yield Grader(mode, ROOT, {})


def reference_with(overrides):
    """The reference solution with some functions redefined at its end (the rest stays correct)."""
    return REFERENCE + "\n\n# --- overrides ---\nimport os, sys\n" + overrides


@pytest.fixture(scope="module")
def reference_results(grader, tmp_path_factory):
    folder = grader.folder(tmp_path_factory.mktemp("ref"))
    proc, results = grader.grade(SOLUTIONS / HW / "rnn_cell.py", folder / "out")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return results


def points_of(results, prefix):
    """Max points of the tests whose name starts with ``prefix`` (a function name)."""
    return sum(t["max_score"] for t in results["tests"] if t["name"].startswith(prefix))


def assert_loses_only(results, reference_results, *functions):
    """The score is full marks minus exactly the points of the tests of ``functions``."""
    score, maximum = total(results)
    assert score == maximum - sum(points_of(reference_results, f) for f in functions)


def says_or_points_upstream(outputs, keywords):
    """Each failed test's message names one of ``keywords``, or (one root cause) points at a
    function it builds on whose own failed tests name one: {test: message} of those that do not."""
    keywords = (keywords,) if isinstance(keywords, str) else keywords
    names = lambda text: any(k.lower() in text.lower() for k in keywords)  # noqa: E731
    wrong = {}
    for test, output in outputs.items():
        upstream = re.match(r"`[\w.]+` builds on ((?:`[\w.]+`(?:, )?)+), and ", output)
        if upstream:
            roots = re.findall(r"`([\w.]+)`", upstream.group(1))
            if all(any(t.startswith(f"{root}:") and names(o) for t, o in outputs.items()) for root in roots):
                continue
        elif names(output):
            continue
        wrong[test] = output
    return wrong


def check_report(results, reference_results):
    """Valid Gradescope JSON, and every test of the reference run is listed with its max_score."""
    jsonschema.validate(results, SCHEMA)
    listed = [(t["name"], t["max_score"]) for t in results["tests"]]
    assert listed == [(t["name"], t["max_score"]) for t in reference_results["tests"]]


# A sleep time no other process on the machine uses, one per pytest-xdist worker (each runs one
# test at a time): finds this test's leftovers, never those of a test running beside it.
MARKER = f"31337.{25 + int(os.environ.get('PYTEST_XDIST_WORKER', 'gw0').removeprefix('gw') or 0)}"


def leftovers():
    """Processes still running `sleep MARKER` (started by a submission)."""
    found = []
    for name in os.listdir("/proc"):
        try:
            if name.isdigit() and Path(f"/proc/{name}/cmdline").read_bytes().split(b"\0")[1:2] == [MARKER.encode()]:
                found.append(int(name))
        except (OSError, IndexError):
            continue
    return found


@pytest.fixture
def grade_text(grader, tmp_path):
    """grade_text(source, *extra) -> (results, seconds): grade one rnn_cell.py in this mode, and
    check the kit did not fail and left no process behind."""

    def _grade_text(source, *extra):
        folder = grader.folder(tmp_path)
        path = folder / "rnn_cell.py"
        path.write_text(source)
        started = time.monotonic()
        proc, results = grader.grade(path, folder / "out", *extra)
        assert proc.returncode == 0, f"the kit failed on a student's submission:\n{proc.stdout}\n{proc.stderr}"
        assert not leftovers(), "a process the submission started outlived the grading"
        return results, time.monotonic() - started

    return _grade_text


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
def test_broken_submission_scores_zero_with_a_clear_message(grade_text, reference_results, source, keyword):
    results, seconds = grade_text(source)
    check_report(results, reference_results)
    score, maximum = total(results)
    assert score == 0 and maximum == total(reference_results)[1]
    outputs = failed_outputs(results)
    assert len(outputs) == len(results["tests"])
    keywords = (keyword,) if isinstance(keyword, str) else keyword
    assert not says_or_points_upstream(outputs, keywords), sorted(set(outputs.values()))[:3]
    if any("the full message is at the top" in text for text in outputs.values()):  # failed at import
        assert len(set(outputs.values())) == 1  # one brief line, the same in every test
        assert any(k.lower() in results["output"].lower() for k in keywords), results["output"]
    assert seconds < 120


def test_a_failure_in_one_function_costs_only_that_function(grade_text, reference_results):
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
    results, seconds = grade_text(source)
    check_report(results, reference_results)
    assert_loses_only(results, reference_results, "clip_grad_norm", "output_layer", "gradient_norms_through_time")
    outputs = failed_outputs(results)
    assert all("did not return within" in o for n, o in outputs.items() if n.startswith("clip_grad_norm"))
    assert all("crashed" in o for n, o in outputs.items() if n.startswith("output_layer"))
    assert all("MemoryError" in o for n, o in outputs.items() if n.startswith("gradient_norms_through_time"))
    assert seconds < 60  # a function that hung is not called again


def test_missing_function_loses_only_its_points(grade_text, reference_results):
    source = reference_with("del clip_grad_norm\n")
    results, _ = grade_text(source)
    check_report(results, reference_results)
    assert_loses_only(results, reference_results, "clip_grad_norm")
    assert all("no function named `clip_grad_norm`" in o for o in failed_outputs(results).values())


def test_nan_outputs_are_named(grade_text, reference_results):
    source = reference_with(
        "_cell = rnn_cell_forward\n"
        "def rnn_cell_forward(*args, **kwargs):\n"
        "    return np.full_like(_cell(*args, **kwargs), np.nan)\n"
    )
    results, _ = grade_text(source)
    check_report(results, reference_results)
    cell = {n: o for n, o in failed_outputs(results).items() if n.startswith("rnn_cell_forward")}
    assert cell and all("NaN" in o for n, o in cell.items() if "ValueError" not in n), cell


# --- the sandbox's walls ---------------------------------------------------------------------

SPY = """
import os, signal, socket
from pathlib import Path

def _try(action):
    try:
        return repr(action())
    except BaseException as error:
        return f"refused: {{type(error).__name__}}"

def _udp():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        return s.sendto(b"x", ("127.0.0.1", {port}))

def _unix():
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        return s.connect({unix_path!r})

def rnn_cell_forward(*args, **kwargs):
    kit = Path({kit!r})
    report = {{
        "read grader": _try(lambda: (kit / {grader!r}).read_text()),
        "list kit": _try(lambda: os.listdir(kit)),
        "read solution": _try(lambda: (kit / "solutions/hw1_rnn_cell/rnn_cell.py").read_text()),
        "connect": _try(lambda: socket.create_connection(("127.0.0.1", {port}), timeout=2)),
        "udp": _try(_udp),
        "unix socket": _try(_unix),
        "signal a process of the grader's user": _try(lambda: os.kill({sentinel}, signal.SIGKILL)),
        "signal the grader": _try(lambda: os.kill(os.getppid() or 1, signal.SIGKILL) if os.getppid() > 1 else 1 / 0),
        "write out dir": _try(lambda: open({out!r} + "/results.json", "w").write("{{}}")),
    }}
    _try(lambda: os.kill(-1, signal.SIGKILL))  # judged by its effect: the grader must survive
    raise RuntimeError("SPY" + repr(report))
"""

EXPECTED_LAYERS = {
    "namespaces": {"namespaces", "unprivileged-user", "seccomp"},
    "docker-root": {"unprivileged-user", "seccomp"},
    "docker-root-no-landlock": {"unprivileged-user", "seccomp"},
    "non-root": {"seccomp"},
}


def _spy_report(results):
    for output in failed_outputs(results).values():
        if "SPY{" in output:
            start = output.index("SPY{") + 3
            return ast.literal_eval(output[start : output.index("}", start) + 1])
    raise AssertionError("the spy never reported")


def test_sandbox_hides_graders_network_and_grader(grader, grade_text, reference_results, tmp_path):
    """The submission cannot read graders or solutions, reach a local server over TCP, UDP or a
    UNIX socket, signal the grader or a process of its user, or write the results."""
    import socket

    folder = grader.folder(tmp_path)
    unix_path = str(folder / "grader.sock")
    servers = [socket.socket(), socket.socket(socket.AF_UNIX)]
    servers[0].bind(("127.0.0.1", 0))
    servers[1].bind(unix_path)
    os.chmod(unix_path, 0o777)
    for server in servers:
        server.listen()
    # A process of the grader's own user, outside the sandbox.
    sentinel = subprocess.Popen([*grader_modes.prefix(grader.mode), "sleep", "120"])
    for _ in range(100):  # the wrapper execs into setpriv, then into sleep: same pid
        if _command(sentinel.pid) == b"sleep":
            break
        time.sleep(0.05)
    out = folder / "out"
    source = SPY.format(kit=str(grader.kit), grader=GRADER_FILE, port=servers[0].getsockname()[1],
                        unix_path=unix_path, out=str(out), sentinel=sentinel.pid)
    results, _ = grade_text(source)
    for server in servers:
        server.close()
    assert sentinel.poll() is None, "the submission killed a process outside the sandbox"
    sentinel.kill()
    check_report(results, reference_results)
    report = _spy_report(results)
    listing = report.pop("list kit")  # the checkout: at most the virtualenv Python runs from
    assert "autograder" not in listing and "solutions" not in listing, listing
    assert all(value.startswith("refused") for value in report.values()), report
    assert json.loads((out / "results.json").read_text()) == results
    layers = set(results["extra_data"]["sandbox"])
    assert EXPECTED_LAYERS[grader.mode] <= layers, layers
    assert {"rlimits", "files-hidden", "network-closed"} <= layers, layers
    assert any(layer.startswith("landlock") for layer in layers) == ("landlock" not in grader.mode), layers
    missing = results["extra_data"]["sandbox_missing"]  # said plainly, for the instructor
    assert ("landlock" in missing) == ("no-landlock" in grader.mode) and ("namespaces" in missing) == (grader.mode != "namespaces")


def _command(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].rsplit(b"/", 1)[-1]
    except OSError:
        return b""


def test_fork_bomb_is_contained(grade_text, reference_results):
    source = reference_with(
        "def output_layer(h, W_hy, b_y):\n"
        "    while True:\n"
        "        os.fork()\n"
    )
    results, seconds = grade_text(source)
    check_report(results, reference_results)
    assert_loses_only(results, reference_results, "output_layer")
    assert seconds < 60


def test_file_size_and_disk_are_limited(grade_text, reference_results):
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
    results, _ = grade_text(source)
    check_report(results, reference_results)
    assert_loses_only(results, reference_results, "output_layer", "clip_grad_norm")
    outputs = failed_outputs(results)
    # Refused outright where Landlock confines writes to the sandbox's own folders.
    limited = ("File too large", "No space left", "to disk", "Permission denied")
    assert all(any(k in o for k in limited) for o in outputs.values()), outputs


def test_grading_is_deterministic(grade_text):
    """Same submission, same results.json, apart from execution_time; the student's own use of
    np.random is reseeded before every call."""
    source = reference_with(
        "_cell = rnn_cell_forward\n"
        "def rnn_cell_forward(*args, **kwargs):\n"
        "    return _cell(*args, **kwargs) + (np.random.rand() > 0.5)\n"
    )
    runs = [grade_text(source)[0] for _ in range(2)]
    for results in runs:
        results.pop("execution_time")
    assert runs[0] == runs[1]


# --- processes left behind, replies that attack the grader, time and intake ------------------

def test_children_of_a_crash_and_setsid_daemons_are_killed(grade_text, reference_results):
    """Children left by a function that crashes, and a double-forked setsid daemon started by a
    function that returns normally, do not outlive the grading (grade_text checks)."""
    source = reference_with(
        "import subprocess\n"
        f"def output_layer(h, W_hy, b_y):\n"
        f"    for _ in range(10):\n"
        f"        subprocess.Popen(['sleep', '{MARKER}'])\n"
        "    os._exit(1)\n"
        "_clip = clip_grad_norm\n"
        "def clip_grad_norm(grads, max_norm):\n"
        "    if os.fork() == 0:\n"
        "        os.setsid()\n"
        "        if os.fork() == 0:\n"
        f"            os.execvp('sleep', ['sleep', '{MARKER}'])\n"
        "        os._exit(0)\n"
        "    return _clip(grads, max_norm)\n"
    )
    results, _ = grade_text(source)
    check_report(results, reference_results)
    assert_loses_only(results, reference_results, "output_layer")


CHANNEL = """
import fcntl, os, stat, struct, time

def _reply(payload):
    # Write straight onto the grader's channel (the worker's copy of stdout), then wait.
    for fd in range(3, 64):
        try:
            mode, flags = os.fstat(fd).st_mode, fcntl.fcntl(fd, fcntl.F_GETFL)
        except OSError:
            continue
        if stat.S_ISFIFO(mode) and flags & os.O_ACCMODE == os.O_WRONLY:
            os.write(fd, struct.pack(">I", len(payload)) + payload)
    time.sleep(60)
"""

HOSTILE_REPLIES = {
    # ~16 MB of tiny values: millions of Python objects if it were parsed
    "output_layer": 'b\'{"op":"result","value":[\' + b"0," * 6_999_999 + b"0]}"',
    # a shape whose product overflows int64 and wraps around to match empty data
    "clip_grad_norm": 'b\'{"op":"result","value":{"__ndarray__":"<f8","shape":[4294967296,4294967296],"data":""}}\'',
    # nesting far deeper than any value
    "gradient_norms_through_time": 'b\'{"op":"result","value":\' + b"[" * 200_000 + b"]" * 200_000 + b"}"',
    # an array of an unsupported kind, and garbage bytes
    "rnn_backward": 'b\'{"op":"result","value":{"__ndarray__":"O","shape":[1],"data":"AA=="}}\'',
    "rnn_cell_backward": 'bytes(range(256)) * 100',
}


def test_hostile_replies_cost_only_their_function(grade_text, reference_results):
    """Oversized, crafted and malformed replies are the submission's failure: never a kit error,
    never a long wait."""
    overrides = CHANNEL + "".join(
        f"def {name}(*args, **kwargs):\n    _reply({payload})\n" for name, payload in HOSTILE_REPLIES.items()
    )
    results, seconds = grade_text(reference_with(overrides))
    check_report(results, reference_results)
    assert_loses_only(results, reference_results, *HOSTILE_REPLIES)
    assert not says_or_points_upstream(failed_outputs(results), "unreadable reply"), failed_outputs(results)
    assert seconds < 60


def test_slow_calls_stop_at_the_time_budget(grade_text, reference_results):
    """Every call takes 4 s (under the 10 s call limit): the submission's budget stops grading in
    time, results.json is complete, and the tests not reached say why."""
    source = reference_with(
        "import time\n"
        "for _name in [n for n, f in list(globals().items()) if callable(f) and n[0] != '_']:\n"
        "    def _slow(*args, _f=globals()[_name], **kwargs):\n"
        "        time.sleep(4)\n"
        "        return _f(*args, **kwargs)\n"
        "    globals()[_name] = _slow\n"
    )
    results, seconds = grade_text(source, "--time-budget", "15")
    check_report(results, reference_results)
    assert seconds < 45
    outputs = failed_outputs(results)
    assert len(outputs) > len(results["tests"]) / 2
    assert all("time budget of 15 s" in o for o in outputs.values()), sorted(set(outputs.values()))[:3]


def test_a_symlink_is_never_followed_at_intake(grader, tmp_path, reference_results):
    """A submission that is a link (to the reference, here) is refused; a link inside a folder is
    skipped."""
    folder = grader.folder(tmp_path)
    link = folder / "rnn_cell.py"
    link.symlink_to(grader.kit / "solutions" / HW / "rnn_cell.py")
    (folder / "dir").mkdir()
    (folder / "dir" / "rnn_cell.py").symlink_to(grader.kit / "solutions" / HW / "rnn_cell.py")
    for submission, keyword in ((link, "symbolic link"), (folder / "dir", "was not found")):
        proc, results = grader.grade(submission, folder / f"out-{submission.name}")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        check_report(results, reference_results)
        assert total(results)[0] == 0
        assert all(keyword in o for o in failed_outputs(results).values())


TORCH_IN_A_NUMPY_HOMEWORK = reference_with(
    "import torch\n"
    "_cell_backward = rnn_cell_backward\n"
    "def rnn_cell_backward(*args):\n"
    "    torch.tensor(args[1], requires_grad=True)\n"
    "    return _cell_backward(*args)\n"
    "def output_layer(h, W_hy, b_y):\n"
    "    sys.meta_path = [f for f in sys.meta_path if 'Refuse' not in type(f).__name__]\n"
    "    for name in [m for m in sys.modules if m.split('.')[0] == 'torch']:\n"
    "        del sys.modules[name]\n"
    "    import torch as real_torch\n"
    "    return real_torch.__version__\n"
)


def test_a_package_the_homework_does_not_allow_cannot_be_used(grader, grade_text, reference_results):
    """HW1 is numpy only. A backward that uses torch loses its points with the rule as the
    message, and the rest of the file keeps its points; removing the import hook does not help
    where the sandbox cannot read torch's files (everywhere but root without Landlock on a
    world-readable virtualenv, which the results then say plainly)."""
    results, _ = grade_text(TORCH_IN_A_NUMPY_HOMEWORK)
    check_report(results, reference_results)
    layers = results["extra_data"]["sandbox"]
    outputs = failed_outputs(results)
    backward = {n: o for n, o in outputs.items() if n.startswith(("rnn_cell_backward", "rnn_backward"))}
    assert not says_or_points_upstream(backward, "torch is not available in this homework"), outputs
    if grader.mode == "docker-root-no-landlock":  # only file modes could hide torch: none here
        assert "other-packages-readable" in layers
        assert_loses_only(results, reference_results, "rnn_cell_backward", "rnn_backward", "output_layer")
    else:
        assert "packages-limited" in layers
        assert_loses_only(results, reference_results, "rnn_cell_backward", "rnn_backward", "output_layer")
        # Not there at all (namespaces), or there but unreadable (Landlock).
        refused = ("No module named 'torch'", "Permission denied")
        assert all(any(r in o for r in refused) for n, o in outputs.items() if n.startswith("output_layer")), outputs


# --- notebook submissions (HW3): a hostile cell costs what it defines, nothing more --------------

NOTEBOOK_HW = "hw3_text_generation"
NOTEBOOK_MODULES = {"hw3_text_generation": "text_generation", "hw4_seq2seq": "seq2seq"}
HOSTILE_CELLS = {
    "forges results": (
        "import json, numpy as np, torch\n"
        "fake = dict(score=1000, tests=[])\n"
        "for path in ('results.json', '/autograder/results/results.json', OUT + '/results.json'):\n"
        "    try:\n"
        "        open(path, 'w').write(json.dumps(fake))\n"
        "    except OSError:\n"
        "        pass\n"
        "print(json.dumps(fake))\n"
        "np.allclose = torch.allclose = lambda *a, **k: True\n"
        "np.testing.assert_allclose = lambda *a, **k: None\n"
    ),
    "exits": "import sys\nsys.exit(0)",
    "loops forever": "while True:\n    pass",
    "floods output": "import sys\nfor _ in range(3000):\n    sys.stdout.write('flood' * 20_000)",
}


def notebook_cells(*inserted, homework=NOTEBOOK_HW):
    return reference_cells(homework, NOTEBOOK_MODULES[homework], *inserted)


@pytest.fixture
def grade_notebook(grader, tmp_path):
    """grade_notebook(cells) -> results: grade a text_generation.ipynb in this mode; the kit must
    not fail, and no process may outlive the grading."""

    def _grade(cells, homework=NOTEBOOK_HW):
        folder = grader.folder(tmp_path)
        path = folder / f"{NOTEBOOK_MODULES[homework]}.ipynb"
        path.write_text(notebook_text(cells))
        proc, results = grader.grade(path, folder / "out", homework=homework)
        assert proc.returncode == 0, f"the kit failed on a student's notebook:\n{proc.stdout}\n{proc.stderr}"
        jsonschema.validate(results, SCHEMA)
        assert not leftovers()
        return results

    return _grade


@pytest.mark.parametrize("homework", NOTEBOOK_MODULES)
def test_hostile_notebook_cells_cost_only_themselves(grader, grade_notebook, tmp_path, homework):
    """Cells that forge results, exit, loop forever and flood the output, among the reference's
    cells: every function the other cells define keeps its points."""
    if homework != NOTEBOOK_HW and grader.mode not in ("namespaces", "docker-root-no-landlock"):
        pytest.skip("HW4's notebook goes through HW3's intake: its strongest and weakest walls suffice")
    out = str(grader.folder(tmp_path) / "out")
    cells = notebook_cells(f"OUT = {out!r}", *HOSTILE_CELLS.values(), homework=homework)
    results = grade_notebook(cells, homework)
    score, maximum = total(results)
    assert maximum > 0 and score == maximum, failed_outputs(results)
    assert "score" not in results
    notes = results["output"]
    assert "raised SystemExit" in notes and "was stopped after" in notes and "rnnkit:skip" in notes, notes


READER_CELL = """
from pathlib import Path
LEAK = []
for path in ({grader!r}, {solution!r}):
    try:
        LEAK.append(Path(path).read_text()[:300])
    except Exception as error:
        LEAK.append(f"refused: {{type(error).__name__}}")
"""


def test_a_notebook_cannot_read_the_graders(grader, grade_notebook):
    """A cell reads a hidden grader and the solution, and sample_next sends back what it got."""
    reader = READER_CELL.format(
        grader=str(grader.kit / "autograder/graders/hw3_text_generation/test_3_sampling.py"),
        solution=str(grader.kit / "solutions/hw3_text_generation/text_generation.py"),
    )
    leaking = "def sample_next(probs, temperature, rng):\n    raise RuntimeError('LEAK' + repr(LEAK))"
    results = grade_notebook(notebook_cells() + [reader, leaking])
    lost = failed_outputs(results)
    assert {name.split(":")[0] for name in lost} == {"sample_next", "generate"}, sorted(lost)
    reports = [output for output in lost.values() if "LEAK[" in output]
    assert reports and all(output.count("refused: ") == 2 for output in reports), reports[0]
    assert not any("def test_" in output or "BEGIN SOLUTION" in output for output in lost.values())


def test_a_notebook_that_kills_python_scores_zero_with_a_clear_message(grade_notebook):
    results = grade_notebook(notebook_cells("import os\nos._exit(3)"))
    assert total(results)[0] == 0 and len(results["tests"]) > 0
    assert all("crashed" in output for output in failed_outputs(results).values())
