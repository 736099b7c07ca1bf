"""Issue 19's before/after figures: lines per engine module, imports between command packages, and
tracked lines that a command derives from others.

    python benchmarks/layout_report.py [BEFORE_REV] [AFTER_REV]   # default: 9896023 HEAD
"""

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import PurePosixPath

ROOT = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=True).stdout.strip()
COMMANDS = ("grade", "batch", "release", "gradescope", "lectures")
# What a command writes from other tracked files (the student release, the sample class), and the
# near-copies of the solutions that were edited by hand (HW3's and HW4's alternative submissions).
DERIVED = ("assignments/", "samples/sample_class/", "tests/submissions/hw3_alternatives/",
           "tests/submissions/hw4_alternatives/")


def git(*args):
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True, cwd=ROOT).stdout


def files(rev):
    return git("ls-tree", "-r", "--name-only", rev).splitlines()


def lines(rev, path):
    return git("show", f"{rev}:{path}").count("\n")


def engine_modules(rev):
    found = {}
    for path in files(rev):
        if path.endswith(".py") and (path.startswith("autograder/rnnkit/") or path.startswith("autograder/rnnkit_testing")):
            found[path.removeprefix("autograder/")] = lines(rev, path)
    return found


def command_of(path):
    parts = PurePosixPath(path).parts
    if parts[:2] != ("autograder", "rnnkit") or len(parts) < 3:
        return None
    top = parts[2].removesuffix(".py")
    return top if top in COMMANDS else None


def command_imports(rev):
    """{command: commands it imports}."""
    graph = defaultdict(set)
    for path in files(rev):
        command = command_of(path)
        if command is None or not path.endswith(".py"):
            continue
        for node in ast.walk(ast.parse(git("show", f"{rev}:{path}"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] == "rnnkit" and len(parts) > 1 and parts[1] in COMMANDS and parts[1] != command:
                    graph[command].add(parts[1])
    return graph


def derived_lines(rev):
    total = derived = 0
    for path in files(rev):
        try:
            count = lines(rev, path)
        except subprocess.CalledProcessError:
            continue
        total += count
        if path.startswith(DERIVED):
            derived += count
    return derived, total


def main(before="9896023", after="HEAD"):
    old, new = engine_modules(before), engine_modules(after)
    print(f"## Lines per module ({before} -> {after})\n")
    print("| module | before | after |\n|---|---|---|")
    for name in sorted(set(old) | set(new)):
        print(f"| {name} | {old.get(name, '-')} | {new.get(name, '-')} |")
    for label, table in (("before", old), ("after", new)):
        big = sorted(((n, c) for n, c in table.items() if c > 350), key=lambda x: -x[1])
        print(f"\nOver 350 lines {label}: " + (", ".join(f"{n} ({c})" for n, c in big) or "none"))
    print("\n## Imports between command packages\n")
    for label, rev in (("before", before), ("after", after)):
        graph = command_imports(rev)
        edges = [f"{a} -> {b}" for a in sorted(graph) for b in sorted(graph[a])]
        print(f"- {label}: " + (", ".join(edges) or "none"))
    print("\n## Tracked lines that a command derives\n")
    for label, rev in (("before", before), ("after", after)):
        derived, total = derived_lines(rev)
        print(f"- {label}: {derived:,} of {total:,} ({100 * derived / total:.0f}%)")


if __name__ == "__main__":
    main(*sys.argv[1:])
