"""The ``rnnkit`` command. Each subcommand lives in its own package: ``rnnkit.grade``,
``rnnkit.release``, ``rnnkit.gradescope`` (``autograder`` and ``autograder-test``)."""

import argparse
import json
import os
import sys

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rnnkit import homeworks

EXIT_KIT_FAILED = 2
DESCRIPTION = (
    "Grade RNN homework submissions in a sandbox, and build what students and Gradescope receive."
)
EXAMPLES = """examples:
  rnnkit demo                                        release, zips and a sample class graded
  rnnkit list                                        the homeworks, their tests and points
  rnnkit grade hw1_rnn_cell rnn_cell.py --out out/   grade one submission (.py, folder or .zip)
  rnnkit grade-export hw1_rnn_cell export.zip --out grades/
                                                     grade a whole class from Gradescope's export
  rnnkit release                                     regenerate assignments/ from solutions/
  rnnkit autograder hw1_rnn_cell --out hw1.zip       the Gradescope autograder zip
  rnnkit lectures --out out/lectures                 run the lectures, render them to HTML
  rnnkit autograder-test hw1.zip rnn_cell.py         try that zip locally, as Gradescope would

Run `rnnkit COMMAND --help` for a command's options."""


def _print_summary(console, title, results, kit_errors=()):
    table = Table(title=title, title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("test")
    table.add_column("score", justify="right")
    for test in results["tests"]:
        style = "green" if test["status"] == "passed" else "red"
        table.add_row(test["number"], escape(test["name"]), f"[{style}]{test['score']:g}/{test['max_score']:g}[/]")
    console.print(table)
    failed = [t for t in results["tests"] if t["status"] == "failed"]
    for test in failed[:10]:
        # Names and messages are plain text (a message may quote the student's code): no markup.
        console.print(f"[bold red]✗ {escape(test['name'])}[/]\n  {escape(test['output'].strip()[:600])}", highlight=False)
    if len(failed) > 10:
        console.print(f"… and {len(failed) - 10} more failed tests (see results.json)")
    score = sum(t["score"] for t in results["tests"])
    maximum = sum(t["max_score"] for t in results["tests"])
    if results.get("output"):
        console.print(escape(results["output"]), highlight=False)
    extra = results.get("extra_data", {})
    console.print(f"[bold]Total: {score:g} / {maximum:g}[/]   sandbox: {', '.join(extra.get('sandbox', [])) or 'not started'}")
    if extra.get("sandbox_missing"):
        console.print(f"sandbox layers not available here: {', '.join(extra['sandbox_missing'])} (see README)")
    # One line per distinct cause (a sandbox that cannot start fails every test the same way);
    # the full tracebacks are for a developer and follow only the first.
    causes = {}
    for error in kit_errors:
        lines = [line for line in error.strip().splitlines() if line.strip()]
        causes.setdefault(lines[-1] if lines else error, []).append(error)
    if kit_errors:
        console.print(f"[bold yellow]kit error:[/] {escape(kit_errors[0])}", highlight=False)
    for cause, errors in causes.items() if len(kit_errors) > 1 else ():
        count = f" ({len(errors)} tests)" if len(errors) > 1 else ""
        console.print(f"[bold yellow]kit error{count}:[/] {escape(cause)}", highlight=False)


def _grade(args, console):
    from rnnkit.grade import grade

    homework = homeworks.load(args.homework)
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
    _print_summary(console, homework.title, outcome.results, outcome.kit_errors)
    console.print(f"results: {escape(os.path.join(args.out, 'results.json'))}")
    return 0 if outcome.kit_ok else EXIT_KIT_FAILED


def _grade_export(args, console):
    from rnnkit.batch import NotAnExport, grade_export

    homework = homeworks.load(args.homework)
    try:
        summary = grade_export(homework, args.export, args.out, workers=args.workers, budget_seconds=args.time_budget)
    except NotAnExport as error:
        console.print(f"rnnkit grade-export: {escape(str(error))}")
        return EXIT_KIT_FAILED
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


def _demo(args, console):
    from rnnkit.demo import run_demo

    return run_demo(console, args.out, workers=args.workers)


def _release(args, console):
    from rnnkit.release import release

    from rnnkit.release.stubs import MarkerError

    ids = args.homework or homeworks.homework_ids()
    chosen = [homeworks.load(i) for i in ids]
    try:
        stale = release(chosen, check=args.check)
    except MarkerError as error:
        console.print(f"rnnkit release: {escape(str(error))}")
        return EXIT_KIT_FAILED
    for homework in chosen:
        if homework.given:
            console.print(f"{homework.id}: given whole to students: {', '.join(homework.given)}")
    if args.check:
        if stale:
            console.print("assignments/ is out of date; run `rnnkit release`:")
            for path in stale:
                console.print(f"  {path}")
            return 1
        console.print("assignments/ is up to date")
        return 0
    for path in stale:
        console.print(f"wrote {path}")
    return 0


def _lectures(args, console):
    from nbclient.exceptions import CellExecutionError

    from rnnkit.lectures import LectureError, render

    try:
        index = render(args.out, args.lecture, log=console.print)
    except LectureError as error:
        console.print(f"rnnkit lectures: {escape(str(error))}")
        return EXIT_KIT_FAILED
    except CellExecutionError as error:  # nbclient's message names the cell and the error
        console.print(f"rnnkit lectures: a lecture failed to run:\n{escape(str(error)[-3000:])}")
        return EXIT_KIT_FAILED
    console.print(f"open {index.resolve().as_uri()}")
    return 0


def _list(args, console):
    from rnnkit.release import collect_graders
    from rnnkit.results import PUBLIC_TESTS

    table = Table(title="Homeworks", title_justify="left")
    table.add_column("homework", no_wrap=True)
    table.add_column("title")
    for column in ("students edit", "tests (public)", "points (public)"):
        table.add_column(column, no_wrap=True)
    for homework_id in homeworks.homework_ids():
        homework = homeworks.load(homework_id)
        records = collect_graders(homework)
        public = [r for r in records if r["file"].name == PUBLIC_TESTS]
        table.add_row(
            homework_id, escape(homework.title), f"{homework.module}.py",
            f"{len(records)} ({len(public)})",
            f"{sum(r['max_score'] for r in records):g} ({sum(r['max_score'] for r in public):g})",
        )
    console.print(table)
    return 0


def _autograder(args, console):
    from rnnkit import gradescope

    if args.all == bool(args.homework):
        console.print("rnnkit autograder: give one homework, or --all")
        return EXIT_KIT_FAILED
    ids = homeworks.homework_ids() if args.all else [args.homework]
    for homework_id in ids:
        homework = homeworks.load(homework_id)
        out = os.path.join(args.out, f"{homework_id}.zip") if args.all else args.out
        try:
            files = gradescope.build(homework, out, args.torch_version, args.torch_index)
        except gradescope.BuildError as error:
            console.print(f"rnnkit autograder: {escape(str(error))}")
            return EXIT_KIT_FAILED
        console.print(f"wrote {escape(out)} ({len(files)} files, from git HEAD)")
        for path in gradescope.uncommitted_changes(homework):
            console.print(f"[yellow]not in the zip (uncommitted):[/] {escape(path)}")
    return 0


def _autograder_test(args, console):
    from rnnkit.gradescope import trial

    try:
        results, output = trial.run(args.zip, args.submission, keep=args.keep)
    except trial.TrialError as error:
        console.print(f"rnnkit autograder-test: {escape(str(error))}")
        return EXIT_KIT_FAILED
    if args.verbose:
        console.print(escape(output), highlight=False)
    if "tests" in results:
        _print_summary(console, f"{args.zip} on {args.submission}", results)
    else:
        console.print(escape(json.dumps(results)))
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="rnnkit", description=DESCRIPTION, epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

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
        help="wall-clock budget for the whole submission (default: the homework's, 240 s)",
    )
    grade.add_argument("--metadata", help="Gradescope's submission_metadata.json, recorded in extra_data")
    grade.set_defaults(run=_grade)

    export = commands.add_parser(
        "grade-export", help="grade a Gradescope 'Export Submissions' download (.zip or folder)"
    )
    export.add_argument("homework", help="homework id, e.g. hw1_rnn_cell")
    export.add_argument("export", help="the export's .zip, or the folder it unpacks to")
    export.add_argument("--out", required=True, help="folder for results, grades.csv, regrade.csv, report.html")
    export.add_argument("--workers", type=int, help="grading processes (default: one per core)")
    export.add_argument(
        "--time-budget", type=float, metavar="SECONDS", help="per-submission budget (default: the homework's)"
    )
    export.set_defaults(run=_grade_export)

    demo = commands.add_parser(
        "demo", help="build the release and zips, then grade the bundled sample class of every homework"
    )
    demo.add_argument("--out", default="out/demo", help="folder for everything the demo writes")
    demo.add_argument("--workers", type=int, help="grading processes (default: one per core)")
    demo.set_defaults(run=_demo)

    listing = commands.add_parser("list", help="the homeworks, with their tests and points")
    listing.set_defaults(run=_list)

    release = commands.add_parser("release", help="generate assignments/ from solutions/ and the graders")
    release.add_argument("homework", nargs="*", help="homework ids (default: all)")
    release.add_argument("--check", action="store_true", help="only report files that are out of date")
    release.set_defaults(run=_release)

    lectures = commands.add_parser(
        "lectures", help="run the lecture notebooks and render them to HTML with an index page"
    )
    lectures.add_argument("lecture", nargs="*", help="only these lectures (by number or name prefix, e.g. 01)")
    lectures.add_argument("--out", default="out/lectures", help="folder for the executed notebooks and HTML")
    lectures.set_defaults(run=_lectures)

    from rnnkit.gradescope import DEFAULT_TORCH_INDEX, DEFAULT_TORCH_VERSION

    zip_command = commands.add_parser("autograder", help="build a homework's Gradescope autograder zip")
    zip_command.add_argument("homework", nargs="?", help="homework id, e.g. hw1_rnn_cell")
    zip_command.add_argument("--all", action="store_true", help="every homework: OUT is a folder of zips")
    zip_command.add_argument("--out", required=True, help="the zip to write (with --all: a folder)")
    zip_command.add_argument("--torch-version", default=DEFAULT_TORCH_VERSION, help="torch installed by setup.sh")
    zip_command.add_argument(
        "--torch-index", default=DEFAULT_TORCH_INDEX, metavar="URL",
        help="pip index for torch (default: PyTorch's CPU-only wheels; '' for pip's own index)",
    )
    zip_command.set_defaults(run=_autograder)

    trial_command = commands.add_parser(
        "autograder-test", help="run a zip's run_autograder on a submission, in a local /autograder layout"
    )
    trial_command.add_argument("zip", help="an autograder zip from `rnnkit autograder`")
    trial_command.add_argument("submission", help="a .py file, a folder or a .zip, as a student uploads it")
    trial_command.add_argument("--keep", metavar="DIR", help="lay out /autograder in DIR and keep it")
    trial_command.add_argument("-v", "--verbose", action="store_true", help="print run_autograder's output")
    trial_command.set_defaults(run=_autograder_test)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    console = Console(highlight=False, soft_wrap=True)  # a one-line error stays one line
    try:
        return args.run(args, console)
    except homeworks.UnknownHomework as error:
        console.print(f"rnnkit: {escape(str(error))}")
        if args.command == "grade":  # Gradescope must still find a valid results.json
            from rnnkit.results import write_json_atomically

            write_json_atomically(
                os.path.join(args.out, "results.json"),
                {"score": 0.0, "output": "The autograder is misconfigured (not your code's fault); the details are in the autograder output your instructor can see. Ask them to regrade."},
            )
        return EXIT_KIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
