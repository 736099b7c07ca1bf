"""A submitted Jupyter notebook as the module the graders import, and what a submitted file answers.

A submitted file is never parsed in the grading process: ``read_file`` hands it to
``notebook_reader.py`` in a child process with its own memory and CPU limits and a timeout. The
notebook's code cells come back as data; ``write_module`` writes them beside ``cell_runner.py``,
copied in as the module, which runs them in the sandbox (see both files). Cells the homework marks
as not to be run when grading (the training loop, the text generation demo: tag ``rnnkit:skip``,
otter's ``otter_ignore``, or a first line ``# rnnkit: skip``) are left out, so grading does not
train a model for minutes.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
READER = HERE / "notebook_reader.py"
RUNNER = HERE / "cell_runner.py"
CELLS_FILE = ".rnnkit-cells.json"  # beside the module; cell_runner.py reads it
SKIP_TAG = "rnnkit:skip"
CELL_SECONDS = 10  # each cell; all cells together get what the caller allows
READ_SECONDS = 30  # reading the largest notebook takes well under a second
MAX_REPLY_BYTES = 8 * 1024 * 1024  # the reader caps code at 2 MB; JSON escaping may double it


class NotebookProblem(ValueError):
    """The file cannot be graded; the message is for the student."""


def read_file(data, kind, name, given=(), timeout=READ_SECONDS):
    """What ``notebook_reader.py`` makes of a file's bytes (``kind``: "ipynb" or "py"): for a
    notebook {"cells", "notes", "answered"}, for a module {"answered"}. Raises NotebookProblem."""
    try:
        run = subprocess.run(
            [sys.executable, "-I", "-S", str(READER), kind, name, json.dumps(sorted(given))],
            input=data, capture_output=True, timeout=timeout, env={"LC_ALL": "C.UTF-8"},
        )
    except subprocess.TimeoutExpired:
        raise NotebookProblem(f"{name}: reading it took more than {timeout:g} s") from None
    stopped_by_limits = run.returncode < 0 or b"MemoryError" in run.stderr[-2000:]
    if stopped_by_limits or len(run.stdout) > MAX_REPLY_BYTES:
        raise NotebookProblem(f"{name}: it could not be read within the memory and time allowed for "
                              "reading a submitted file")
    if run.returncode != 0 or not run.stdout:  # the reader's own bug: the kit's error, not the student's
        raise RuntimeError(f"notebook_reader.py failed on {name}:\n{run.stderr.decode(errors='replace')[-2000:]}")
    reply = json.loads(run.stdout)
    if "problem" in reply:
        raise NotebookProblem(reply["problem"])
    return reply


def write_module(book, notebook_name, destination, filename, total_seconds):
    """Write ``filename`` (the cell runner) and its cells into ``destination``; the cells may run
    for ``total_seconds`` in all, each at most CELL_SECONDS."""
    data = {
        "notebook": notebook_name,
        "cell_seconds": CELL_SECONDS,
        "total_seconds": total_seconds,
        "cells": book["cells"],
        "notes": book["notes"],
    }
    (Path(destination) / CELLS_FILE).write_text(json.dumps(data))
    shutil.copyfile(RUNNER, Path(destination) / filename)
    os.chmod(Path(destination) / filename, 0o644)
