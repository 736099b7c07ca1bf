"""What every command shares on the terminal: its exit status for the kit's own failures, and the
table of one graded submission (``rnnkit grade`` and ``rnnkit autograder-test``)."""

from rich.markdown import Markdown
from rich.markup import escape
from rich.padding import Padding
from rich.text import Text
from rich.table import Table

EXIT_KIT_FAILED = 2


def _message(text, output_format, limit=1500):
    """A results.json message as a terminal shows it best: Markdown rendered, plain text as is."""
    text = text.strip()
    if len(text) > limit:
        text = text[:limit] + " …"
    if output_format == "md":
        return Padding(Markdown(text, code_theme="ansi_dark"), (0, 0, 0, 2))
    return Padding(Text(text), (0, 0, 0, 2))


def print_results(console, title, results, kit_errors=()):
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
        # Names are plain text (no rich markup); messages are Markdown (rnnkit.feedback_markdown),
        # shown as Gradescope shows them, in the text's own escapes rather than rich's markup.
        console.print(f"[bold red]✗ {escape(test['name'])}[/]", highlight=False)
        console.print(_message(test.get("output", ""), results.get("test_output_format")), soft_wrap=False)
    if len(failed) > 10:
        console.print(f"… and {len(failed) - 10} more failed tests (see results.json)")
    score = sum(t["score"] for t in results["tests"])
    maximum = sum(t["max_score"] for t in results["tests"])
    if results.get("output"):
        console.print(_message(results["output"], results.get("output_format")), soft_wrap=False)
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
