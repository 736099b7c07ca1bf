"""The student notebook of a notebook homework, made from the same solution module as the stub.

The solution module stays the single source of truth. ``solutions/<hw>/notebook.md`` only says
how the notebook reads: markdown, and three kinds of directive lines::

    <!-- code: imports -->                      the module's imports and constants
    <!-- code: default_corpus train -->         these definitions, whole (given code)
    <!-- question: data: build_vocab vectorize -->

A question becomes otter-grader's assign format: its prompt (the markdown up to the next
directive), the definitions it asks for with their BEGIN/END SOLUTION blocks, and one test cell
that runs the public tests of those functions in the notebook (``rnnkit_testing.check_notebook``).
A fenced ```python block is an experiment: students run it, the autograder skips it.

``otter assign`` then turns this master notebook into the student notebook, with the solution
blocks removed and the tests in the notebook's metadata, so ``grader.check("data")`` works with
nothing but the notebook, ``rnnkit_testing/`` and the public tests beside it. Each answer cell
then gets the same marked TODO block as the module stub.
"""

import ast
import base64
import copy
import io
import re
import subprocess
import sys
import tempfile
import textwrap
import zipfile
from pathlib import Path

import nbformat

from rnnkit.engine.narrative import KERNELSPEC, NotebookSourceError, blocks
from rnnkit.engine.notebook import SKIP_TAG
from rnnkit.release.stubs import make_stub

NOTEBOOK_SOURCE = "notebook.md"
ANSWER_TAG = "otter_answer_cell"  # otter's tag on the cells students write in
_DEFINES = re.compile(r"(?:def|class) (\w+)")
SKIP_LINE = "# rnnkit: skip (not graded: the autograder does not run this cell)"

ASSIGNMENT_CONFIG = """# ASSIGNMENT CONFIG
name: {module}
init_cell: true
check_all_cell: false
export_cell: false
run_tests: false
generate: false
tests:
  files: true
  ok_format: false
"""

TEST_CELL = '''""" # BEGIN TEST CONFIG
points: {points:g}
success_message: the public tests of {names} pass. The autograder runs them and hidden tests (more cases of the same functions), so they are only part of your grade.
""" # END TEST CONFIG
def test_{question}(env):
    # The public tests of {names}, run on this notebook's definitions.
    from rnnkit_testing import check_notebook
    check_notebook(env, {module!r}, {functions!r}, call_timeout={call_timeout:g})
'''


# The first cell of the student notebook: the files `grader.check` needs, written beside the
# notebook when it was opened away from its folder (a Colab tab, an upload of only the .ipynb).
# Folded in Jupyter and Colab; the autograder skips it (it has the files already).
CHECKS_CELL = '''#@title Run me first: the files the checks need when this notebook is opened on its own (nothing to change here)
{skip}
import base64, io, os, zipfile

_CHECKS = """
{payload}
"""
with zipfile.ZipFile(io.BytesIO(base64.b64decode(_CHECKS))) as _bundle:
    _missing = [name for name in _bundle.namelist() if not os.path.exists(name)]
    if {first_test!r} in _missing:  # opened away from the homework's folder
        for _name in _missing:
            _bundle.extract(_name)
        print("This notebook was opened on its own: wrote the files its checks need here:", ", ".join(_missing))
'''


