"""Where each homework's pieces live, and its settings (``autograder/graders/<id>/homework.yaml``)."""

from dataclasses import dataclass
from pathlib import Path

import yaml

from rnnkit import KIT_ROOT, PACKAGE_DIR
from rnnkit.sandbox import Limits

# In a checkout (or an editable install) the graders lie beside the package; an installed wheel
# carries them inside it, as rnnkit/graders (see pyproject.toml).
GRADERS_ROOT = next(
    (p for p in (PACKAGE_DIR / "graders", PACKAGE_DIR.parent / "graders") if (p / "conftest.py").is_file()),
    PACKAGE_DIR.parent / "graders",
)
SOLUTIONS_ROOT = KIT_ROOT / "solutions"
ASSIGNMENTS_ROOT = KIT_ROOT / "assignments"
# Folders the sandbox must never show to a submission: the graders, the reference solutions, and
# the engine (nothing in the sandbox needs it).
SECRET_DIRS = (GRADERS_ROOT, SOLUTIONS_ROOT, PACKAGE_DIR)


class UnknownHomework(LookupError):
    pass


@dataclass(frozen=True)
class Homework:
    id: str
    title: str
    module: str  # the file students edit and submit, without .py
    limits: Limits
    builds_on: dict  # student function -> the student functions the homework builds it on
    packages: tuple  # the installed packages student code may import (None: any)
    given: tuple = ()  # public functions of the solution that students receive whole

    @property
    def graders_dir(self) -> Path:
        return GRADERS_ROOT / self.id

    @property
    def solution_dir(self) -> Path:
        return SOLUTIONS_ROOT / self.id

    @property
    def assignment_dir(self) -> Path:
        return ASSIGNMENTS_ROOT / self.id


def homework_ids():
    return sorted(p.parent.name for p in GRADERS_ROOT.glob("*/homework.yaml"))


def load(homework_id) -> Homework:
    config_file = GRADERS_ROOT / homework_id / "homework.yaml"
    if not config_file.is_file():
        known = ", ".join(homework_ids()) or "none"
        raise UnknownHomework(f"unknown homework {homework_id!r} (known: {known})")
    config = yaml.safe_load(config_file.read_text()) or {}
    return Homework(
        id=homework_id,
        title=config["title"],
        module=config["module"],
        limits=Limits.from_mapping(config.get("sandbox", {})),
        builds_on={name: list(uses) for name, uses in (config.get("builds_on") or {}).items()},
        packages=tuple(config["packages"]) if "packages" in config else None,
        given=tuple(config.get("given") or ()),
    )
