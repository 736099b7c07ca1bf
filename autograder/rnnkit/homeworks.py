"""Where each homework's pieces live, and its settings (``autograder/graders/<id>/homework.yaml``)."""

import ast
import dataclasses
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import yaml

from rnnkit import KIT_ROOT, PACKAGE_DIR
from rnnkit.errors import KitError
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


class UnknownHomework(KitError, LookupError):
    pass


class HomeworkConfigError(KitError, ValueError):
    """homework.yaml says something the kit cannot use: one line naming the file and the key."""


_NAMES = {"type": "array", "items": {"type": "string", "pattern": r"^[A-Za-z_][\w.]*$"}}
# The schema of homework.yaml. The sandbox's settings and their defaults are Limits' fields, so
# that a new limit is declared once.
SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["title", "module"],
    "properties": {
        "title": {"type": "string", "minLength": 1},
        "module": {"type": "string", "pattern": r"^[A-Za-z_]\w*$"},
        "packages": _NAMES,
        "sandbox": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                field.name: {"type": "integer" if field.type in (int, "int") else "number", "exclusiveMinimum": 0}
                for field in dataclasses.fields(Limits)
            },
        },
        "given": _NAMES,
        "builds_on": {"type": "object", "additionalProperties": _NAMES},
    },
}


def _checked(config, config_file):
    """``config`` if it fits SCHEMA; otherwise HomeworkConfigError naming the file, the key and why."""
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(SCHEMA).iter_errors(config))
    if error is not None:
        where = ".".join(str(part) for part in error.absolute_path) or "the top level"
        raise HomeworkConfigError(f"{config_file}: {where}: {error.message}")
    return config


def _defined_names(solution):
    """The functions, classes and methods (Class.method) the solution module defines."""
    names = set()
    for node in ast.parse(solution.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        if isinstance(node, ast.ClassDef):
            names |= {f"{node.name}.{item.name}" for item in node.body if isinstance(item, ast.FunctionDef)}
    return names


def _check_names(homework, config_file):
    """``given`` and what ``builds_on`` points at are the solution's own functions (where the
    solution is at hand: the Gradescope zip carries none). The keys of builds_on are the subjects
    of test titles, which may name a test group rather than a function ("training")."""
    solution = homework.solution_dir / f"{homework.module}.py"
    if not solution.is_file():
        return
    defined = _defined_names(solution)
    named = [("given", name) for name in homework.given]
    named += [(f"builds_on.{key}", name) for key, names in homework.builds_on.items() for name in names]
    for where, name in named:
        if name not in defined:
            raise HomeworkConfigError(f"{config_file}: {where}: {name!r} is not defined in {solution.name}")


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
    def graders_use_torch(self) -> bool:
        """Whether grading loads torch: the graders of a homework whose students may use it handle
        tensors and models. A numpy homework's graders find their torch results stored
        (``oracles.json``, rnnkit_testing/oracles.py) and load torch only for one not found."""
        return self.packages is None or "torch" in self.packages

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
    try:
        config = yaml.safe_load(config_file.read_text()) or {}
    except yaml.YAMLError as error:
        raise HomeworkConfigError(f"{config_file}: not valid YAML ({' '.join(str(error).split())})") from None
    _checked(config, config_file)
    homework = Homework(
        id=homework_id,
        title=config["title"],
        module=config["module"],
        limits=Limits(**config.get("sandbox", {})),
        builds_on={name: list(uses) for name, uses in (config.get("builds_on") or {}).items()},
        packages=tuple(config["packages"]) if "packages" in config else None,
        given=tuple(config.get("given") or ()),
    )
    _check_names(homework, config_file)
    return homework
