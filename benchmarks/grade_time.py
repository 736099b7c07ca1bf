"""Wall time and peak memory of grading each homework, next to the cost floor: starting Python and importing torch.

    .venv/bin/python benchmarks/grade_time.py [--runs 7] [--homework hw3_text_generation ...]

Grades every homework's reference and stub (the .py students hand in), and for a notebook
homework also its student notebook with the reference's answers filled in. Runs the commands
alternately, so machine noise hits all of them alike, and prints the median of each, its ratio to
`python -c "import torch"`, and the peak memory of the whole process tree (the grading process
and its sandbox together). That peak is the sum of the processes' resident sizes, sampled every
20 ms: pages the two processes share (torch's libraries) count twice, so it is an upper bound on
what a container's memory limit sees.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat

from rnnkit import homeworks
from rnnkit.release.notebook import answered

ROOT = Path(__file__).resolve().parents[1]


def answered_notebook(homework, path):
    """Write the homework's student notebook with the reference's definitions in its answer cells."""
    book = nbformat.read(homework.assignment_dir / f"{homework.module}.ipynb", as_version=4)
    nbformat.write(answered(book, (homework.solution_dir / f"{homework.module}.py").read_text()), path)
    return path


def commands(out_dir, homework_ids):
    """The torch-import floor, then the reference and the stub (and notebook) of each homework."""
    todo = {'python -c "import torch"': [sys.executable, "-c", "import torch"]}
    for homework_id in homework_ids:
        homework = homeworks.load(homework_id)
        submissions = {
            "reference": ROOT / "solutions" / homework_id / f"{homework.module}.py",
            "stub": ROOT / "assignments" / homework_id / f"{homework.module}.py",
        }
        if (homework.assignment_dir / f"{homework.module}.ipynb").is_file():
            folder = out_dir / homework_id / "notebook"
            folder.mkdir(parents=True)
            submissions["notebook"] = answered_notebook(homework, folder / f"{homework.module}.ipynb")
        for label, path in submissions.items():
            todo[f"rnnkit grade {homework_id} <{label}>"] = [
                sys.executable, "-m", "rnnkit", "grade", homework_id, str(path),
                "--out", str(out_dir / homework_id / f"{label}-results"),
            ]
    return todo


def tree_rss_mib(root_pid):
    """Resident memory of a process and all its descendants, in MiB."""
    parents, rss = {}, {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as stat:
                parents[int(name)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{name}/status") as status:
                rss[int(name)] = next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
        except (OSError, ValueError, IndexError):
            continue
    family, grew = {root_pid}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in family} - family
        family |= more
        grew = bool(more)
    return sum(rss.get(pid, 0) for pid in family) / 1024


def run_measured(command):
    """(seconds, peak MiB of the process tree) of one run."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    peak = [0.0]

    def sample():
        while process.poll() is None:
            peak[0] = max(peak[0], tree_rss_mib(process.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    code = process.wait()
    seconds = time.perf_counter() - started
    sampler.join()
    if code != 0:
        raise SystemExit(f"{' '.join(command)} failed ({code})")
    return seconds, peak[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--homework", action="append", choices=homeworks.homework_ids(),
                        help="only this homework (repeat for more; all of them by default)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        todo = commands(Path(out), args.homework or homeworks.homework_ids())
        times = {name: [] for name in todo}
        peaks = {name: [] for name in todo}
        for _ in range(args.runs):
            for name, command in todo.items():
                seconds, peak = run_measured(command)
                times[name].append(seconds)
                peaks[name].append(peak)
    floor = statistics.median(times['python -c "import torch"'])
    print(f"{args.runs} runs each, medians (peak: largest resident memory of the process tree):")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:46s} {median:6.2f} s   x{median / floor:.2f}   (min {min(values):.2f}, "
              f"max {max(values):.2f})   peak {max(peaks[name]):4.0f} MiB")


if __name__ == "__main__":
    main()
