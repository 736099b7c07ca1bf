"""``rnnkit demo``: what an instructor does over a term, on the bundled sample class.

1. the student release (``assignments/``, regenerated from ``solutions/`` and the graders);
2. each homework's Gradescope autograder zip;
3. each homework's sample class (a Gradescope export of the reference, the stub and realistic
   wrong and broken submissions, written from ``sample_class.py``'s recipes into
   ``OUT/sample_class/<hw>/``) graded through the same path as ``rnnkit grade-export``, with the
   gradebook printed and the report's location.
"""

from pathlib import Path

from rich.markup import escape
from rich.table import Table

from rnnkit import homeworks, sample_class


def _gradebook_table(homework, csv_text):
    import csv
    import io

    rows = list(csv.reader(io.StringIO(csv_text)))
    table = Table(title=f"{homework.title}: grades.csv", title_justify="left")
    for column in ("SID", "Name", "Submission", "Score", "Late", "Final", "Status"):
        table.add_column(column, overflow="fold")
    header = rows[0]
    names = ("SID", "Name", "Submission ID", "Score", "Max Points", "Status", "Lateness (H:M:S)", "Final Score")
    index = {name: header.index(name) for name in names if name in header}
    for row in rows[1:]:
        score = f"{row[index['Score']]} / {row[index['Max Points']]}" if row[index["Score"]] else "-"
        late, final = (row[index[k]] if k in index else "" for k in ("Lateness (H:M:S)", "Final Score"))
        table.add_row(*(escape(row[index[k]]) for k in ("SID", "Name", "Submission ID")), score,
                      late if late not in ("", "0:00:00") else "", final, escape(row[index["Status"]]))
    return table


def run_demo(console, out, workers=None):
    from rnnkit import gradescope
    from rnnkit.batch import grade_export
    from rnnkit.release import release

    out = Path(out)
    every = [homeworks.load(i) for i in homeworks.homework_ids()]
    written = release(every)
    console.print(f"1. student release: {len(written)} files written under assignments/ "
                  f"({'regenerated' if written else 'already up to date'})")
    console.print("2. Gradescope autograder zips:")
    for homework in every:
        target = out / "autograder" / f"{homework.id}.zip"
        try:
            files = gradescope.build(homework, target)
            console.print(f"   {escape(str(target))} ({len(files)} files, from git HEAD)")
        except gradescope.BuildError as error:  # not a git checkout: the rest of the demo still runs
            console.print(f"   {homework.id}: not built ({escape(str(error))})")
    from rnnkit.batch.lateness import Deadline, LatePolicy, parse_due

    deadline = Deadline(parse_due(sample_class.DUE), LatePolicy.parse(sample_class.LATE_POLICY))
    console.print(
        "3. the sample class of each homework, graded as `rnnkit grade-export ... --lms canvas "
        f"--due {sample_class.DUE} --late-policy '{sample_class.LATE_POLICY}'` does:"
    )
    failed = False
    for homework in every:
        if homework.id not in sample_class.MODULES:
            console.print(f"   {homework.id}: no sample class")
            continue
        export = sample_class.write_export(homework.id, out / "sample_class" / homework.id)
        summary = grade_export(homework, export, out / homework.id, workers=workers, lms="canvas", deadline=deadline)
        console.print(_gradebook_table(homework, (summary.out_dir / "grades.csv").read_text()))
        for path in summary.files:
            if path.name != "grades.csv":
                console.print(f"   {path.stem}: {escape(str(path.resolve()))}")
        regrades = (summary.out_dir / "regrade.csv").read_text().count("\n") - 1
        console.print(f"   regrade.csv: {regrades} submission{'s' * (regrades != 1)} whose score differs from the export's")
        for problem in summary.kit_problems:
            failed = True
            console.print(f"[bold yellow]kit error:[/] {escape(problem)}", highlight=False)
    return 2 if failed else 0


def _demo(args, console):
    return run_demo(console, args.out, workers=args.workers)


def register(commands):
    """Add `rnnkit demo` to the `rnnkit` parser."""
    demo = commands.add_parser(
        "demo", help="build the release and zips, then grade the bundled sample class of every homework"
    )
    demo.add_argument("--out", default="out/demo", help="folder for everything the demo writes")
    demo.add_argument("--workers", type=int, help="grading processes (default: one per core)")
    demo.set_defaults(run=_demo)

