"""Made by the autograder from your notebook: it runs the notebook's code cells, each on its own.

The autograder copies this file into the sandbox as the module the graders import, beside
``.rnnkit-cells.json`` (the cells, as data). Importing it runs each cell in order in this module's
namespace, as Jupyter runs them in the kernel's. A cell that raises is recorded and the next one
still runs, so the functions of the cells that work keep their points; each cell runs under a
timer, so one cell that loops or trains for minutes costs what it defines, not the notebook.
Each cell's source is registered with linecache under the notebook's name, so a traceback quotes
the student's own line ("text_generation.ipynb, code cell 5", line 3).

Everything here is named ``_rnnkit_...``: the sandbox leaves such frames out of tracebacks.
"""

import json as _rnnkit_json
import linecache as _rnnkit_linecache
import os as _rnnkit_os
import signal as _rnnkit_signal
import time as _rnnkit_time

_rnnkit_cell_errors = []  # read by the sandbox worker: one note per cell that did not run


class _RnnkitCellTimeout(BaseException):
    pass


def _rnnkit_alarm(signum, frame, _rnnkit_running=[False]):  # noqa: B006 - shared with the runner
    if _rnnkit_running[0]:
        _rnnkit_running[0] = False
        raise _RnnkitCellTimeout()


def _rnnkit_where(error, filename):
    """' (line N: `code`)' of the deepest frame of ``error`` in the cell ``filename``."""
    line = None
    trace = error.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == filename:
            line = trace.tb_lineno
        trace = trace.tb_next
    if line is None:
        return ""
    text = _rnnkit_linecache.getline(filename, line).strip()
    return f" (line {line}: `{text[:80]}`)" if text else f" (line {line})"


def _rnnkit_writefile(cell):
    """``%%writefile [-a] NAME``: write the cell's text, as Jupyter would, in the sandbox."""
    with open(cell["writefile"], "a" if cell.get("append") else "w") as handle:
        handle.write(cell["text"])


def _rnnkit_run_cells(book, _rnnkit_running=_rnnkit_alarm.__defaults__[0]):
    folder = _rnnkit_os.path.dirname(_rnnkit_os.path.abspath(__file__))
    total, per_cell = book["total_seconds"], book["cell_seconds"]
    deadline = _rnnkit_time.monotonic() + total
    notes = list(book["notes"])
    for cell in book["cells"]:
        left = deadline - _rnnkit_time.monotonic()
        if left <= 0:
            notes.append(f"{cell['label']} and the cells after it were not run: the notebook's cells "
                         f"took more than {total:g} s in all")
            break
        filename = _rnnkit_os.path.join(folder, f"{book['notebook']}, code cell {cell['index']}")
        source = cell["original"]
        _rnnkit_linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        seconds = min(per_cell, left)
        note = None
        try:
            _rnnkit_running[0] = True
            _rnnkit_signal.setitimer(_rnnkit_signal.ITIMER_REAL, seconds)
            if "writefile" in cell:
                _rnnkit_writefile(cell)
            else:
                exec(compile(cell["code"], filename, "exec"), globals())
            _rnnkit_running[0] = False
        except _RnnkitCellTimeout:
            note = (f"{cell['label']} was stopped after {seconds:.0f} s (give a long cell, such as "
                    "training, the tag rnnkit:skip so that grading leaves it out)")
        except BaseException as error:  # noqa: BLE001 - one broken cell costs only what it defines
            note = (f"{cell['label']} raised {type(error).__name__}: {str(error)[:200]}"
                    f"{_rnnkit_where(error, filename)}")
        finally:
            _rnnkit_running[0] = False
            _rnnkit_signal.setitimer(_rnnkit_signal.ITIMER_REAL, 0)
        if note:
            notes.append(note)
    return notes


def _rnnkit_main():
    folder = _rnnkit_os.path.dirname(_rnnkit_os.path.abspath(__file__))
    with open(_rnnkit_os.path.join(folder, ".rnnkit-cells.json")) as handle:
        book = _rnnkit_json.load(handle)
    _rnnkit_signal.signal(_rnnkit_signal.SIGALRM, _rnnkit_alarm)
    try:
        _rnnkit_cell_errors.extend(_rnnkit_run_cells(book))
    finally:
        _rnnkit_signal.signal(_rnnkit_signal.SIGALRM, _rnnkit_signal.SIG_DFL)


_rnnkit_main()
