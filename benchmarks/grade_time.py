"""Wall time of grading each homework (reference and stub) next to the cost floor: starting Python and importing torch.

    .venv/bin/python benchmarks/grade_time.py [--runs 7]

Runs the commands alternately (so machine noise hits all of them alike) and prints the median of
each and its ratio to `python -c "import torch"`. The grading process imports torch once for the
references; the sandbox worker imports only numpy.
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rnnkit import homeworks

ROOT = Path(__file__).resolve().parents[1]


def commands(out_dir):
    """The torch-import floor, then the reference and the stub of every homework."""
    todo = {'python -c "import torch"': [sys.executable, "-c", "import torch"]}
    for homework in homeworks.homework_ids():
        module = homeworks.load(homework).module
        for label, folder in (("reference", "solutions"), ("stub", "assignments")):
            todo[f"rnnkit grade {homework} <{label}>"] = [
                sys.executable, "-m", "rnnkit", "grade", homework,
                str(ROOT / folder / homework / f"{module}.py"), "--out", str(out_dir / homework / label),
            ]
    return todo


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        todo = commands(Path(out))
        times = {name: [] for name in todo}
        for _ in range(args.runs):
            for name, command in todo.items():
                started = time.perf_counter()
                subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
                times[name].append(time.perf_counter() - started)
    floor = statistics.median(times['python -c "import torch"'])
    print(f"{args.runs} runs each, medians:")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:44s} {median:6.2f} s   x{median / floor:.2f}   (min {min(values):.2f}, max {max(values):.2f})")


if __name__ == "__main__":
    main()
