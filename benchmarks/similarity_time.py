"""The similarity report's cost on a class of 200, and its false positives on independent work.

    python benchmarks/similarity_time.py [--submissions 200] [--runs 3]

Builds a class from HW1's reference, its three independent alternatives
(tests/submissions/hw1_alternatives) and, for every further student, one of them renamed and
reordered as a copier would (each with names of its own), then times ``similarity.compare`` (all
pairs). Then counts the pairs flagged among honest, independent solutions of HW1 and HW2 (the
reference and its alternatives: none of them copies another).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "autograder")]

from rnnkit import homeworks  # noqa: E402
from rnnkit.batch.similarity import FLAGGED, Code, compare, given_code  # noqa: E402
from test_similarity import disguised  # noqa: E402


def honest(homework_id, module):
    sources = [(ROOT / "solutions" / homework_id / f"{module}.py").read_text()]
    sources += [p.read_text() for p in sorted((ROOT / "tests" / "submissions" / f"{homework_id.split('_')[0]}_alternatives").glob(f"*/{module}.py"))]
    return [Code(f"submission_{n}", f"student {n}", text) for n, text in enumerate(sources)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    hw1 = homeworks.load("hw1_rnn_cell")
    bases = honest("hw1_rnn_cell", "rnn_cell")
    codes = list(bases)
    for n in range(len(bases), args.submissions):
        source = disguised(bases[n % len(bases)].text).replace("value_", f"v{n}_")
        codes.append(Code(f"submission_{n}", f"student {n}", source))
    given = given_code(hw1)
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        pairs = compare(codes, given)
        times.append(time.perf_counter() - started)
    print(f"{len(codes)} submissions, {len(codes) * (len(codes) - 1) // 2} pairs: "
          f"median {statistics.median(times):.1f} s over {args.runs} runs ({', '.join(f'{t:.1f}' for t in times)})")
    print(f"  flagged pairs (>= {FLAGGED:.0%}): {sum(p.score >= FLAGGED for p in pairs)} "
          "(the class is built of copies: most pairs should be)")
    for homework_id, module in (("hw1_rnn_cell", "rnn_cell"), ("hw2_lstm_gates", "lstm_gates")):
        independent = honest(homework_id, module)
        pairs = compare(independent, given_code(homeworks.load(homework_id)))
        total = len(independent) * (len(independent) - 1) // 2
        flagged = [p for p in pairs if p.score >= FLAGGED]
        top = max((p.score for p in pairs), default=0.0)
        print(f"{homework_id}: {len(independent)} independent correct solutions, {len(flagged)} of {total} pairs "
              f"flagged (highest similarity {top:.0%})")


if __name__ == "__main__":
    main()
