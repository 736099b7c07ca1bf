"""``rnnkit release`` (assignments/ from solutions/ and the graders) and ``rnnkit list`` (what it
publishes: the homeworks, their tests and points)."""

from rich.markup import escape
from rich.table import Table

from rnnkit import homeworks


def _release(args, console):
    from rnnkit.release import release

    ids = args.homework or homeworks.homework_ids()
    chosen = [homeworks.load(i) for i in ids]
    stale = release(chosen, check=args.check)
    for homework in chosen:
        if homework.given:
            console.print(f"{homework.id}: given whole to students: {', '.join(homework.given)}")
    if args.check:
        if stale:
            console.print("assignments/ or the graders' stored torch results are out of date; run `rnnkit release`:")
            for path in stale:
                console.print(f"  {path}")
            return 1
        console.print("assignments/ and the graders' stored torch results are up to date")
        return 0
    for path in stale:
        console.print(f"wrote {path}")
    return 0


def _list(args, console):
    from rnnkit.results import PUBLIC_TESTS

    from rnnkit.release import collect_graders

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
            f"{sum(r['points'] for r in records):g} ({sum(r['points'] for r in public):g})",
        )
    console.print(table)
    return 0


def register(commands):
    """Add this package's subcommands to the `rnnkit` parser."""
    release = commands.add_parser("release", help="generate assignments/ from solutions/ and the graders")
    release.add_argument("homework", nargs="*", help="homework ids (default: all)")
    release.add_argument("--check", action="store_true", help="only report files that are out of date")
    release.set_defaults(run=_release)

    listing = commands.add_parser("list", help="the homeworks, with their tests and points")
    listing.set_defaults(run=_list)

