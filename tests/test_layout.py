"""The engine's layout, as ARCHITECTURE.md draws it: each command (verb) in its own package,
sharing the layer below (the engine, the sandbox, homeworks, results) and never another verb, so
that a verb can change without touching the others. `rnnkit demo` is the one exception: it is the
tour that runs the others, and it is a module, not a verb package."""

import ast
from pathlib import Path

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
