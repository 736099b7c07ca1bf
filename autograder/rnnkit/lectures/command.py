"""``rnnkit lectures``: run the lecture notebooks and render them to HTML."""

from rich.markup import escape

from rnnkit.console import EXIT_KIT_FAILED


def _lectures(args, console):
    from nbclient.exceptions import CellExecutionError

    from rnnkit.lectures import render

    try:
        index = render(args.out, args.lecture, log=console.print)
    except CellExecutionError as error:  # nbclient's message names the cell and the error
        console.print(f"rnnkit lectures: a lecture failed to run:\n{escape(str(error)[-3000:])}")
        return EXIT_KIT_FAILED
    console.print(f"open {index.resolve().as_uri()}")
    return 0


def register(commands):
    """Add this package's subcommands to the `rnnkit` parser."""
    lectures = commands.add_parser(
        "lectures", help="run the lecture notebooks and render them to HTML with an index page"
    )
    lectures.add_argument("lecture", nargs="*", help="only these lectures (by number or name prefix, e.g. 01)")
    lectures.add_argument("--out", default="out/lectures", help="folder for the executed notebooks and HTML")
    lectures.set_defaults(run=_lectures)

