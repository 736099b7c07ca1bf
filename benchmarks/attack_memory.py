"""Issue 18's table: one attack of each root cause on the torch homeworks, graded by `rnnkit grade`
in the machine modes of tests/grader_modes.py. (Not part of CI: ~1 min per attack and mode.)

    .venv/bin/python benchmarks/attack_memory.py [--modes namespaces docker-root-no-landlock]

For each attack it prints the score against the reference's, whether results.json is valid and
lists every test, the grading process's own peak RSS (VmHWM, sampled every 50 ms, so a peak
shorter than that can be missed), the wall time, and what was left behind: processes of sandbox
users, System V IPC objects, stage folders it added. Run it alone: a grading beside it adds
its own stage folders while it runs.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jsonschema

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "autograder")]

import grader_modes  # noqa: E402
from conftest import RNNKIT, SOLUTIONS, notebook_text, reference_cells  # noqa: E402
from rnnkit.results import SCHEMA  # noqa: E402
from test_sandbox_isolation import IPC_ATTACK, orphaned_sandbox_processes, sysv_ipc_of_sandboxes  # noqa: E402

MODULES = {"hw3_text_generation": "text_generation", "hw4_seq2seq": "seq2seq"}
HOARD = "import numpy as np\nHOARD = []\nwhile True:\n    HOARD.append(np.ones(2**20))\n"
BIG_REPLY = "\n\ndef build_vocab(*args, **kwargs):\n    return {str(i): 'x' * 2**20 for i in range(15)}\n"
ODD_TYPES = ("\n\ndef build_vocab(*args, **kwargs):\n    return (c for c in 'abc')\n\n"
             "def make_segments(*args, **kwargs):\n    return {1: [None, 'a'], 'b': 2.5}\n")
# Parameter counts and "it learns" read from the student's own reports: a model that reports
# the lecture's layers and a train that reports falling losses, with nothing implemented.
SELF_REPORT_HW3 = """

class CharLSTM(nn.Module):
    def __init__(self, vocab_size, hidden_size=128):
        super().__init__()
        self.lstm = nn.LSTM(vocab_size, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, vocab_size)

    def forward(self, X):
        return torch.zeros(X.shape[0], self.fc.out_features)


def train(model, X, y, epochs=1, batch_size=128, lr=0.01, seed=0):
    return [3.0 / (epoch + 1) for epoch in range(epochs)]
"""
CRAFTED_GENERATOR = """

def sample_next(probs, temperature, rng):
    crafted = np.random.default_rng(0)
    state = crafted.bit_generator.state
    state["state"]["state"] = -1
    state["bit_generator"] = "MT19937"
    return crafted
