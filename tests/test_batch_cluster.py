"""grade-export --scheduler: a Dask cluster's workers grade as the local pool does (the same
grades.csv, byte for byte), each warms up once, and a worker lost mid-submission costs a retry,
not a grade."""

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import threading
import time

import dask
import pytest
from distributed import Client, LocalCluster

from conftest import RNNKIT, ROOT
from rnnkit.batch import cluster as batch_cluster
from rnnkit.batch.pool import Task
from rnnkit.sample_class import write_export

# One xdist worker holds the cluster (two worker processes, each importing torch).
pytestmark = pytest.mark.xdist_group("dask-cluster")
# Full marks, the stub, wrong code, a syntax error, a renamed file, a group.
KEEP = [f"submission_{i}" for i in (1100, 1101, 1102, 1106, 1110, 1111)]


@pytest.fixture(scope="module")
def cluster():
    # One retry, as the local pool allows; one submission per worker at a time, so that the worker
    # killed below holds only the submission it is grading.
    with dask.config.set({"distributed.scheduler.allowed-failures": 1, "distributed.scheduler.worker-saturation": 1.0}):
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local:
            with Client(local) as client:
                yield local.scheduler_address, client


@pytest.fixture(scope="module")
def small_class(tmp_path_factory):
    """Six of HW1's sample class, with every record (the others' folders missing: not graded alike)."""
    sample = write_export("hw1_rnn_cell", tmp_path_factory.mktemp("sample") / "hw1_rnn_cell")
    export = tmp_path_factory.mktemp("export") / "export"
    export.mkdir()
    for name in KEEP:
        shutil.copytree(sample / name, export / name)
    shutil.copy(sample / "submission_metadata.yml", export)
    return export


def grade_export(export, out, *where):
    proc = subprocess.run([*RNNKIT, "grade-export", "hw1_rnn_cell", str(export), "--out", str(out), *where],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def results_without_times(out):
    found = {}
    for path in sorted(out.glob("submissions/*/results.json")):
        results = json.loads(path.read_text())
        results.pop("execution_time")
        found[path.parent.name] = results
    return found


def test_the_cluster_grades_as_the_local_pool_and_resumes_alike(cluster, small_class, tmp_path):
    address, client = cluster
    grade_export(small_class, tmp_path / "local", "--workers", "2")
    grade_export(small_class, tmp_path / "dask", "--scheduler", address)
    for name in ("grades.csv", "regrade.csv", "report.html"):
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name
    graded = results_without_times(tmp_path / "dask")
    assert sorted(graded) == KEEP and graded == results_without_times(tmp_path / "local")
    table = (tmp_path / "dask" / "grades.csv").read_text()
    rows = {row["Submission ID"]: row for row in csv.DictReader(io.StringIO(table))}
    assert rows["1100"]["Score"] == rows["1100"]["Max Points"] == "69" and rows["1101"]["Score"] == "0"
    assert sum(row["Status"] == "graded" for row in rows.values()) == len(KEEP)
    # Each worker process loaded and warmed the homework once, and kept it for later submissions.
    assert set(map(tuple, client.run(lambda: sorted(batch_cluster._warm)).values())) == {("hw1_rnn_cell",)}

    (tmp_path / "dask" / "submissions" / "submission_1102" / "results.json").unlink()
    again = grade_export(small_class, tmp_path / "dask", "--scheduler", address)
    assert f"resuming: {len(KEEP) - 1} of {len(KEEP)} submissions already graded" in again
    assert f"[{len(KEEP)}/{len(KEEP)}] submission_1102" in again and again.count("] submission_") == 1
    assert (tmp_path / "dask" / "grades.csv").read_bytes() == (tmp_path / "local" / "grades.csv").read_bytes()


def test_a_lost_worker_costs_a_retry_and_a_stuck_submission_is_not_graded(cluster, tmp_path):
    """The reference's worker is killed (SIGKILL) while grading it: graded again elsewhere, full
    marks. A grading stuck beyond its time ends its worker on every try: recorded as not graded."""
    address, client = cluster
    sources = {"reference": (ROOT / "solutions" / "hw1_rnn_cell" / "rnn_cell.py").read_text(),
               "stuck": "import time\ntime.sleep(60)\n"}  # the sandbox's import timeout is 15 s
    tasks = []
    for key, source in sources.items():
        (tmp_path / key).mkdir()
        (tmp_path / key / "rnn_cell.py").write_text(source)
        tasks.append(Task(key, str(tmp_path / key), str(tmp_path / "out" / key)))
    pool = batch_cluster.ClusterPool(address, "hw1_rnn_cell", task_seconds=5)

    def kill_the_reference_worker():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            holders = [worker for worker, keys in client.processing().items() if any("-reference-" in k for k in keys)]
            if holders:
                os.kill(client.run(os.getpid, workers=holders)[holders[0]], signal.SIGKILL)
                killed.append(holders[0])
                return
            time.sleep(0.05)

    killed = []
    killer = threading.Thread(target=kill_the_reference_worker)
    killer.start()  # while the pool hands the submissions out
    done = {outcome.key: outcome for outcome in pool.run(tasks)}
    killer.join()
    assert killed, "the reference was never given to a worker"
    assert done["reference"].ok and not done["reference"].detail
    results = json.loads((tmp_path / "out" / "reference" / "results.json").read_text())
    assert sum(test["score"] for test in results["tests"]) == 69 and results["extra_data"]["status"] == "graded"
    assert not done["stuck"].ok and "overran 5 s, 2 times" in done["stuck"].detail
    assert not (tmp_path / "out" / "stuck").exists()  # no results came back: grade_export writes its not-graded file


def test_without_dask_the_scheduler_option_says_which_extra_to_install(small_class, tmp_path):
    hidden = tmp_path / "no_dask"
    hidden.mkdir()
    (hidden / "distributed.py").write_text("raise ImportError('No module named distributed')\n")
    proc = subprocess.run(
        [*RNNKIT, "grade-export", "hw1_rnn_cell", str(small_class), "--out", str(tmp_path / "out"),
         "--scheduler", "tcp://127.0.0.1:8786"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(hidden)},
    )
    assert proc.returncode == 2 and proc.stdout.count("\n") == 1, proc.stdout + proc.stderr
    assert "pip install 'rnnkit[cluster]'" in proc.stdout and not (tmp_path / "out" / "submissions").exists()
