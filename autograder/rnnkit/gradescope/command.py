"""``rnnkit autograder`` (a homework's Gradescope zip) and ``rnnkit autograder-test`` (that zip run
locally on a submission, as Gradescope would)."""

import json
import os

from rich.markup import escape

from rnnkit import homeworks
from rnnkit.console import EXIT_KIT_FAILED, print_results


def _autograder(args, console):
    from rnnkit import gradescope

    if args.all == bool(args.homework):
        console.print("rnnkit autograder: give one homework, or --all")
        return EXIT_KIT_FAILED
    ids = homeworks.homework_ids() if args.all else [args.homework]
    for homework_id in ids:
        homework = homeworks.load(homework_id)
        out = os.path.join(args.out, f"{homework_id}.zip") if args.all else args.out
        files = gradescope.build(homework, out, args.torch_version, args.torch_index)
        console.print(f"wrote {escape(out)} ({len(files)} files, from git HEAD)")
        for path in gradescope.uncommitted_changes(homework):
            console.print(f"[yellow]not in the zip (uncommitted):[/] {escape(path)}")
    return 0


def _autograder_test(args, console):
    from rnnkit.gradescope import trial

    results, output = trial.run(args.zip, args.submission, keep=args.keep)
    if args.verbose:
        console.print(escape(output), highlight=False)
    if "tests" in results:
        print_results(console, f"{args.zip} on {args.submission}", results)
    else:
        console.print(escape(json.dumps(results)))
    return 0


def register(commands):
    """Add this package's subcommands to the `rnnkit` parser."""
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