def checks_cell(files):
    """The notebook's first cell, carrying ``files`` ({name: text}: the checks, the public tests,
    rnnkit_testing/, conftest.py) as a zip. Deterministic: the same files give the same cell."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name in sorted(files):
            bundle.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), files[name],
                            compress_type=zipfile.ZIP_DEFLATED)
    payload = "\n".join(textwrap.wrap(base64.b64encode(buffer.getvalue()).decode(), 100))
    first_test = min(name for name in files if name.startswith("tests/"))
    cell = nbformat.v4.new_code_cell(CHECKS_CELL.format(skip=SKIP_LINE, payload=payload, first_test=first_test))
    cell.metadata.update({"tags": [SKIP_TAG], "jupyter": {"source_hidden": True}, "cellView": "form"})
    return cell


def with_checks_cell(notebook_text, files):
    """The student notebook with ``checks_cell(files)`` first."""
    book = nbformat.reads(notebook_text, as_version=4)
    cell = checks_cell(files)
    cell["id"] = "checks"
    book.cells.insert(0, cell)
    return nbformat.writes(book) + "\n"


def definitions(source):
    """{name: source text} of a module's top-level functions, classes and assignments to one name
    (constants), plus "imports": the imports and constants before the first definition (the module
    docstring left out)."""
    lines = source.splitlines()
    found, preamble_end = {}, None
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            preamble_end = start - 1 if preamble_end is None else preamble_end
            end = node.end_lineno
            while end < len(lines) and re.match(r"[ \t]+#", lines[end]):  # a closing "# END SOLUTION"
                end += 1
            found[node.name] = "\n".join(lines[start - 1:end])
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = "\n".join(lines[node.lineno - 1:node.end_lineno])
    first = tree.body[0]
    docstring = isinstance(first, ast.Expr) and isinstance(getattr(first, "value", None), ast.Constant)
    start = first.end_lineno if docstring else 0
    found["imports"] = "\n".join(lines[start:preamble_end]).strip()
    return found


def _code(names, found, where):
    missing = [name for name in names if name not in found]
    if missing:
        raise NotebookSourceError(f"{where}: the solution module defines no {', '.join(missing)}")
    return [nbformat.v4.new_code_cell(found[name]) for name in names]


def _question(directive, found, where, module, public_points, cells, call_timeout):
    """The cells of one question; its prompt is the markdown cell just before it (taken from ``cells``)."""
    name, _, functions = (part.strip() for part in directive.partition(":"))
    functions = functions.split()
    if not re.fullmatch(r"\w+", name) or not functions:
        raise NotebookSourceError(f"{where}: write a question as <!-- question: NAME: FUNCTIONS -->")
    if not cells or cells[-1].cell_type != "markdown":
        raise NotebookSourceError(f"{where}: question {name} needs markdown before it (its prompt)")
    prompt = cells.pop()
    points = sum(public_points.get(function, 0) for function in functions)
    test = TEST_CELL.format(points=points, question=name, module=module, functions=functions,
                            names=", ".join(functions), call_timeout=call_timeout)
    raw = nbformat.v4.new_raw_cell
    return [
        raw(f"# BEGIN QUESTION\nname: {name}\npoints: {points:g}"), prompt,
        raw("# BEGIN SOLUTION"), *_code(functions, found, where), raw("# END SOLUTION"),
        raw("# BEGIN TESTS"), nbformat.v4.new_code_cell(test), raw("# END TESTS"), raw("# END QUESTION"),
    ]


def master_notebook(homework, public_points, found, call_timeout):
    """The otter-grader master notebook (solutions and tests) of a homework with a notebook.md.

    ``public_points``: {function: points of its public tests}, for the questions' point values;
    ``found``: the solution module's definitions; ``call_timeout``: seconds a call may take, as
    in the sandbox.
    """
    where = homework.solution_dir / NOTEBOOK_SOURCE
    raw, markdown = nbformat.v4.new_raw_cell, nbformat.v4.new_markdown_cell
    cells = [raw(ASSIGNMENT_CONFIG.format(module=homework.module))]
    for kind, body in blocks(where.read_text()):
        if kind == "markdown":
            cells.append(markdown(body.strip()))
        elif kind == "python":
            cell = nbformat.v4.new_code_cell(f"{SKIP_LINE}\n{body.strip()}")
            cell.metadata["tags"] = [SKIP_TAG]
            cells.append(cell)
        elif kind == "code":
            cells += _code(body.split(), found, where)
        else:
            cells += _question(body, found, where, homework.module, public_points, cells, call_timeout)
    return nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC})


def answer_cells(book):
    """(cell, the name it defines) for each cell of a student notebook that students write in."""
    for cell in book.cells:
        name = _DEFINES.match(cell.source)
        if ANSWER_TAG in cell.metadata.get("tags", []) and name:
            yield cell, name[1]


def answered(book, solution_source):
    """A copy of a student notebook with the reference's definitions in its answer cells (what a
    student who finished would hand in): for the kit's tests, benchmarks and sample class."""
    book = copy.deepcopy(book)
    found = definitions(solution_source)
    for cell, name in answer_cells(book):
        cell.source = found[name]
    return book


def student_notebook(homework, public_points, call_timeout):
    """{file name: text} of the notebook students receive (``otter assign`` run on the master
    notebook) and of its checks, ``tests/<question>.py``: otter's tests folder, so ``grader.check``
    works in a renamed or copied notebook and ``otter check`` works on the command line."""
    found = definitions((homework.solution_dir / f"{homework.module}.py").read_text())
    master = master_notebook(homework, public_points, found, call_timeout)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        path = scratch / f"{homework.module}.ipynb"
        nbformat.write(master, path)
        run = subprocess.run(
            [sys.executable, "-m", "otter", "assign", str(path), str(scratch / "out")],
            capture_output=True, text=True, cwd=scratch,
        )
        student = scratch / "out" / "student" / path.name
        if run.returncode != 0 or not student.is_file():
            raise RuntimeError(f"otter assign failed on the master notebook of {homework.id}:\n{run.stderr[-2000:]}")
        notebook = nbformat.read(student, as_version=4)
        files = {f"tests/{test.name}": test.read_text() for test in sorted((student.parent / "tests").glob("*.py"))}
    for number, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{number}"  # stable ids: a release made twice is the same file
        # Otter names the notebook in its init cell, and then fails in a copy Jupyter renamed;
        # the checks live in tests/, so otter needs no name.
        cell.source = cell.source.replace(f'otter.Notebook("{path.name}")', "otter.Notebook()")
    # Otter leaves `...` where a solution was, so an unfinished function returns None and the
    # checks fail on a None. Give the answer cells the module stub's marked block instead: an
    # unfinished function says so, as it does in the .py.
    for cell, name in answer_cells(notebook):
        if name in found:
            cell.source = make_stub(found[name]).rstrip("\n")
    files[path.name] = nbformat.writes(notebook) + "\n"
    return files
