"""Throughput and memory of grading a whole class with `rnnkit grade-export`.

    .venv/bin/python benchmarks/batch_speed.py [--homework hw1_rnn_cell] [--submissions 100] [--workers 2] [--runs 3]

Builds a Gradescope-style export of the homework's submissions and grades it end to end with the
CLI (Python start, warm-up, grading, gradebook and report), then prints the median wall time,
submissions per second, and the peak memory of all processes together (proportional set size, so
shared pages count once), sampled every 20 ms; and one `rnnkit grade` of the reference beside
`python -c "import torch"`, measured in the same run.

HW1's class, per 20: 9 correct, 8 with realistic bugs, a syntax error or an untouched stub, and 3
hostile (a fork bomb, a memory hog that allocates until its limit, one that tries to kill the
grader). Another homework's class repeats the gradable submissions of its sample class
(`rnnkit.sample_class`: the reference as a module and as a notebook, the stub, realistic slips,
broken and hostile submissions).
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from rnnkit import homeworks, sample_class

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = (ROOT / "solutions" / "hw1_rnn_cell" / "rnn_cell.py").read_text()
STUB = (ROOT / "assignments" / "hw1_rnn_cell" / "rnn_cell.py").read_text()

# One class of 20: 9 correct, 8 with realistic bugs or not started, 3 hostile (repeated to the size asked).
KINDS = [
    *[("correct", SOLUTION)] * 9,
    ("stub", STUB),
    ("stub", STUB),
    ("missing transpose", SOLUTION.replace("h_prev @ W_hh.T + b_h", "h_prev @ W_hh + b_h")),
    ("truncation off by one", SOLUTION.replace("(t + 1) % truncate == 0", "t % truncate == 0")),
    ("bias gradient as a mean", SOLUTION.replace("db_h = dz.sum(axis=0)", "db_h = dz.mean(axis=0)")),
    ("clipping in place", SOLUTION.replace("    return [g * scale for g in grads]\n",
                                           "    for g in grads:\n        g *= scale\n    return grads\n")),
    ("output bias dropped", SOLUTION.replace("return h @ W_hy.T + b_y", "return h @ W_hy.T")),
    ("syntax error", SOLUTION + "\ndef broken(:\n"),
    ("fork bomb", SOLUTION.replace("def output_layer(h, W_hy, b_y):",
                                   "def output_layer(h, W_hy, b_y):\n    import os\n    while True:\n        os.fork()")),
    ("memory hog", SOLUTION.replace("def output_layer(h, W_hy, b_y):",
                                    "def output_layer(h, W_hy, b_y):\n    x = [bytearray(10**8) for _ in range(100)]")),
    ("kills the grader", SOLUTION + "\nimport os, signal\nfor p in (os.getppid(), -1):\n"
                                    "    try:\n        os.kill(p, signal.SIGKILL)\n    except OSError:\n        pass\n"),
]


def hw1_class():
    """[(label, write(folder))] of HW1's class of 20."""
    return [(label, lambda folder, source=source: (folder / "rnn_cell.py").write_text(source)) for label, source in KINDS]


def sample_class_of(homework, work):
    """[(label, write(folder))]: the gradable submissions of ``homework``'s sample class."""
    sample = sample_class.write_export(homework, work / "sample", scores={})
    folders = sorted(p for p in sample.iterdir() if p.is_dir() and any(p.iterdir()))
    return [(p.name, lambda folder, p=p: shutil.copytree(p, folder, dirs_exist_ok=True)) for p in folders]


def make_export(folder, count, kinds):
    lines = ["---"]
    for index in range(count):
        label, write = kinds[index % len(kinds)]
        name = f"submission_{5000 + index}"
        (folder / name).mkdir(parents=True)
        write(folder / name)
        lines += [f"{name}:", "  :submitters:", f"  - :name: Student {index} ({label})",
                  f"    :sid: '{index}'", f"    :email: s{index}@example.edu", "  :score: 0.0"]
    (folder / "submission_metadata.yml").write_text("\n".join(lines) + "\n")


def tree_pss_kb(root_pid):
    """Proportional set size (kB) of a process and all its descendants."""
    children = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(name))
            except (OSError, ValueError):
                pass
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        stack += children.get(pid, [])
        try:
            with open(f"/proc/{pid}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total


def timed(command):
    """(wall seconds, peak PSS in MB of the whole process tree)."""
    peak = [0]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], tree_pss_kb(process.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    code = process.wait()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    if code != 0:
        raise SystemExit(f"{command} exited with {code}")
    return wall, peak[0] / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homework", default="hw1_rnn_cell", choices=sorted(sample_class.MODULES))
    parser.add_argument("--submissions", type=int, default=100)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rnnkit = [sys.executable, "-m", "rnnkit"]
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        homework = homeworks.load(args.homework)
        kinds = hw1_class() if homework.id == "hw1_rnn_cell" else sample_class_of(homework.id, work)
        make_export(work / "export", args.submissions, kinds)
        reference = homework.solution_dir / f"{homework.module}.py"
        batch, single, floor = [], [], []
        for run in range(args.runs):
            out = work / f"out{run}"
            batch.append(timed([*rnnkit, "grade-export", homework.id, str(work / "export"), "--out", str(out),
                                "--workers", str(args.workers)]))
            single.append(timed([*rnnkit, "grade", homework.id, str(reference), "--out", str(work / f"single{run}")]))
            floor.append(timed([sys.executable, "-c", "import torch"]))
            shutil.rmtree(out)
    wall = statistics.median(w for w, _ in batch)
    print(f"{args.submissions} {args.homework} submissions, {args.workers} workers, {args.runs} runs (medians):")
    print(f"  grade-export end to end   {wall:6.2f} s   {args.submissions / wall:5.2f} submissions/s   "
          f"peak memory, all processes: {max(m for _, m in batch):.0f} MB")
    single_wall, floor_wall = statistics.median(w for w, _ in single), statistics.median(w for w, _ in floor)
    print(f"  one `rnnkit grade`        {single_wall:6.2f} s   x{single_wall / floor_wall:.2f} of "
          f"`python -c 'import torch'` ({floor_wall:.2f} s)   peak memory: {max(m for _, m in single):.0f} MB")


if __name__ == "__main__":
    main()
