"""``rnnkit grade-export``: a whole class from Gradescope's 'Export Submissions' download."""

from rich.markup import escape

from rnnkit import homeworks
from rnnkit.console import EXIT_KIT_FAILED


def _grade_export(args, console):
    from rnnkit.batch import grade_export
    from rnnkit.batch.lateness import BadLateOption, Deadline, LatePolicy, parse_due

    homework = homeworks.load(args.homework)
    if args.late_policy and not args.due:
        raise BadLateOption("--late-policy needs --due: lateness is counted from the due date")
    deadline = Deadline(
        parse_due(args.due) if args.due else None, LatePolicy.parse(args.late_policy) if args.late_policy else None
    )
    summary = grade_export(homework, args.export, args.out, workers=args.workers, budget_seconds=args.time_budget,
                           scheduler=args.scheduler, deadline=deadline, lms=args.lms, lms_assignment=args.lms_assignment)
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
    for path in summary.files:
        console.print(f"  {escape(str(path))}")


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
    export.add_argument(
        "--lms", choices=["canvas", "generic"],
        help="also write an LMS gradebook file, one row per student: canvas.csv (Canvas's gradebook "
             "import format) or generic.csv (SID, email, name, score, lateness)",
    )
    export.add_argument(
        "--lms-assignment", metavar="NAME",
        help="the assignment's column in the LMS file, as named in the LMS (default: the homework's title)",
    )
    export.add_argument(
        "--due", metavar="DATETIME",
        help="the due date with its UTC offset (2026-10-31T23:59-07:00): lateness of each submission "
             "goes into grades.csv and the LMS file",
    )
    export.add_argument(
        "--late-policy", metavar="POLICY",
        help="penalty for late work, e.g. '10%%/day,grace=15m,cap=50%%' (needs --due; without it no score changes)",
    )
    export.set_defaults(run=_grade_export)

