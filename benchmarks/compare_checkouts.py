"""Grading time of two checkouts of the kit, measured alternately in one run (a refactoring must
stay within noise).

    .venv/bin/python benchmarks/compare_checkouts.py BEFORE_DIR AFTER_DIR [--runs 7] [--homework hw1_rnn_cell ...]

Each round grades each homework's reference once with each checkout (``python -m rnnkit grade``,
the checkout's ``autograder/`` first on PYTHONPATH), so machine noise hits both alike; prints the
median wall time of each and their ratio.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODULES = {"hw1_rnn_cell": "rnn_cell", "hw2_lstm_gates": "lstm_gates",
           "hw3_text_generation": "text_generation", "hw4_seq2seq": "seq2seq"}


def grade_once(checkout, homework, out):
    reference = Path(checkout) / "solutions" / homework / f"{MODULES[homework]}.py"
    env = {**os.environ, "PYTHONPATH": str(Path(checkout) / "autograder")}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "rnnkit", "grade", homework, str(reference), "--out", out],
                          capture_output=True, text=True, env=env, cwd=checkout, timeout=600)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{checkout}: grading {homework} failed:\n{proc.stdout[-1500:]}\n{proc.stderr[-1500:]}")
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--homework", nargs="*", default=list(MODULES))
    args = parser.parse_args()
    times = {(h, side): [] for h in args.homework for side in ("before", "after")}
    with tempfile.TemporaryDirectory() as out:
        for _ in range(args.runs):
            for homework in args.homework:
                for side, checkout in (("before", args.before), ("after", args.after)):
                    times[homework, side].append(grade_once(checkout, homework, out))
    print(f"| homework | before (median of {args.runs}) | after | after / before |\n|---|---|---|---|")
    for homework in args.homework:
        before, after = statistics.median(times[homework, "before"]), statistics.median(times[homework, "after"])
        print(f"| {homework} | {before:.2f} s | {after:.2f} s | {after / before:.2f} |")


if __name__ == "__main__":
    main()
