"""The proxy's bookkeeping, without starting a real sandbox (and its retry of a silent crash, with one)."""

import os
import signal

import numpy as np
import pytest

from rnnkit import sandbox
from rnnkit.sandbox import SandboxSpec, SandboxStudent, SandboxUnavailable
from rnnkit.sandbox.policy import around
from rnnkit_testing import SubmissionFailed


def test_a_sandbox_that_cannot_start_is_the_kits_failure_on_every_call(tmp_path):
    attempts = []

    def broken_worker(spec):
        attempts.append(spec)
        raise SandboxUnavailable("the sandbox could not start: no such user")

    student = SandboxStudent(SandboxSpec(tmp_path, "rnn_cell", hidden=[]), start_worker=broken_worker)
    student.prestart()  # swallowed here: it must fail a test, not the whole run
    for _ in range(3):
        with pytest.raises(SandboxUnavailable):
            student.rnn_cell_forward(1)
    assert len(attempts) == 1  # not retried: it is not the submission's fault


def test_a_submission_that_cannot_run_fails_every_call_with_its_message():
    student = SandboxStudent.failed("rnn_cell.py was not found in your submission")
    with pytest.raises(SubmissionFailed, match="was not found"):
        student.rnn_forward()
    with pytest.raises(SubmissionFailed, match="was not found"):
        student.call_with_inputs("clip_grad_norm", [], 1.0)


WARNING_MODULE = '''
import warnings
import numpy as np

def overflow(z):
    return 1.0 / (1.0 + np.exp(-z))

def say(text):
    warnings.warn(text)
    return text
'''


