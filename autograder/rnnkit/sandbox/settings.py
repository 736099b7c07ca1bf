"""What the grader tells the jail, and the jail tells the worker: typed settings that cross a process
boundary as JSON and are checked where they arrive.

Standard library only: ``jail.py`` and ``worker.py`` load it (from their own folder) before anything
else is set up. A missing key, an unknown one or a value of the wrong type stops the jail or the
worker with a message naming the field, before any student code runs.
"""

import dataclasses
import json
import typing


class SettingsError(ValueError):
    """Settings that do not match their declaration: a bug of the kit, never of a submission."""


def _checked(value, kind, where):
    """``value`` as declared by the annotation ``kind``, or SettingsError naming ``where``."""
    origin, parts = typing.get_origin(kind), typing.get_args(kind)
    if dataclasses.is_dataclass(kind):
        return _from_data(kind, value, where)
    if origin is typing.Union or type(kind).__name__ == "UnionType":  # X | None
        if value is None and type(None) in parts:
            return None
        kind = next(part for part in parts if part is not type(None))
        return _checked(value, kind, where)
    if origin is list or origin is tuple:
        if not isinstance(value, list):
            raise SettingsError(f"{where}: expected a list, got {type(value).__name__}")
        if origin is tuple:
            if len(value) != len(parts):
                raise SettingsError(f"{where}: expected {len(parts)} items, got {len(value)}")
            return tuple(_checked(item, part, f"{where}[{i}]") for i, (item, part) in enumerate(zip(value, parts)))
        return [_checked(item, parts[0], f"{where}[{i}]") for i, item in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise SettingsError(f"{where}: expected a mapping, got {type(value).__name__}")
        return {_checked(k, parts[0], f"{where} key"): _checked(v, parts[1], f"{where}[{k!r}]") for k, v in value.items()}
    # bool is an int to Python, and an int is not a bool: compare exact types.
    if type(value) is not kind and not (kind is float and type(value) is int):
        raise SettingsError(f"{where}: expected {kind.__name__}, got {type(value).__name__}")
    return value


def _from_data(cls, data, where):
    if not isinstance(data, dict):
        raise SettingsError(f"{where}: expected a mapping, got {type(data).__name__}")
    names = {f.name for f in dataclasses.fields(cls)}
    unknown, missing = sorted(set(data) - names), sorted(names - set(data))
    if unknown or missing:
        problems = ([f"unknown keys {unknown}"] if unknown else []) + ([f"missing keys {missing}"] if missing else [])
        raise SettingsError(f"{where}: {', '.join(problems)}")
    hints = typing.get_type_hints(cls)
    return cls(**{name: _checked(data[name], hints[name], f"{where}.{name}") for name in sorted(names)})


class _Settings:
    """JSON out, checked JSON in."""

    def to_json(self):
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text):
        try:
            data = json.loads(text)
        except ValueError as error:
            raise SettingsError(f"{cls.__name__}: not JSON ({error})") from None
        return _from_data(cls, data, cls.__name__)


@dataclasses.dataclass(frozen=True)
class ResourceLimits(_Settings):
    """The rlimits the jail sets (see ``Limits`` for what each one means)."""

    cpu_seconds: int
    memory_mb: int
    data_mb: int
    processes: int
    file_mb: int
    open_files: int


@dataclasses.dataclass(frozen=True)
class WorkerSettings(_Settings):
    """What the worker needs: where the submission is inside the jail, and which packages it may use."""

    submission_dir: str
    module: str
    refused_modules: list[str]  # installed top-level modules the homework does not allow
    allowed_packages: list[str]  # the packages it does allow (besides numpy), for the message


@dataclasses.dataclass(frozen=True)
class JailSettings(_Settings):
    """Everything ``jail.py`` needs to build the walls and start the worker."""

    namespaces: bool  # try mount, network, PID, IPC and UTS namespaces
    python: str
    worker_dir: str  # the worker's files: worker.py and what it imports
    submission_dir: str  # the submission's staged copy
    tmp_dir: str
    root_dir: str  # an empty folder for the new root (with namespaces)
    read_only: list[str]
    listable: list[str]  # folders whose entries may be listed, not read
    hidden: list[str]
    secrets: list[str]  # files the worker must fail to read (the probe)
    blocked_samples: list[str]  # files of packages the homework does not allow (the probe)
    protected_pids: list[int]  # the grader and its ancestors: no signals to them
    user: tuple[int, int] | None  # (uid, gid) to become; None keeps the grader's own
    fallback_user: tuple[int, int]  # where ``user`` cannot exist (a user-namespaced container)
    status_fd: int  # where the jail reports the layers it applied
    disk_mb: int  # the size of the new root's tmpfs
    limits: ResourceLimits
    env: dict[str, str]
    worker: WorkerSettings  # its submission_dir is the one outside namespaces
