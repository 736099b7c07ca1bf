"""A submitted Jupyter notebook as the module the graders import.

The code cells are read with nbformat (never executed here) and written into a module that, in the
sandbox, runs each cell on its own: a cell that raises is recorded and the next one still runs, so
the functions of the cells that work keep their points. What only makes sense in Jupyter is
neutralized: shell escapes (``!pip ...``), line and cell magics (``%time``, ``%%capture``) and
otter-grader's public checks (``grader.check(...)``). Cells the homework marks as not to be run
when grading (the training loop, the text generation demo: tag ``rnnkit:skip``, or a first line
``# rnnkit: skip``) are left out, so grading does not train a model for minutes.
"""

import json
import re

import nbformat

SKIP_TAG = "rnnkit:skip"
SKIP_COMMENT = re.compile(r"^\s*#\s*rnnkit:\s*skip\b")
OTTER_LINE = re.compile(r"^\s*(import otter\b|from otter\b|grader\s*=\s*otter\.|grader\.check(_all)?\()")
MAX_NOTES = 20


class NotebookProblem(ValueError):
    """The file is not a notebook that can be read."""


def _neutralized(source):
    """The cell's code with Jupyter-only lines replaced by ``pass`` (keeping indentation and line numbers)."""
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("!", "%")) or OTTER_LINE.match(line):
            lines.append(line[: len(line) - len(stripped)] + "pass  # removed for grading: " + stripped[:60].replace("\\", "/"))
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def code_cells(text):
    """[(cell number, code)] of the cells to run, numbered as Jupyter shows them (1, 2, ...)."""
    try:
        notebook = nbformat.reads(text, as_version=4)
    except Exception as error:  # noqa: BLE001 - whatever is wrong with it, the student is told
        raise NotebookProblem(f"the notebook could not be read ({type(error).__name__})") from None
    cells = []
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        tags = cell.get("metadata", {}).get("tags", [])
        if SKIP_TAG in tags or SKIP_COMMENT.match(source) or source.lstrip().startswith("%%"):
            continue
        cells.append((number, _neutralized(source)))
    return cells


# Each cell runs under a timer, so one cell that loops forever (or trains for minutes) costs what it
# defines, not the whole notebook: SIGALRM raises in the cell, the next cell runs. All cells together
# get half the import time limit, leaving the rest for starting Python and importing torch.
CELL_SECONDS = 10

MODULE = '''"""Made by the autograder from {notebook}: its code cells, each run on its own."""

import os as _rnnkit_os
import signal as _rnnkit_signal
import time as _rnnkit_time

_RNNKIT_NOTEBOOK = _rnnkit_os.path.join(_rnnkit_os.path.dirname(_rnnkit_os.path.abspath(__file__)), {notebook!r})
_RNNKIT_CELLS = {cells}
_rnnkit_cell_errors = []


class _RnnkitCellTimeout(BaseException):
    pass


def _rnnkit_alarm(signum, frame, running=[False]):
    if running[0]:
        running[0] = False
        raise _RnnkitCellTimeout()


def _rnnkit_run_cells(running=_rnnkit_alarm.__defaults__[0]):
    deadline = _rnnkit_time.monotonic() + {total_seconds}
    for number, code in _RNNKIT_CELLS:
        left = deadline - _rnnkit_time.monotonic()
        if left <= 0:
            return f"cell {{number}} and the cells after it were not run: the notebook's cells took more than {total_seconds:g} s in all"
        seconds = min({cell_seconds}, left)
        note = None
        try:
            running[0] = True
            _rnnkit_signal.setitimer(_rnnkit_signal.ITIMER_REAL, seconds)
            exec(compile(code, f"{{_RNNKIT_NOTEBOOK}}, cell {{number}}", "exec"), globals())
            running[0] = False
        except _RnnkitCellTimeout:
            note = (f"cell {{number}} was stopped after {{seconds:.0f}} s (give a long cell, such as training, "
                    "the tag rnnkit:skip so that grading leaves it out)")
        except BaseException as error:  # one broken cell costs only what it defines
            note = f"cell {{number}} raised {{type(error).__name__}}: {{str(error)[:200]}}"
        finally:
            running[0] = False
            _rnnkit_signal.setitimer(_rnnkit_signal.ITIMER_REAL, 0)
        if note and len(_rnnkit_cell_errors) < {max_notes}:
            _rnnkit_cell_errors.append(note)
    return None


_rnnkit_signal.signal(_rnnkit_signal.SIGALRM, _rnnkit_alarm)
_rnnkit_stopped = _rnnkit_run_cells()
if _rnnkit_stopped:
    _rnnkit_cell_errors.append(_rnnkit_stopped)
_rnnkit_signal.signal(_rnnkit_signal.SIGALRM, _rnnkit_signal.SIG_DFL)
del _rnnkit_stopped
'''


def module_source(text, notebook_name, total_seconds=2 * CELL_SECONDS):
    """The text of the module made from a notebook's JSON ``text``; its cells may run for
    ``total_seconds`` in all, each at most CELL_SECONDS."""
    cells = [[number, code] for number, code in code_cells(text)]
    return MODULE.format(notebook=notebook_name, cells=json.dumps(cells), max_notes=MAX_NOTES,
                         cell_seconds=CELL_SECONDS, total_seconds=total_seconds)
