"""The ``rnnkit`` command: a registry of subcommands. Each lives in the package of its job and
adds its own parser (``register``): ``rnnkit.grade``, ``rnnkit.batch.command`` (grade-export),
``rnnkit.release.command`` (release, list), ``rnnkit.lectures.command``,
``rnnkit.gradescope.command`` (autograder, autograder-test) and ``rnnkit.demo``. The one thing
done here for all of them: an error of the course team's (``KitError``) is one line and exit 2."""

import argparse
import os
import sys

from rich.console import Console
from rich.markup import escape

from rnnkit import demo, grade
from rnnkit.batch import command as batch_command
from rnnkit.console import EXIT_KIT_FAILED
from rnnkit.errors import KitError
from rnnkit.gradescope import command as gradescope_command
from rnnkit.lectures import command as lectures_command
from rnnkit.release import command as release_command

COMMANDS = (grade, batch_command, demo, release_command, lectures_command, gradescope_command)

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


def build_parser():
    parser = argparse.ArgumentParser(prog="rnnkit", description=DESCRIPTION, epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(commands)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    console = Console(highlight=False, soft_wrap=True)  # a one-line error stays one line
    try:
        return args.run(args, console)
    except KitError as error:  # the course team's to fix: one line, which names the file
        console.print(f"rnnkit {args.command}: {escape(' '.join(str(error).split()))}")
        if args.command == "grade":  # Gradescope must still find a valid results.json
            from rnnkit.results import write_json_atomically

            write_json_atomically(
                os.path.join(args.out, "results.json"),
                {"score": 0.0, "output": "The autograder is misconfigured (not your code's fault); the details are in the autograder output your instructor can see. Ask them to regrade."},
            )
        return EXIT_KIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
