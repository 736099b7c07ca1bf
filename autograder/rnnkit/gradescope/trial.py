"""``rnnkit autograder-test``: run an autograder zip's own run_autograder on this machine.

It lays out a private copy of Gradescope's ``/autograder`` (``source/`` from the zip,
``submission/``, ``results/``, a ``submission_metadata.json``) in a folder only its owner can
enter, as setup.sh makes the kit unreadable on Gradescope, and runs the zip's ``run_autograder``
there with the zip's own engine and graders. What differs from Gradescope: setup.sh is not run (the
packages are this environment's, not the image's), the machine is this one (its user, kernel,
namespaces and Landlock decide the sandbox's layers), and no container limits memory or CPU.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from rnnkit.errors import KitError


class TrialError(KitError):
    """The zip or the submission cannot be laid out."""


def _extract(archive, destination):
    """Unpack a zip the way Gradescope does, refusing paths that leave ``destination``."""
    try:
        with zipfile.ZipFile(archive) as bundle:
            for member in bundle.infolist():
                target = (destination / member.filename).resolve()
                if not target.is_relative_to(destination.resolve()):
                    raise TrialError(f"{archive}: unsafe path {member.filename}")
            bundle.extractall(destination)
    except (zipfile.BadZipFile, OSError) as error:
        raise TrialError(f"{archive} could not be unpacked: {error}") from None


def _metadata(submission):
    return {
        "id": 0,
        "created_at": "2026-01-01T00:00:00.000000-08:00",
        "assignment": {"title": "autograder-test", "total_points": "0"},
        "users": [{"id": 0, "name": "autograder-test", "email": "autograder-test@example.invalid"}],
        "previous_submissions": [],
        "submission_method": "upload",
        "rnnkit_autograder_test": str(submission),
    }


def run(zip_file, submission, keep=None):
    """Grade ``submission`` with ``zip_file``'s run_autograder; return (results dict, its output)."""
    zip_file, submission = Path(zip_file), Path(submission)
    if not zip_file.is_file():
        raise TrialError(f"no such zip: {zip_file}")
    if not submission.exists():
        raise TrialError(f"no such submission: {submission}")
    holder = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="rnnkit-autograder-test-"))
    root = holder / "autograder"
    if root.exists():
        raise TrialError(f"{root} already exists: --keep needs a new folder")
    holder.mkdir(parents=True, exist_ok=True)
    holder.chmod(0o700)  # as setup.sh's chmod: the sandbox user may not read the zip's graders
    try:
        for folder in ("source", "submission", "results"):
            (root / folder).mkdir(parents=True)
        _extract(zip_file, root / "source")
        if not (root / "source" / "run_autograder").is_file():
            raise TrialError(f"{zip_file} has no run_autograder at its root")
        if submission.is_dir():
            shutil.copytree(submission, root / "submission", dirs_exist_ok=True, symlinks=True)
        elif submission.suffix == ".zip":
            _extract(submission, root / "submission")
        else:
            shutil.copy(submission, root / "submission" / submission.name)
        (root / "submission_metadata.json").write_text(json.dumps(_metadata(submission)))
        # The zip's kit, run by this Python (setup.sh would have installed it in a virtualenv).
        command = holder / "rnnkit"
        command.write_text(f"#!/bin/sh\nexec '{sys.executable}' -m rnnkit \"$@\"\n")
        command.chmod(0o700)
        env = {
            **os.environ,
            "RNNKIT_AUTOGRADER_ROOT": str(root),
            "RNNKIT_COMMAND": str(command),
            "PYTHONPATH": str(root / "source" / "kit" / "autograder"),
        }
        proc = subprocess.run(
            ["bash", str(root / "source" / "run_autograder")],
            cwd=root, env=env, capture_output=True, text=True,
        )
        results_file = root / "results" / "results.json"
        try:
            results = json.loads(results_file.read_text())
        except (OSError, ValueError) as error:
            raise TrialError(f"run_autograder left no valid results.json ({error}):\n{proc.stdout}{proc.stderr}") from None
        return results, proc.stdout + proc.stderr
    finally:
        if not keep:
            shutil.rmtree(holder, ignore_errors=True)
