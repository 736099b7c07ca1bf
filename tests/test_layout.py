"""The engine's layout, as ARCHITECTURE.md draws it: each command (verb) in its own package,
sharing the layer below (the engine, the sandbox, homeworks, results) and never another verb, so
that a verb can change without touching the others. `rnnkit demo` is the one exception: it is the
tour that runs the others, and it is a module, not a verb package."""

import ast
import json
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

PACKAGE = Path(__file__).resolve().parents[1] / "autograder" / "rnnkit"
VERBS = ("grade", "batch", "release", "gradescope", "lectures")
SHARED = ("engine", "sandbox", "homeworks", "results", "protocol", "errors", "console")


def imported_rnnkit_modules(path):
    """Every rnnkit module ``path`` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found |= {name for name in names if name.split(".")[0] == "rnnkit"}
    return found


def verbs_used(path):
    return {name.split(".")[1] for name in imported_rnnkit_modules(path)
            if len(name.split(".")) > 1 and name.split(".")[1] in VERBS}


def test_no_verb_imports_another_verb():
    crossings = [
        f"{path.relative_to(PACKAGE)} imports rnnkit.{used}"
        for verb in VERBS for path in sorted((PACKAGE / verb).rglob("*.py"))
        for used in verbs_used(path) - {verb}
    ]
    assert not crossings, "\n".join(crossings)


def test_the_shared_layer_imports_no_verb():
    shared = [PACKAGE / f"{name}.py" for name in SHARED if (PACKAGE / f"{name}.py").is_file()]
    shared += sorted((PACKAGE / "engine").rglob("*.py"))
    crossings = [f"{path.relative_to(PACKAGE)} imports rnnkit.{used}" for path in shared for used in verbs_used(path)]
    assert len(shared) > 10 and not crossings, "\n".join(crossings)


def test_the_scan_sees_imports_inside_functions(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from rnnkit.batch import grade_export\n    import rnnkit.release.stubs\n")
    assert verbs_used(probe) == {"batch", "release"}


def test_grading_needs_none_of_the_instructor_extras(tmp_path):
    """Gradescope's image installs only the grading dependencies: `rnnkit grade` must start and
    grade without what only instructors' commands use (a kit that imported one at start-up gave
    every student 0 there)."""
    extras = ["nbconvert", "nbclient", "matplotlib", "latex2mathml", "copydetect", "dask", "distributed", "otter"]
    blocker = (
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {extras!r}: raise ImportError('not installed: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from rnnkit.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    submission = tmp_path / "rnn_cell.py"
    submission.write_text((ROOT / "solutions" / "hw1_rnn_cell" / "rnn_cell.py").read_text())
    proc = subprocess.run([sys.executable, "-c", blocker, "grade", "hw1_rnn_cell", str(submission), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert sum(t["score"] for t in results["tests"]) == sum(t["max_score"] for t in results["tests"]) > 0
