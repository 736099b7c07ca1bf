"""``rnnkit grade``: one submission, graded by the engine (``rnnkit.engine``), its table printed."""

import os

from rich.markup import escape

from rnnkit import homeworks
from rnnkit.console import EXIT_KIT_FAILED, print_results
from rnnkit.sandbox import Limits, keep_warm


def _grade(args, console):
    homework = homeworks.load(args.homework)
    # The sandbox's zygote imports numpy and torch while this process imports the graders (and
    # their torch): the worker then forks from it ready, instead of importing after them.
    keep_warm(homework.packages)
    from rnnkit.engine import grade

    missing = not os.path.lexists(args.submission)
    outcome = grade(
        homework,
        args.submission,
        args.out,
        namespaces=args.sandbox == "auto",
        allow_unsafe=args.allow_unsafe,
        budget_seconds=args.time_budget,
        metadata=args.metadata,
    )
    if missing:  # the caller's typo: the cause, not a table of zeros
        console.print(
            f"rnnkit grade: no such submission: {escape(args.submission)} "
            f"(a results.json with 0 points was written to {escape(args.out)} for Gradescope's sake)"
        )
        return EXIT_KIT_FAILED
    print_results(console, homework.title, outcome.results, outcome.kit_errors)
    console.print(f"results: {escape(os.path.join(args.out, 'results.json'))}")
    return 0 if outcome.kit_ok else EXIT_KIT_FAILED


def register(commands):
    """Add this package's subcommands to the `rnnkit` parser."""
    grade = commands.add_parser("grade", help="grade one submission; writes OUT/results.json")
    grade.add_argument("homework", help="homework id, e.g. hw1_rnn_cell")
    grade.add_argument("submission", help="a .py file, a folder or a .zip")
    grade.add_argument("--out", required=True, help="folder for results.json")
    grade.add_argument(
        "--sandbox",
        choices=("auto", "process"),
        default="auto",
        help="auto: namespaces when root (the default); process: no namespaces (see README)",
    )
    grade.add_argument(
        "--allow-unsafe",
        action="store_true",
        help="grade even where the sandbox can read the graders (no namespaces, no Landlock, "
        "readable files); for your own trusted code only",
    )
    grade.add_argument(
        "--time-budget", type=float, metavar="SECONDS",
        help="wall-clock budget for the whole submission (default: the homework's homework.yaml, "
        f"else {Limits().budget_seconds:g} s)",
    )
    grade.add_argument("--metadata", help="Gradescope's submission_metadata.json, recorded in extra_data")
    grade.set_defaults(run=_grade)

