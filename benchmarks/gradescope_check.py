"""A developer's check of every homework's autograder zip under Gradescope's real conditions.

For each homework it builds the zip twice (the bytes must match), builds its image with gsrun
(``../shared/tools/gsrun``: setup.sh as root on a fresh base image), then grades the reference, the
stub and, for HW1, the hostile suite's submissions twice: in gsrun's container (root without
CAP_SYS_ADMIN, 768 MB, ``--cpus 0.5``; with Landlock and with the Landlock calls failing) and with
``rnnkit autograder-test`` on this machine, and checks that both give every test the same score.
Needs root and Docker (``gsrun up``); not part of CI. Prints one table and writes
``OUT/summary.json``.

    python benchmarks/gradescope_check.py --out /tmp/gscheck [--homework hw1_rnn_cell] [--quick]
"""

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "autograder")]

import test_hostile_submissions as hostile  # noqa: E402  (the suite's own submissions)

GSRUN = ROOT.parent / "shared" / "tools" / "gsrun" / "gsrun"
RNNKIT = [sys.executable, "-m", "rnnkit"]
MODULES = {"hw1_rnn_cell": "rnn_cell", "hw2_lstm_gates": "lstm_gates"}


def hostile_submissions():
    """name -> source of HW1's hostile submissions, as the suite writes them (paths for the container)."""
    cases = {name: source for name, source, _ in hostile.ALL_FAIL}
    cases["spy"] = hostile.SPY.format(
        kit="/autograder/source/kit", grader=hostile.GRADER_FILE, port=9, unix_path="/run/docker.sock",
        out="/autograder/results", sentinel=1,
    )
    cases["hostile_replies"] = hostile.reference_with(hostile.CHANNEL + "".join(
        f"def {name}(*args, **kwargs):\n    _reply({payload})\n" for name, payload in hostile.HOSTILE_REPLIES.items()
    ))
    cases["fork_bomb"] = hostile.reference_with("def output_layer(h, W_hy, b_y):\n    while True:\n        os.fork()\n")
    cases["orphans_and_daemon"] = hostile.reference_with(
        "def output_layer(h, W_hy, b_y):\n"
        "    for _ in range(30):\n"
        "        if os.fork() == 0:\n"
        "            os.setsid()\n"
        "            os.execvp('sleep', ['sleep', '1000'])\n"
        "    os._exit(1)\n"
    )
    cases["disk_filler"] = hostile.reference_with(
        "def clip_grad_norm(grads, max_norm):\n"
        "    for folder in ('.', '/tmp', '/var/tmp', '/dev/shm'):\n"
        "        for i in range(60):\n"
        "            try:\n"
        "                with open(f'{folder}/part{i}', 'wb') as f:\n"
        "                    f.write(b'0' * 10_000_000)\n"
        "            except OSError:\n"
        "                break\n"
    )
    cases["torch_in_numpy_homework"] = hostile.TORCH_IN_A_NUMPY_HOMEWORK
    # The audit's case: every call takes 9.5 s, under the 10 s call limit (45 calls took 430 s).
    cases["slow_calls"] = hostile.reference_with(
        "import time\n"
        "for _name in [n for n, f in list(globals().items()) if callable(f) and n[0] != '_']:\n"
        "    def _slow(*args, _f=globals()[_name], **kwargs):\n"
        "        time.sleep(9.5)\n"
        "        return _f(*args, **kwargs)\n"
        "    globals()[_name] = _slow\n"
    )
    return cases


def scores(results):
    return {t["name"]: t["score"] for t in results.get("tests", [])}


def total(results):
    tests = results.get("tests", [])
    return f"{sum(t['score'] for t in tests):g}/{sum(t['max_score'] for t in tests):g}"


def run(command, **kwargs):
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


def build_zip(homework, out):
    proc = run([*RNNKIT, "autograder", homework, "--out", str(out), "--torch-index", ""], cwd=ROOT)
    if proc.returncode:
        raise SystemExit(proc.stdout + proc.stderr)
    return hashlib.sha256(out.read_bytes()).hexdigest()


def gsrun_grade(tag, submission, out, *flags):
    proc = run([str(GSRUN), "run", tag, str(submission), str(out), "--cpus", "0.5", "-q", *flags])
    record = json.loads((out / "run.json").read_text())
    results = json.loads((out / "results.json").read_text()) if (out / "results.json").exists() else {}
    return proc.returncode, results, record


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--homework", action="append", help="default: every homework")
    parser.add_argument("--quick", action="store_true", help="reference and stub only")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    summary, rows = {"homeworks": {}}, []
    for homework in args.homework or list(MODULES):
        module = MODULES[homework]
        first, second = args.out / f"{homework}.zip", args.out / f"{homework}.again.zip"
        digests = build_zip(homework, first), build_zip(homework, second)
        tag = f"rnnkit-{homework.replace('_', '-')}"
        started = time.monotonic()
        built = run([str(GSRUN), "build", str(first), tag])
        build_record = json.loads(Path(f"/var/lib/gsrun/builds/{tag}/build.json").read_text())
        info = {
            "zip_sha256": digests,
            "reproducible": digests[0] == digests[1],
            "build_ok": built.returncode == 0,
            "build_seconds": round(time.monotonic() - started, 1),
            "setup_sh_seconds": build_record["timings"].get("setup.sh"),
            "image_bytes": build_record.get("image_size"),
        }
        summary["homeworks"][homework] = info
        print(f"{homework}: zip reproducible {info['reproducible']}, image {info['image_bytes'] / 2**30:.2f} GiB, "
              f"build {info['build_seconds']} s (setup.sh {info['setup_sh_seconds']} s)", flush=True)
        if not info["build_ok"]:
            print(built.stdout[-3000:], built.stderr[-3000:])
            continue
        submissions = args.out / "submissions" / homework
        cases = {
            "reference": (ROOT / "solutions" / homework / f"{module}.py").read_text(),
            "stub": (ROOT / "assignments" / homework / f"{module}.py").read_text(),
        }
        if homework == "hw1_rnn_cell" and not args.quick:
            cases.update(hostile_submissions())
        for name, source in cases.items():
            path = submissions / name / f"{module}.py"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(source)
            keep = args.out / "local" / homework / name
            run([*RNNKIT, "autograder-test", str(first), str(path.parent), "--keep", str(keep)], cwd=ROOT)
            local = json.loads((keep / "autograder" / "results" / "results.json").read_text())
            modes = [("landlock", ["--drop-caches"])]
            if name not in ("slow_calls",):
                modes.append(("no-landlock", ["--no-landlock"]))
            for mode, flags in modes:
                code, results, record = gsrun_grade(tag, path.parent, args.out / "gsrun" / homework / name / mode, *flags)
                row = {
                    "homework": homework, "submission": name, "mode": mode,
                    "valid": code == 0, "score": total(results), "local": total(local),
                    "agree": scores(results) == scores(local),
                    "seconds": record["timings"].get("run_autograder"),
                    "peak_mib": round(record["memory"]["peak_usage_bytes_cgroup"] / 2**20),
                    "rss_mib": round(record["memory"]["peak_rss_bytes_sampled"] / 2**20),
                    "oom_kills": record["memory"]["oom_kills"],
                    "sandbox": ",".join(results.get("extra_data", {}).get("sandbox", [])),
                }
                rows.append(row)
                print(" ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    summary["runs"] = rows
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
    bad = [r for r in rows if not (r["valid"] and r["agree"])]
    print(f"{len(rows)} runs, {len(bad)} invalid or disagreeing with autograder-test")
    return 1 if bad or not all(h["reproducible"] for h in summary["homeworks"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
