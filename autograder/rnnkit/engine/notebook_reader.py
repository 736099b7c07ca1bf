"""Read a submitted file in a bounded child process: a notebook's code cells, and what it answers.

Run as ``python -I -S notebook_reader.py KIND NAME GIVEN`` with the file's bytes on stdin (KIND is
``ipynb`` or ``py``; NAME the file's name, for messages; GIVEN a JSON list of the functions
students receive whole). It prints one JSON object: ``{"problem": "..."}`` when the file cannot be
graded, else ``{"answered": [...]}`` and, for a notebook, ``{"cells": [...], "notes": [...]}``.

Why a child: a notebook is untrusted JSON of up to 20 MB. Parsing and expanding it here, with an
address-space and CPU limit set before the first byte is read, means a notebook of millions of
empty objects or cells costs this process, not the grader (which must stay within Gradescope's
768 MB). It imports only the standard library, so it starts in a few milliseconds.

Jupyter-only syntax is turned into what Jupyter would run, line for line (so a traceback's line
numbers are the student's): a body-running cell magic (``%%time``, ``%%capture``...) keeps its
body, ``%%writefile`` is replayed in the sandbox, any other cell magic (``%%bash``) is reported,
never dropped silently; shell escapes, line magics, help (``x?``) and otter's calls become
``pass``; ``%time stmt`` keeps ``stmt``. Cells tagged ``rnnkit:skip`` or otter's ``otter_ignore``
(or starting ``# rnnkit: skip``) are left out on purpose.
"""

import ast
import json
import re
import resource
import sys

MEMORY_BYTES = 384 * 1024 * 1024  # a 20 MB notebook of real cells and outputs needs under 100 MB
CPU_SECONDS = 20
MAX_CODE_CELLS = 1000
MAX_CODE_BYTES = 2 * 1024 * 1024
SKIP_TAGS = ("rnnkit:skip", "otter_ignore")
SKIP_COMMENT = re.compile(r"^\s*#\s*rnnkit:\s*skip(\s|$)")
BODY_MAGICS = {"time", "timeit", "capture", "prun", "python", "python3"}
STATEMENT_MAGICS = {"time", "timeit", "prun"}
OTTER_LINE = re.compile(
    r"^(import otter\b|from otter\b|\w+\s*=\s*otter\.Notebook\(|grader\.(check|check_all|export|run_plugin)\()"
)
HELP_LINE = re.compile(r"^(\?\??[\w.]+|[\w.]+\?\??)\s*$")
CAPTURED_SHELL = re.compile(r"^([\w.]+(\s*,\s*[\w.]+)*)\s*=\s*([!%])")


class Problem(Exception):
    """The file cannot be graded; the message is for the student."""


def _lines(text):
    return text.split("\n")


def _statement_of(magic, rest):
    """``%time f(x)`` -> ``f(x)``; options of %timeit (``-n 10 -r 3``) are dropped."""
    tokens = rest.split()
    while tokens and tokens[0].startswith("-"):
        option = tokens.pop(0)
        if option in ("-n", "-r", "-p") and tokens:
            tokens.pop(0)
    return " ".join(tokens) if magic in STATEMENT_MAGICS else ""


def neutralized(code):
    """The cell's code with Jupyter-only lines made Python, one line for one line."""
    out, continuing = [], False
    for line in _lines(code):
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if continuing:  # the rest of a removed line continued with a backslash
            continuing = line.rstrip().endswith("\\")
            out.append("")
            continue
        replacement = None
        if stripped.startswith("!") or OTTER_LINE.match(stripped) or HELP_LINE.match(stripped):
            replacement = "pass"
        elif stripped.startswith("%") and not stripped.startswith("%%"):
            magic, _, rest = stripped[1:].partition(" ")
            replacement = _statement_of(magic, rest) or "pass"
        elif CAPTURED_SHELL.match(stripped):  # files = !ls, t = %timeit -o f()
            replacement = CAPTURED_SHELL.match(stripped)[1] + " = None"
        if replacement is None:
            out.append(line)
        else:
            continuing = line.rstrip().endswith("\\")
            out.append(indent + replacement)
    return "\n".join(out) + "\n"


