"""Turn a reference solution into the stub students receive.

In ``solutions/`` each function body that students write sits between two marker lines::

    # BEGIN SOLUTION
    ...reference code...
    # END SOLUTION

The stub keeps everything else (imports, docstrings, given helpers) and replaces each marked
block with one clearly marked place to fill, which raises NotImplementedError until it is filled.
"""

import re

_BEGIN = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION[ \t]*$")
_END = re.compile(r"^[ \t]*# END SOLUTION[ \t]*$")
_DEF = re.compile(r"^[ \t]*def (?P<name>\w+)\(")


class MarkerError(ValueError):
    pass


def _todo_block(indent, function):
    return [
        f"{indent}# {' YOUR CODE BELOW '.center(72 - len(indent), '=')} #",
        f"{indent}# TODO: implement {function} as its docstring describes.",
        f'{indent}raise NotImplementedError("{function} is not implemented yet")',
        f"{indent}# {' YOUR CODE ABOVE '.center(72 - len(indent), '=')} #",
    ]


def make_stub(source, filename="<solution>"):
    """The stub text for a solution's text; raises MarkerError on unbalanced markers."""
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
    return "\n".join(output) + "\n"
