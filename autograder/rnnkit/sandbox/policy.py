"""Path policy: what the sandbox may read (the system, Python and its allowed packages), what it may
only list, and what must stay hidden (graders, solutions, results); and ``SandboxSpec``, everything
needed to start a worker for one submission."""

import functools
import os
import site
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .limits import Limits
from .packages import package_dirs, package_walls

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
# The worker's whole environment: nothing of the grader's leaks in.
WORKER_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "PYTHONHASHSEED": "0",
    "PYTHONDONTWRITEBYTECODE": "1",
    # One thread each: predictable results, and threads count against the process limit.
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    # torch's oneDNN keeps compiled kernels for 1024 input shapes: an LSTM fed a window that keeps
    # growing reserved 1.2 GB over 400 lengths (16 kept: 218 MB), and the memory limit then failed
    # the student's call with "could not create a primitive". Same results, fewer kept.
    "ONEDNN_PRIMITIVE_CACHE_CAPACITY": "16",
}


def _inside(path, folder):
    return path == folder or path.startswith(folder + os.sep)


def around(path, hidden, split=None):
    """``path`` as a list of paths to allow: itself, or, when it holds a hidden folder, every entry
    that holds none (recursively), so an allowlist can grant a site-packages minus the kit. The
    folders it had to split are added to ``split``: they must stay listable (Python's importer
    lists a folder before it looks for a module in it), not readable."""
    if any(_inside(path, h) for h in hidden):
        return []
    if os.path.islink(path):
        # A link is allowed only whole (a Landlock rule follows it): not when its target is split.
        target = os.path.realpath(path)
        return [] if any(_inside(h, target) or _inside(target, h) for h in hidden) else [path]
    if not any(_inside(h, path) for h in hidden):
        return [path]
    if split is not None:
        split.append(path)
    allowed = []
    for entry in sorted(os.listdir(path)):
        allowed += around(os.path.join(path, entry), hidden, split)
    return allowed


@functools.lru_cache(maxsize=8)
def _read_only_paths(roots, hidden):
    """SandboxSpec.read_only_paths for these package roots and the hidden folders among them."""
    keep, split = set(), []
    for folder in roots:
        keep.update(around(folder, hidden, split))
    system = [p for p in SYSTEM_DIRS if os.path.lexists(p)]
    return system + sorted(keep - set(system)), sorted(set(split))


@dataclass
class SandboxSpec:
    """Everything needed to start a worker for one submission."""

    submission_dir: Path
    module: str
    hidden: list  # folders the worker must never see (graders, solutions, results)
    limits: Limits = field(default_factory=Limits)
    secrets: list = None  # of those, the ones whose reading would leak answers (default: all)
    packages: tuple = None  # the installed packages student code may use (None: all of them)
    namespaces: bool = True  # try mount/network/PID namespaces (needs root)
    allow_unsafe: bool = False  # grade even when the sandbox can read hidden files (instructor's call)

    def read_only_paths(self):
        """(readable, listable): system folders plus the folders this Python and its packages live
        in, minus the hidden folders (a checkout on sys.path, or the kit installed in
        site-packages, holds the graders) and the packages the homework does not allow; and the
        folders split around them, whose entries may be listed but not read."""
        python_dirs = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
        python_dirs.add(os.path.dirname(os.path.realpath(sys.executable)))
        # Package folders only: other sys.path entries (the script's folder, the current
        # directory) could be anything, such as the checkout itself.
        python_dirs.update([*package_dirs(), site.getusersitepackages()])
        hidden = [os.path.realpath(h) for h in self.hidden] + list(self.package_walls()[0])
        roots = tuple(sorted({os.path.realpath(p) for p in python_dirs if os.path.isdir(p)}))
        # Only hidden folders inside or around those roots change the answer (a results folder
        # elsewhere does not): a process that grades many submissions walks the tree once.
        relevant = tuple(sorted({h for h in hidden for r in roots if _inside(h, r) or _inside(r, h)}))
        return _read_only_paths(roots, relevant)

    def package_walls(self):
        """(package entries the sandbox may not read, module names it may not import)."""
        return ((), ()) if self.packages is None else package_walls(tuple(self.packages))

    def secret_samples(self, per_folder=10):
        """A few files (and the folders) of each hidden folder: the jail checks it cannot read them."""
        samples = []
        for folder in self.hidden if self.secrets is None else self.secrets:
            if not os.path.isdir(folder):
                continue
            samples.append(str(folder))
            files = []
            for parent, dirs, names in os.walk(folder):
                dirs.sort()
                files += [os.path.join(parent, n) for n in sorted(names)]
                if len(files) >= per_folder:
                    break
            samples += files[:per_folder]
        return samples

