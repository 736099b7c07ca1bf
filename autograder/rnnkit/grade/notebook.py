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


MODULE = '''"""Made by the autograder from {notebook}: its code cells, each run on its own."""

import os as _rnnkit_os

_RNNKIT_NOTEBOOK = _rnnkit_os.path.join(_rnnkit_os.path.dirname(_rnnkit_os.path.abspath(__file__)), {notebook!r})
_RNNKIT_CELLS = {cells}
_rnnkit_cell_errors = []
_rnnkit_number = _rnnkit_code = None
for _rnnkit_number, _rnnkit_code in _RNNKIT_CELLS:
    try:
        exec(compile(_rnnkit_code, f"{{_RNNKIT_NOTEBOOK}}, cell {{_rnnkit_number}}", "exec"), globals())
    except BaseException as _rnnkit_error:  # one broken cell costs only what it defines
        if len(_rnnkit_cell_errors) < {max_notes}:
            _rnnkit_cell_errors.append(
                f"cell {{_rnnkit_number}} raised {{type(_rnnkit_error).__name__}}: {{str(_rnnkit_error)[:200]}}"
            )
del _rnnkit_number, _rnnkit_code
'''


def module_source(text, notebook_name):
    """The text of the module made from a notebook's JSON ``text``."""
    cells = [[number, code] for number, code in code_cells(text)]
    return MODULE.format(notebook=notebook_name, cells=json.dumps(cells), max_notes=MAX_NOTES)
