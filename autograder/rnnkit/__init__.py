"""rnnkit: homework, graders and a sandboxed grading engine for a course on recurrent networks."""

from pathlib import Path

__version__ = "0.1.0"

PACKAGE_DIR = Path(__file__).resolve().parent
KIT_ROOT = PACKAGE_DIR.parents[1]  # the checkout: assignments/, solutions/, autograder/, ...
