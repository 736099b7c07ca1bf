"""``rnnkit grade-export``: a whole class from Gradescope's 'Export Submissions' download."""

from rich.markup import escape

from rnnkit import homeworks
from rnnkit.console import EXIT_KIT_FAILED


def _grade_export(args, console):
    from rnnkit.batch import grade_export

    homework = homeworks.load(args.homework)
    summary = grade_export(homework, args.export, args.out, workers=args.workers, budget_seconds=args.time_budget,
                           scheduler=args.scheduler)
    _print_export_summary(console, summary)
    return EXIT_KIT_FAILED if summary.kit_problems else 0


def _print_export_summary(console, summary):
    console.print(f"graded {summary.graded} submissions, {summary.not_graded} not graded (reasons in report.html)")
    for problem in summary.kit_problems:
        console.print(f"[bold yellow]kit error:[/] {escape(problem)}", highlight=False)
    if summary.kit_problems:
        console.print("once the cause is fixed, run the same command again: it grades those submissions again")
    if summary.import_crashes:
        console.print(
            f"{len(summary.import_crashes)} submission{'s' * (len(summary.import_crashes) != 1)} "
            "crashed Python at import with no output (listed in report.html; regrade before the zeros "
            f"stand): {escape(', '.join(summary.import_crashes[:10]))}"
            + (" …" if len(summary.import_crashes) > 10 else "")
        )
    for name in ("grades.csv", "regrade.csv", "report.html"):
        console.print(f"  {escape(str(summary.out_dir / name))}")


def register(commands):
    """Add this package's subcommands to the `rnnkit` parser."""
    export = commands.add_parser(
        "grade-export", help="grade a Gradescope 'Export Submissions' download (.zip or folder)"
    )
    export.add_argument("homework", help="homework id, e.g. hw1_rnn_cell")
    export.add_argument("export", help="the export's .zip, or the folder it unpacks to")
    export.add_argument("--out", required=True, help="folder for results, grades.csv, regrade.csv, report.html")
    where = export.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help="grading processes (default: one per core)")
    where.add_argument(
        "--scheduler", metavar="ADDRESS",
        help="grade on the Dask cluster of this scheduler (tcp://host:8786) instead; needs rnnkit[cluster]",
    )
    export.add_argument(
        "--time-budget", type=float, metavar="SECONDS", help="per-submission budget (default: the homework's)"
    )
    export.set_defaults(run=_grade_export)