"""


def module_attack(homework, extra):
    return ("py", (SOLUTIONS / homework / f"{MODULES[homework]}.py").read_text() + extra)


def notebook_attack(homework, *cells):
    return ("ipynb", notebook_text(reference_cells(homework, MODULES[homework], *cells)))


def notebook_bomb(_homework):
    return ("ipynb", '{"cells": [' + ",".join(["{}"] * 6_000_000) + "]}")


ATTACKS = [  # (root cause, attack, homework, builder)
    ("1 shared state", "600 MB of System V shared memory left behind", "hw3_text_generation",
     lambda hw: notebook_attack(hw, IPC_ATTACK)),
    ("2 notebook parsing", "6 million empty cell objects", "hw3_text_generation", notebook_bomb),
    ("2 notebook parsing", "a cell of 1.1 million `!` lines", "hw3_text_generation",
     lambda hw: notebook_attack(hw, "!x\n" * 1_100_000)),
    ("3 replies kept", "15 MB vocabularies (16 MB frames)", "hw3_text_generation",
     lambda hw: module_attack(hw, BIG_REPLY)),
    ("4 odd types", "a generator and a mixed dict", "hw3_text_generation", lambda hw: module_attack(hw, ODD_TYPES)),
    ("5 self-reports", "a model of the right shape that learns nothing", "hw3_text_generation",
     lambda hw: module_attack(hw, SELF_REPORT_HW3)),
    ("6 crafted Generator", "a Generator with a forged state", "hw3_text_generation",
     lambda hw: module_attack(hw, CRAFTED_GENERATOR)),
    ("memory", "a cell that hoards memory", "hw3_text_generation", lambda hw: notebook_attack(hw, HOARD)),
    ("memory", "a cell that hoards memory", "hw4_seq2seq", lambda hw: notebook_attack(hw, HOARD)),
]


def descendants(pid):
    children = {}
    for name in os.listdir("/proc"):
        try:
            if name.isdigit():
                parent = int(Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(name))
        except (OSError, IndexError, ValueError):
            continue
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        todo += children.get(found[-1], [])
    return found


def grading_process_peak(command, env):
    """Run ``command``; return (process, peak VmHWM in MB of the `rnnkit grade` process)."""
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = 0
    while proc.poll() is None:
        for pid in descendants(proc.pid):
            try:
                if b"grade" in Path(f"/proc/{pid}/cmdline").read_bytes() and b"jail.py" not in Path(
                        f"/proc/{pid}/cmdline").read_bytes():
                    status = Path(f"/proc/{pid}/status").read_text()
                    hwm = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
                    peak = max(peak, hwm // 1024)
            except (OSError, StopIteration):
                continue
        time.sleep(0.05)
    proc.output = proc.stdout.read()
    return proc, peak


def leftovers():
    stages = set(Path(tempfile.gettempdir()).glob("rnnkit-stages-*/rnnkit-sandbox-*"))
    return {"processes": len(orphaned_sandbox_processes()), "ipc": len(sysv_ipc_of_sandboxes()), "stages": stages}


def grade(mode, kit, homework, attack, scratch):
    folder = Path(tempfile.mkdtemp(dir=scratch))
    folder.chmod(0o777)
    kind, text = attack
    path = folder / f"{MODULES[homework]}.{kind}"
    path.write_text(text)
    env = dict(os.environ, PYTHONPATH=str(kit / "autograder"))
    command = [*grader_modes.prefix(mode), *RNNKIT, "grade", homework, str(path), "--out", str(folder / "out")]
    started = time.monotonic()
    proc, peak = grading_process_peak(command, env)
    seconds = time.monotonic() - started
    try:
        results = json.loads((folder / "out" / "results.json").read_text())
        jsonschema.validate(results, SCHEMA)
    except (OSError, ValueError, jsonschema.ValidationError) as error:
        return {"exit": proc.returncode, "results": f"INVALID ({type(error).__name__})", "peak": peak,
                "seconds": seconds, "score": None, "tests": 0}
    score = sum(t["score"] for t in results["tests"])
    return {"exit": proc.returncode, "results": "valid", "peak": peak, "seconds": seconds, "score": score,
            "tests": len(results["tests"]), "max": sum(t["max_score"] for t in results["tests"])}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", nargs="*", default=["namespaces", "docker-root-no-landlock"],
                        choices=grader_modes.MODES)
    args = parser.parse_args()
    print("| mode | root cause | attack | hw | score (reference) | exit | results.json, tests | grader peak RSS "
          "| time | left behind |")
    print("|" + "---|" * 10)
    with tempfile.TemporaryDirectory() as scratch:
        Path(scratch).chmod(0o777)
        for mode in args.modes:
            kit = grader_modes.private_kit() if mode.startswith("docker-root") else ROOT
            reference = {hw: grade(mode, kit, hw, ("py", (SOLUTIONS / hw / f"{m}.py").read_text()), scratch)
                         for hw, m in MODULES.items()}
            for hw, found in reference.items():
                print(f"| {mode} | — | the reference | {hw[:3]} | {found['score']:g}/{found['max']:g} | {found['exit']} "
                      f"| {found['results']}, {found['tests']} | {found['peak']} MB | {found['seconds']:.0f} s | — |")
            for cause, label, hw, build in ATTACKS:
                before = leftovers()["stages"]  # a killed run of another day may have left some
                found = grade(mode, kit, hw, build(hw), scratch)
                score = "—" if found["score"] is None else f"{found['score']:g}"
                left = leftovers()
                left["stages"] = len(left["stages"] - before)
                print(f"| {mode} | {cause} | {label} | {hw[:3]} | {score} ({reference[hw]['score']:g}) | {found['exit']} "
                      f"| {found['results']}, {found['tests']} | {found['peak']} MB | {found['seconds']:.0f} s "
                      f"| {', '.join(f'{v} {k}' for k, v in left.items() if v) or 'nothing'} |", flush=True)


if __name__ == "__main__":
    main()