@pytest.mark.parametrize("where", ["sandbox", "in-process"])
def test_warnings_a_call_raised_come_back_only_when_asked(where, tmp_path):
    """call_with_warnings reports each warning of that call (even one seen before), in the
    sandbox as in the students' own pytest run; plain calls return just the value."""
    import importlib.util

    import numpy as np

    from rnnkit_testing import InProcessStudent

    (tmp_path / "warner.py").write_text(WARNING_MODULE)
    if where == "sandbox":
        student = SandboxStudent(SandboxSpec(tmp_path, "warner", hidden=[]))
    else:
        spec = importlib.util.spec_from_file_location("warner", tmp_path / "warner.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        student = InProcessStudent(module)
    try:
        z = np.array([-1000.0, 0.0])
        for _ in range(2):  # the second identical warning is reported as well
            value, caught = student.call_with_warnings("overflow", z)
            assert np.array_equal(value, [0.0, 0.5])
            assert caught == ["RuntimeWarning: overflow encountered in exp"]
        assert student.call_with_warnings("say", "careful") == ("careful", ["UserWarning: careful"])
        assert student.call_with_warnings("overflow", np.zeros(2))[1] == []
        assert np.array_equal(student.overflow(np.zeros(2)), [0.5, 0.5])  # a plain call: just the value
    finally:
        if where == "sandbox":
            student.close()


def test_an_allowlist_grants_a_folder_minus_the_hidden_folders_inside_it(tmp_path):
    """A kit installed in site-packages: the sandbox may read every package but the kit."""
    site = tmp_path / "site-packages"
    for folder in ("numpy/core", "rnnkit/graders/hw1", "torch"):
        (site / folder).mkdir(parents=True)
    (site / "six.py").write_text("")
    (site / "rnnkit" / "__init__.py").write_text("")
    allowed = around(str(site), [str(site / "rnnkit" / "graders")])
    assert allowed == [str(site / "numpy"), str(site / "rnnkit" / "__init__.py"), str(site / "six.py"), str(site / "torch")]
    assert around(str(site), [str(site / "rnnkit")]) == [str(site / n) for n in ("numpy", "six.py", "torch")]
    assert around(str(site / "numpy"), [str(site)]) == []  # inside a hidden folder
    assert around(str(site), [str(tmp_path / "elsewhere")]) == [str(site)]


def test_a_silent_crash_at_import_is_tried_once_more(tmp_path):
    """A worker that dies at import without a word is started again once: a start that failed
    for no reason of the student's costs nothing, and a student's own exit is reported as theirs,
    with what is known."""
    (tmp_path / "flaky.py").write_text("def answer():\n    return 42\n")
    (tmp_path / "exits.py").write_text("import os\nos._exit(3)\ndef answer():\n    return 42\n")
    student = SandboxStudent(SandboxSpec(tmp_path, "exits", hidden=[]))
    try:
        with pytest.raises(SubmissionFailed, match="could not run"):
            student.answer()
    finally:
        student.close()
    assert "crashed Python (exit code 3), twice in a row and with no output at all" in student.import_failure

    launched = []
    real_launch = SandboxStudent._launch

    def first_launch_dies(self):
        worker = real_launch(self)
        if not launched:  # the first worker dies before its hello, as a failed start would
            os.killpg(worker.process.pid, signal.SIGKILL)
        launched.append(worker)
        return worker

    student = SandboxStudent(SandboxSpec(tmp_path, "flaky", hidden=[]))
    student._launch = first_launch_dies.__get__(student)
    try:
        assert student.answer() == 42
    finally:
        student.close()
    assert len(launched) == 2 and student.import_failure is None


HOARDER = """
import numpy as np
HOARD = []

def hoard():
    while True:  # 8 MB at a time, each one written to: real memory, not a reservation
        HOARD.append(np.ones(2**20))

def answer():
    HOARD.clear()
    return 42

def echo(value):
    return value
"""


def test_a_call_that_hoards_memory_meets_the_sandboxs_limit_and_the_next_call_runs(tmp_path):
    """The limit is on memory written (RLIMIT_DATA), not only on address space, which torch's
    reservations make useless as a bound: a call that hoards stops at the sandbox's 512 MB with a
    MemoryError that names that limit, well below Gradescope's 768 MB container (where the kernel
    would otherwise kill the whole sandbox), and the submission's other functions still answer."""
    (tmp_path / "hoarder.py").write_text(HOARDER)
    student = SandboxStudent(SandboxSpec(tmp_path, "hoarder", hidden=[]))
    try:
        with pytest.raises(Exception, match=r"MemoryError: Unable to allocate .* asked for more than the 512 MB of memory the sandbox allows") as raised:
            student.hoard()
        assert not isinstance(raised.value, SubmissionFailed), "the call failed, the sandbox did not"
        # The memory still held, even the kit's side of a call has none: a memory message, not
        # the worker's own traceback.
        with pytest.raises(Exception, match="512 MB of memory the sandbox allows") as raised:
            student.echo(np.ones(2**20))
        assert "worker.py" not in str(raised.value)
        assert student.answer() == 42
        peak_kb = int(next(line.split()[1] for line in open(f"/proc/{student._worker.process.pid}/status")
                           if line.startswith("VmHWM:")))
    finally:
        student.close()
    assert peak_kb < 512 * 1024, "what it filled stays under the limit"


GROWING_WINDOW = """
import torch

def read_growing_windows(longest):
    lstm = torch.nn.LSTM(30, 128, batch_first=True)
    with torch.no_grad():
        for length in range(1, longest + 1):
            lstm(torch.zeros(1, length, 30))
    return longest
"""


def test_an_lstm_over_ever_longer_inputs_stays_inside_the_memory_limit(tmp_path):
    """torch's oneDNN keeps compiled kernels per input shape (1024 by default, 1.2 GB of memory for
    400 lengths): HW3's window that never slides failed generate with "could not create a
    primitive" under the memory limit, while it passes outside the sandbox. The worker keeps 16."""
    (tmp_path / "window.py").write_text(GROWING_WINDOW)
    student = SandboxStudent(SandboxSpec(tmp_path, "window", hidden=[], packages=["numpy", "torch"],
                                         limits=sandbox.Limits(memory_mb=1536, import_timeout=60, call_timeout=60)))
    try:
        assert student.read_growing_windows(400) == 400
    finally:
        student.close()
