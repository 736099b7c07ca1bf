"""What every lecture notebook imports: the kit's reference solutions, so a lecture runs the same
code the homework asks students to write (never a second copy of it)."""

import importlib.util
import sys
from pathlib import Path



def _solutions():
    """The kit's solutions/: beside lectures/ in the repository, or, for the copy `rnnkit lectures`
    leaves beside the notebooks it rendered, the installed kit's."""
    beside = Path(__file__).resolve().parents[1] / "solutions"
    if beside.is_dir():
        return beside
    from rnnkit import KIT_ROOT

    return KIT_ROOT / "solutions"


SOLUTIONS = _solutions()


def reference(homework):
    """The reference module of a homework, e.g. reference("hw1_rnn_cell") -> rnn_cell."""
    folder = SOLUTIONS / homework
    modules = sorted(path for path in folder.glob("*.py"))
    if len(modules) != 1:
        raise LookupError(f"expected one reference module in {folder}, found {[m.name for m in modules]}")
    name = f"reference_{modules[0].stem}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, modules[0])
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
