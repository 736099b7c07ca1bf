"""What a sandbox may use, and which walls it got.

``Limits`` holds every per-homework number (homework.yaml's ``sandbox:`` keys are its fields, and
its defaults are the only defaults); ``LAYERS`` names the walls the jail tries to build.
"""

from dataclasses import dataclass

LAYERS = ("namespaces", "unprivileged-user", "landlock", "seccomp", "rlimits")


def missing_layers(layers):
    """The sandbox layers this run did not get (``layers`` as the jail reported them)."""
    return [name for name in LAYERS if not any(layer.startswith(name) for layer in layers)]


class SandboxUnavailable(RuntimeError):
    """The sandbox itself could not be set up: a problem of the kit or the machine, not the student."""


@dataclass
class Limits:
    call_timeout: float = 10.0  # wall-clock seconds for one call
    import_timeout: float = 30.0  # wall-clock seconds to start Python and import the submission
    cpu_seconds: int = 120  # CPU time over the sandbox's whole life
    memory_mb: int = 1024  # address space (torch reserves ~640 MB of it at import without using it)
    # Memory it may write into (heap, private mappings): what can fill RAM, where the address space
    # cannot tell. It counts reservations never touched too (numpy's OpenBLAS reserves ~140 MB at
    # its first product). The reference's workers peak at 83 MB (HW1, HW2), 315 (HW3), 247 (HW4);
    # 512 beside a ~270 MB grader fits Gradescope's 768 MB, so a hoarder meets MemoryError there too.
    data_mb: int = 512
    processes: int = 64
    file_mb: int = 16
    disk_mb: int = 64
    open_files: int = 256
    budget_seconds: float = 240.0  # wall-clock seconds for the whole submission (Gradescope: 600)
    reply_mb: int = 256  # bytes decoded from the sandbox's replies over the whole submission
