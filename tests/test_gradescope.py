"""The Gradescope autograder zip: built from what is committed, byte-reproducible, and graded by
its own run_autograder (`rnnkit autograder-test`) exactly like `rnnkit grade`; and the kit works
as a plain (non-editable) install, the way setup.sh installs it.

Running the zip in a real container is `benchmarks/gradescope_check.py`'s job (it needs Docker).
"""

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile

import jsonschema
import pytest

from conftest import ASSIGNMENTS, RNNKIT, ROOT, SOLUTIONS, run_grade, total
from rnnkit.results import SCHEMA

HW = "hw1_rnn_cell"


def rnnkit(*args, cwd=ROOT, env=None):
    return subprocess.run([*RNNKIT, *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, timeout=600)


@pytest.fixture(scope="module")
def hw1_zip(tmp_path_factory):
    out = tmp_path_factory.mktemp("zip") / "hw1.zip"
    proc = rnnkit("autograder", HW, "--out", str(out), "--torch-index", "")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def test_the_zip_is_reproducible_and_holds_only_what_grading_needs(hw1_zip, tmp_path):
    again = tmp_path / "again.zip"
    assert rnnkit("autograder", HW, "--out", str(again), "--torch-index", "").returncode == 0
    assert again.read_bytes() == hw1_zip.read_bytes()
    with zipfile.ZipFile(hw1_zip) as bundle:
        infos = {info.filename: info for info in bundle.infolist()}
        for script in ("setup.sh", "run_autograder"):  # at the root, executable
            assert stat.S_IMODE(infos[script].external_attr >> 16) == 0o755
            text = bundle.read(script).decode()
            assert text.startswith("#!/usr/bin/env bash") and "@" + "HOMEWORK@" not in text
            # The committed script, as the kit is (an uncommitted edit is listed as left out).
            template = bundle.read(f"kit/autograder/rnnkit/gradescope/{script}").decode()
            filled = template.replace("@HOMEWORK@", HW).replace("@TORCH_VERSION@", "2.13.0")
            assert text == filled.replace("@TORCH_INDEX@", ""), script
        names = list(infos)
        assert any(n.startswith("kit/autograder/graders/hw1_rnn_cell/") for n in names)
        assert not any("hw2_lstm_gates" in n or n.startswith("kit/solutions") for n in names)
        # Every file of the kit is the committed one, byte for byte.
        for name in names:
            if name.startswith("kit/"):
                committed = subprocess.run(["git", "-C", str(ROOT), "show", f"HEAD:{name[4:]}"],
                                           capture_output=True, check=True).stdout
                assert bundle.read(name) == committed, name


def test_setup_script_installs_a_cpu_torch_and_hides_the_kit(hw1_zip, tmp_path):
    default = tmp_path / "default.zip"
    assert rnnkit("autograder", HW, "--out", str(default)).returncode == 0
    setup = zipfile.ZipFile(default).read("setup.sh").decode()
    assert "TORCH_INDEX='https://download.pytorch.org/whl/cpu'" in setup
    assert "torch==2.13.0" in setup and "python3 -m venv" in setup
    assert "chmod -R go-rwx" in setup and "useradd" in setup
    assert subprocess.run(["bash", "-n", "-c", setup]).returncode == 0  # it parses


def test_autograder_test_grades_like_rnnkit_grade(hw1_zip, tmp_path):
    """The reference gets full marks and the stub none, through the zip's own run_autograder; a
    zip upload (as Gradescope delivers a folder) is graded the same; the metadata is recorded."""
    for submission, expected in ((SOLUTIONS / HW / "rnn_cell.py", 69), (ASSIGNMENTS / HW / "rnn_cell.py", 0)):
        keep = tmp_path / f"kept-{expected}"
        proc = rnnkit("autograder-test", str(hw1_zip), str(submission), "--keep", str(keep))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        results = json.loads((keep / "autograder" / "results" / "results.json").read_text())
        jsonschema.validate(results, SCHEMA)
        assert total(results) == (expected, 69)
        assert results["extra_data"]["submission"]["submitters"][0]["name"] == "autograder-test"
        assert f"Total: {expected} / 69" in proc.stdout
        direct, _ = run_grade(HW, submission, tmp_path / f"direct-{expected}")
        assert [t["score"] for t in results["tests"]] == [
            t["score"] for t in json.loads((tmp_path / f"direct-{expected}" / "results.json").read_text())["tests"]
        ]
    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.write(SOLUTIONS / HW / "rnn_cell.py", "hw1/rnn_cell.py")
    proc = rnnkit("autograder-test", str(hw1_zip), str(archive))
    assert "Total: 69 / 69" in proc.stdout, proc.stdout
    again = rnnkit("autograder-test", str(hw1_zip), str(archive), "--keep", str(tmp_path / "kept-69"))
    assert again.returncode == 2 and "already exists" in again.stdout


def test_run_autograder_always_leaves_a_valid_results_json(hw1_zip, tmp_path):
    """Even when the kit cannot run at all (a broken image), Gradescope gets valid JSON."""
    root = tmp_path / "autograder"
    for folder in ("source", "submission"):
        (root / folder).mkdir(parents=True)
    zipfile.ZipFile(hw1_zip).extractall(root / "source")
    broken = tmp_path / "broken-rnnkit"
    broken.write_text("#!/bin/sh\necho 'Traceback: ImportError: no module named numpy' >&2\nexit 1\n")
    broken.chmod(0o755)
    proc = subprocess.run(["bash", str(root / "source" / "run_autograder")], capture_output=True, text=True,
                          env={**os.environ, "RNNKIT_AUTOGRADER_ROOT": str(root), "RNNKIT_COMMAND": str(broken)})
    assert proc.returncode == 0
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, SCHEMA)
    # What the student reads is true: not their fault, ask for a regrade; nobody was "told".
    assert results["score"] == 0 and "not your code's fault" in results["output"]
    assert "regrade" in results["output"] and "has been told" not in results["output"]
    assert "writing a fallback" in proc.stderr
    # The instructor's side of that promise: the output (only instructors see it) says what failed.
    assert "THE AUTOGRADER ITSELF FAILED" in proc.stdout and "no module named numpy" in proc.stdout


def test_a_plain_install_of_the_kit_finds_and_grades_the_homework(hw1_zip, tmp_path):
    """setup.sh installs the zip's kit without -e: the graders must travel inside the package,
    and stay hidden from the sandbox there."""
    source = tmp_path / "source"
    zipfile.ZipFile(hw1_zip).extractall(source)
    wheels, target = tmp_path / "wheels", tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    str(source / "kit"), "-w", str(wheels)], check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    *map(str, wheels.glob("*.whl"))], check=True, capture_output=True)
    assert (target / "rnnkit" / "graders" / HW / "homework.yaml").is_file()
    shutil.rmtree(source)  # nothing left to find beside it
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "rnnkit", "grade", HW, str(SOLUTIONS / HW / "rnn_cell.py"),
                           "--out", str(out)], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(target)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((out / "results.json").read_text())
    assert total(results) == (69, 69)
    assert "files-hidden" in results["extra_data"]["sandbox"]
