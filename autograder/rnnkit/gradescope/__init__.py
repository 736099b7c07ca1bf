"""``rnnkit autograder``: one homework's Gradescope autograder zip, built from what is committed.

The zip holds Gradescope's two scripts at its root and the kit's sources under ``kit/``: the
engine, the shared checks and only this homework's graders (no reference solutions: grading never
needs them), and ``tests.json``, the homework's tests (name, number, points) collected from those
graders: when the kit itself cannot grade, run_autograder's fallback still lists every test, at 0,
with the reason. ``setup.sh`` installs that kit into a virtualenv with a CPU-only torch and hides it
from the sandbox user; ``run_autograder`` grades ``/autograder/submission`` with it.

Files come from the git commit HEAD, never from the working tree, and the zip is written with
fixed timestamps, modes and order: the same commit and options give the same bytes.
"""

import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from rnnkit import KIT_ROOT
from rnnkit.errors import KitError
from rnnkit.homeworks import GRADERS_ROOT

DEFAULT_TORCH_VERSION = "2.13.0"  # the version the kit is tested with (Makefile's TORCH)
DEFAULT_TORCH_INDEX = "https://download.pytorch.org/whl/cpu"  # PyTorch's CPU-only wheels
TEMPLATES = Path(__file__).resolve().parent
KIT_PATHS = ("pyproject.toml", "README.md", "autograder/rnnkit", "autograder/rnnkit_testing")
SHARED_GRADER_FILES = ("conftest.py", "pytest.ini", "numerical.py", "memo.py")
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
GRADERS = GRADERS_ROOT.relative_to(KIT_ROOT).as_posix()  # the graders folder within the checkout


class BuildError(KitError):
    """The zip cannot be built (not a git checkout, unknown files...)."""


def _git(*args, binary=False):
    try:
        proc = subprocess.run(["git", "-C", str(KIT_ROOT), *args], capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", b"") or b""
        raise BuildError(
            f"`rnnkit autograder` builds from a git checkout of the kit; git {' '.join(args)} failed: "
            f"{detail.decode(errors='replace').strip() or error}"
        ) from None
    return proc.stdout if binary else proc.stdout.decode()


def _kit_paths(homework):
    return [*KIT_PATHS, *(f"{GRADERS}/{name}" for name in SHARED_GRADER_FILES), f"{GRADERS}/{homework.id}"]


def committed_files(homework):
    """[(path in the checkout, executable?)] of what the zip's kit holds, at HEAD."""
    listing = _git("ls-tree", "-r", "--full-tree", "HEAD", "--", *_kit_paths(homework))
    files = []
    for line in listing.splitlines():
        meta, path = line.split("\t", 1)
        mode, kind, _ = meta.split()
        if kind == "blob":
            files.append((path, mode == "100755"))
    if not any(path.startswith(f"{GRADERS}/{homework.id}/") for path, _ in files):
        raise BuildError(f"no committed graders for {homework.id}: commit them first")
    return sorted(files)


def uncommitted_changes(homework):
    """Paths under the zip's sources that differ from HEAD (they are left out of the zip)."""
    status = _git("status", "--porcelain", "--", *_kit_paths(homework))
    return [line[3:] for line in status.splitlines()]


def _template(name, replacements, kit):
    """Gradescope's script ``name`` as committed (``kit``: {path in the checkout: bytes} at HEAD,
    which holds this folder), with the ``@KEY@`` placeholders filled in."""
    path = f"{TEMPLATES.relative_to(KIT_ROOT).as_posix()}/{name}"
    if path not in kit:
        raise BuildError(f"{path} is not committed: commit it first")
    text = kit[path].decode()
    for key, value in replacements.items():
        text = text.replace(f"@{key}@", value)
    return text.encode()


def _add(bundle, name, data, executable=False):
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.create_system = 3  # unix, so the modes below are honoured
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    bundle.writestr(info, data, compresslevel=9)


_COLLECT = """
import json, sys
from rnnkit import homeworks
from rnnkit.engine import run_graders
from rnnkit.results import GradescopeResults
homework = homeworks.load(sys.argv[1])
collector = GradescopeResults(builds_on=homework.builds_on)
code = run_graders(homework.graders_dir, "--collect-only", plugins=[collector])
if int(code) != 0 or not collector.tests:
    sys.exit(f"collecting the graders ended with {code!r}")
tests = [{"name": test["name"], "number": test["number"], "max_score": test["points"],
          "visibility": test["visibility"]} for test in collector.tests.values()]
print("RNNKIT-TESTS " + json.dumps(tests))
"""


def collected_tests(homework, kit_entries):
    """[{name, number, max_score, visibility}] of ``homework``'s tests, collected (not run) from
    the zip's own kit (``kit_entries``: (path in the checkout, bytes)), by a separate Python."""
    with tempfile.TemporaryDirectory(prefix="rnnkit-collect-") as folder:
        for path, data in kit_entries:
            target = Path(folder, path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        env = {**os.environ, "PYTHONPATH": str(Path(folder, "autograder")), "PYTHONDONTWRITEBYTECODE": "1"}
        proc = subprocess.run([sys.executable, "-c", _COLLECT, homework.id], capture_output=True, text=True,
                              cwd=folder, env=env, timeout=600)
    for line in proc.stdout.splitlines():
        if line.startswith("RNNKIT-TESTS "):
            return json.loads(line.removeprefix("RNNKIT-TESTS "))
    raise BuildError(f"the committed graders of {homework.id} cannot be collected:\n{(proc.stdout + proc.stderr)[-3000:]}")


def build(homework, out_file, torch_version=DEFAULT_TORCH_VERSION, torch_index=DEFAULT_TORCH_INDEX):
    """Write the autograder zip of ``homework`` to ``out_file``; return the files it holds."""
    replacements = {"HOMEWORK": homework.id, "TORCH_VERSION": torch_version, "TORCH_INDEX": torch_index}
    for value in replacements.values():
        if "'" in value or "\n" in value:
            raise BuildError(f"unsafe character in {value!r}")
    kit = [(path, _git("show", f"HEAD:{path}", binary=True), executable) for path, executable in committed_files(homework)]
    committed = {path: data for path, data, _ in kit}  # the scripts too come from HEAD, like the kit
    entries = [
        ("setup.sh", _template("setup.sh", replacements, committed), True),
        ("run_autograder", _template("run_autograder", replacements, committed), True),
    ]
    tests = collected_tests(homework, [(path, data) for path, data, _ in kit])
    entries.append(("tests.json", (json.dumps(tests, indent=1, sort_keys=True) + "\n").encode(), False))
    entries += [(f"kit/{path}", data, executable) for path, data, executable in kit]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for name, data, executable in entries:
            _add(bundle, name, data, executable)
    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_bytes(buffer.getvalue())
    return [name for name, _, _ in entries]
