"""Turn a reference solution into the stub students receive.

In ``solutions/`` each function body that students write sits between two marker lines::

    # BEGIN SOLUTION
    ...reference code...
    # END SOLUTION

The stub keeps everything else (imports, docstrings, given helpers) and replaces each marked
block with one clearly marked place to fill, which raises NotImplementedError until it is filled.

A public function (or method) without a block would reach students whole, answer included, so it
is refused unless the homework lists it as given (``given:`` in homework.yaml). Helpers whose
names start with ``_`` are given by convention.
"""

import ast
import re

from rnnkit.errors import KitError

_BEGIN = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION[ \t]*$")
_END = re.compile(r"^[ \t]*# END SOLUTION[ \t]*$")
_DEF = re.compile(r"^[ \t]*def (?P<name>\w+)\(")


class MarkerError(KitError, ValueError):
    pass


def _todo_block(indent, function):
    return [
        f"{indent}# {' YOUR CODE BELOW '.center(72 - len(indent), '=')} #",
        f"{indent}# TODO: implement {function} as its docstring describes.",
        f'{indent}raise NotImplementedError("{function} is not implemented yet")',
        f"{indent}# {' YOUR CODE ABOVE '.center(72 - len(indent), '=')} #",
    ]


def unmarked_functions(source):
    """Public module-level functions and methods of module-level classes that hold no solution block."""
    lines = source.splitlines()
    nodes = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef):
            nodes += [n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            nodes.append(node)
    return [
        node.name for node in nodes
        if not node.name.startswith("_")
        and not any(_BEGIN.match(line) for line in lines[node.lineno - 1:node.end_lineno])
    ]


def make_stub(source, filename="<solution>", given=()):
    """The stub text for a solution's text; raises MarkerError on unbalanced markers, or on a
    public function without a solution block that is not in ``given``."""
    output, function, begin_line = [], None, None
    for number, line in enumerate(source.splitlines(), start=1):
        if begin_line is None:
            match = _DEF.match(line)
            if match:
                function = match["name"]
            begin = _BEGIN.match(line)
            if begin:
                if function is None:
                    raise MarkerError(f"{filename}:{number}: BEGIN SOLUTION outside a function")
                begin_line = number
                output.extend(_todo_block(begin["indent"], function))
            elif _END.match(line):
                raise MarkerError(f"{filename}:{number}: END SOLUTION without BEGIN SOLUTION")
            else:
                output.append(line)
        elif _BEGIN.match(line):
            raise MarkerError(f"{filename}:{number}: BEGIN SOLUTION inside another solution block")
        elif _END.match(line):
            begin_line = None
    if begin_line is not None:
        raise MarkerError(f"{filename}:{begin_line}: BEGIN SOLUTION is never closed")
    unmarked = [name for name in unmarked_functions(source) if name not in given]
    if unmarked:
        raise MarkerError(
            f"{filename}: {', '.join(unmarked)} {'has' if len(unmarked) == 1 else 'have'} no "
            "BEGIN/END SOLUTION block, so students would receive the whole code. Mark what they "
            "write, or list the function under `given:` in homework.yaml if it is meant to be given."
        )
    return "\n".join(output) + "\n"
