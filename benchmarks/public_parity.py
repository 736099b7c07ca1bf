"""The public-test parity table of issue 17 ("Local = autograder"). (Not part of CI.)

    .venv/bin/python benchmarks/public_parity.py [--homework hw3_text_generation ...]

For the reference, the stub and the slips tests/test_public_parity.py checks, it takes every public
test's verdict from the student's own `pytest`, from otter's `grader.check` in the notebook and from
`rnnkit grade` (the same code as that test), and prints one Markdown row per submission: how many
public tests there are, whether the three agree (and on which tests they do not), the first public
test that fails in the student's own pytest report with the first line of its message, whether that
message names the slip's concept (its mutant keyword), and which other student functions it names
(the blame check of tests/grader_trust.py), or whose test it is when not the slip's function's. It grades every submission, ~10 s each.
"""

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "autograder")]

import test_public_parity as parity  # noqa: E402  (the suite's own code)
import rnnkit_testing  # noqa: E402


def rows(homework_id):
    homework, _ = parity.slips(homework_id)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        (scratch / "local").mkdir()
        found = parity.compare(homework_id, scratch / "local", parity.grader(homework_id, scratch / "graded"))
    mutants = {label: mutant for label, (_, mutant) in parity.submissions(homework_id).items()}
    for label, result in found.items():
        views = result["views"]
        differ = [f"{n} ({', '.join(f'{view} {verdict(views[view], n)}' for view in parity.VIEWS)})"
                  for n in result["differ"]]
        first = next((t for t in result["pytest"] if t["verdict"] != "passed"), None)
        mutant = mutants[label]
        if first is None:
            failing = message = concept = blamed = "—"
        else:
            failing = f"{first['number']} {first['title']}"
            message = (first["message"].strip().splitlines() or [""])[0]
            concept = "—" if mutant is None else ("yes" if mutant.keyword.lower() in first["message"].lower() else "no")
            function = homework.mutated_function(mutant) if mutant else rnnkit_testing.test_subject(first["title"])
            blamed = ", ".join(homework.other_functions_named(first["message"], function)) or "none"
            tested = rnnkit_testing.tested_function(first["title"])
            if tested != function.split(".")[0]:  # the slip shows first in a test of another function
                blamed += f" (a test of {tested})"
        yield [homework_id.split("_", 1)[0], label, str(len(views["pytest"])),
               "yes" if not differ else "no: " + "; ".join(differ), failing, message, concept, blamed]


def verdict(view, number):
    return view[number][1] if number in view else "missing"


def cell(text):
    return text.replace("|", "\\|").replace("\n", " ")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homework", nargs="*", choices=list(parity.SLIPS), default=list(parity.SLIPS))
    args = parser.parse_args()
    header = ["hw", "submission", "public tests", "all three agree", "first failing public test (pytest)",
              "its message (first line)", "names the slip's concept", "other functions named"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for homework_id in args.homework:
        for row in rows(homework_id):
            print("| " + " | ".join(cell(text) for text in row) + " |", flush=True)


if __name__ == "__main__":
    main()