def _text(value, what):
    """A cell field that nbformat allows as a string or a list of strings."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(part, str) for part in value):
        return "".join(value)
    raise Problem(f"{what} is not text")


def _raw_cells(notebook):
    if not isinstance(notebook, dict):
        raise Problem("it is not a Jupyter notebook (its JSON is not an object)")
    if "cells" in notebook:
        cells = notebook["cells"]
    elif isinstance(notebook.get("worksheets"), list) and notebook["worksheets"]:  # nbformat 3
        first = notebook["worksheets"][0]
        cells = first.get("cells") if isinstance(first, dict) else None
    else:
        raise Problem("it is not a Jupyter notebook (no cells)")
    if not isinstance(cells, list):
        raise Problem("its cells are not a list")
    return cells


def code_cells(data):
    """(cells to run, notes) of a notebook's JSON bytes. Each cell to run is a dict: ``index``
    (among code cells, as a student counts them), ``label``, ``code``, the ``original`` source (for
    tracebacks), and for a ``%%writefile`` cell ``writefile`` and ``append``."""
    try:
        notebook = json.loads(data.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError):
        raise Problem("it is not valid notebook JSON (was it saved completely?)") from None
    cells, notes, index, size = [], [], 0, 0
    for position, cell in enumerate(_raw_cells(notebook), start=1):
        if not isinstance(cell, dict):
            raise Problem(f"cell {position} is not a JSON object")
        if cell.get("cell_type") != "code":
            continue
        index += 1
        if index > MAX_CODE_CELLS:
            raise Problem(f"it has more than {MAX_CODE_CELLS} code cells")
        source = _text(cell.get("source", cell.get("input", "")), f"code cell {index}'s source")
        metadata = cell.get("metadata", {})
        if not isinstance(metadata, dict):
            raise Problem(f"code cell {index}'s metadata is not a JSON object")
        tags = metadata.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            raise Problem(f"code cell {index}'s tags are not a list of text")
        if not source.strip() or any(tag in SKIP_TAGS for tag in tags) or SKIP_COMMENT.match(source):
            continue
        size += len(source)
        if size > MAX_CODE_BYTES:
            raise Problem(f"its code cells hold more than {MAX_CODE_BYTES // 1024 // 1024} MB of code")
        first = next(line.strip() for line in _lines(source) if line.strip())
        label = f"code cell {index} (`{first[:60]}`)"
        entry = {"index": index, "label": label, "original": source}
        if first.startswith("%%") and source.lstrip().startswith("%%"):
            magic, _, rest = first[2:].partition(" ")
            header, _, body = source.lstrip().partition("\n")
            blank = "\n" * (source[: len(source) - len(source.lstrip())].count("\n") + 1)
            if magic in BODY_MAGICS or (magic == "script" and rest.split()[:1] in (["python"], ["python3"])):
                entry["code"] = neutralized(blank + body)
            elif magic == "writefile" and rest.split():
                arguments = rest.split()
                entry.update(code="", writefile=arguments[-1], append="-a" in arguments[:-1], text=body)
            else:
                notes.append(f"{label} was not run: %%{magic} cells run only in Jupyter")
                continue
        else:
            entry["code"] = neutralized(source)
        cells.append(entry)
    return cells, notes


def _is_placeholder(body):
    """A function body with no answer: one that still raises NotImplementedError (the released
    TODO block, after ``super().__init__()`` say), or is only ``pass`` or ``...``."""
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        body = body[1:]  # the docstring
    if not body:
        return True
    if len(body) == 1 and (isinstance(body[0], ast.Pass) or (
            isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and body[0].value.value is Ellipsis)):
        return True
    for statement in body:
        if isinstance(statement, ast.Raise) and statement.exc is not None:
            raised = statement.exc.func if isinstance(statement.exc, ast.Call) else statement.exc
            if isinstance(raised, ast.Name) and raised.id == "NotImplementedError":
                return True
    return False


def answered(sources, given):
    """The functions and methods (``Class.method``) the sources implement, leaving out the given
    ones and private helpers: empty for the released stub."""
    found = []
    for source in sources:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue  # a broken cell answers nothing here; the grading says what is wrong with it
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                members = [(f"{node.name}.{item.name}", item) for item in node.body
                           if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))]
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                members = [(node.name, node)]
            else:
                continue
            for name, function in members:
                top = name.split(".")[0]
                if top in given or top.startswith("_") or _is_placeholder(function.body):
                    continue
                found.append(name)
    return sorted(set(found))


def read(kind, data, given):
    if kind == "py":
        return {"answered": answered([data.decode("utf-8", errors="replace")], given)}
    cells, notes = code_cells(data)
    return {"cells": cells, "notes": notes, "answered": answered([c["code"] for c in cells], given)}


def main(kind, name, given):
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    data = sys.stdin.buffer.read()
    try:
        reply = read(kind, data, set(json.loads(given)))
    except Problem as problem:
        reply = {"problem": f"{name}: {problem}"}
    except MemoryError:
        reply = {"problem": f"{name}: reading it took more than {MEMORY_BYTES // 2**20} MB of memory"}
    sys.stdout.write(json.dumps(reply))


if __name__ == "__main__":
    main(*sys.argv[1:])
