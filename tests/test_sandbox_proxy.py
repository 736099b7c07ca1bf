"""The proxy's bookkeeping, without starting a real sandbox."""

import pytest

from rnnkit import sandbox
from rnnkit.sandbox import SandboxSpec, SandboxStudent, SandboxUnavailable
from rnnkit_testing import SubmissionFailed


def test_a_sandbox_that_cannot_start_is_the_kits_failure_on_every_call(monkeypatch, tmp_path):
    attempts = []

    def broken_worker(spec):
        attempts.append(spec)
        raise SandboxUnavailable("the sandbox could not start: no such user")

    monkeypatch.setattr(sandbox, "Worker", broken_worker)
    student = SandboxStudent(SandboxSpec(tmp_path, "rnn_cell", hidden=[]))
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
