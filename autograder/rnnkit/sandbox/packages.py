"""The package allowlist: which installed packages a homework's sandbox may not read or import."""

import csv
import functools
import importlib.metadata
import os
import re
import site
import sys
from pathlib import Path

ALWAYS_ALLOWED = ("numpy",)  # the worker itself speaks numpy


def _requirement_closure(names):
    """The distributions ``names`` need, themselves included (extras left out)."""
    seen, todo = set(), [re.sub(r"[-_.]+", "-", n).lower() for n in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requirements = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for requirement in requirements:
            if "extra ==" not in requirement.replace('extra=="', 'extra == "'):
                todo.append(re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9._-]+", requirement).group()).lower())
    return seen


def package_dirs():
    """The folders this Python installs packages into (sys.path entries named site-packages or
    dist-packages, not the script's folder or the current directory)."""
    dirs = site.getsitepackages() + [p for p in sys.path if os.path.basename(p) in ("site-packages", "dist-packages")]
    return sorted({os.path.realpath(p) for p in dirs if os.path.isdir(p)})


def _top_entries(distribution):
    """The first path component of each file the distribution installed. Read from its RECORD
    directly: torch's closure lists 21,000 files, and ``distribution.files`` makes a path object of
    each (a second per grading)."""
    record = distribution.read_text("RECORD")
    if record is None:  # an older installer: installed-files.txt, which .files reads
        return {file.parts[0] for file in distribution.files or [] if file.parts}
    return {row[0].split("/", 1)[0] for row in csv.reader(record.splitlines()) if row and row[0]}


@functools.lru_cache(maxsize=None)
def package_walls(allowed):
    """(paths, module names): every entry of this Python's package folders that does not belong
    to an ``allowed`` distribution or to what it requires, and the top-level names they provide.

    The sandbox cannot read those paths (namespaces, Landlock, or file modes set by setup.sh), so a
    numpy-only homework cannot use torch however the submission imports it."""
    keep = set()
    for name in _requirement_closure((*allowed, *ALWAYS_ALLOWED)):
        try:
            distribution = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        for top in _top_entries(distribution) - {"..", "__pycache__"}:
            keep.add(os.path.realpath(distribution.locate_file(top)))
    paths, names, folders = [], set(), package_dirs()
    for folder in folders:
        for entry in sorted(os.listdir(folder)):
            path = os.path.join(folder, entry)
            if path in keep or entry == "__pycache__":
                continue
            paths.append(path)
            if not entry.endswith((".dist-info", ".egg-info", ".data", ".pth", ".txt")):
                names.add(entry.split(".")[0])
    # The base installation's own package folders, off this Python's path but readable beneath it.
    base = Path(sys.base_prefix, "lib")
    for folder in (*base.glob("python3*/site-packages"), *base.glob("python3*/dist-packages")):
        if str(folder.resolve()) not in folders:
            paths.append(str(folder.resolve()))
    names -= set(sys.stdlib_module_names)
    return tuple(paths), tuple(sorted(n for n in names if n.isidentifier()))


def samples_of(paths, count=5):
    """A few files of the packages the sandbox may not read: the jail checks it cannot."""
    samples = []
    for path in paths:
        if os.path.isfile(path):
            samples.append(path)
        elif os.path.isfile(os.path.join(path, "__init__.py")):
            samples.append(os.path.join(path, "__init__.py"))
        if len(samples) >= count:
            break
    return samples
