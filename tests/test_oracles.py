"""The torch results a numpy homework's graders compare with, stored ahead (oracles.json): torch's
own results, found by grading without loading torch, and computed when missing."""

import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import SOLUTIONS, total
from rnnkit import homeworks
from rnnkit.release.oracles import record, table_path
from rnnkit_testing import oracles

NUMPY_HOMEWORKS = [i for i in homeworks.homework_ids() if not homeworks.load(i).graders_use_torch]

# `rnnkit grade ...` in this process, then whether torch was ever imported in it.
GRADE_AND_REPORT_TORCH = """
import runpy, sys
sys.argv = ["rnnkit", *sys.argv[1:]]
try:
    runpy.run_module("rnnkit", run_name="__main__", alter_sys=True)
except SystemExit as end:
    assert not end.code, end.code
print("torch imported:", "torch" in sys.modules)
"""


def test_the_numpy_homeworks_have_tables():
    assert NUMPY_HOMEWORKS == ["hw1_rnn_cell", "hw2_lstm_gates"]
    assert all(table_path(homeworks.load(i)).is_file() for i in NUMPY_HOMEWORKS)


@pytest.mark.parametrize("homework_id", NUMPY_HOMEWORKS)
def test_every_stored_result_is_what_torch_computes(homework_id):
    """Torch computes every entry again (the graders on the reference, nothing read from the
    table), and the stored value agrees up to rounding: the table is neither stale nor holds
    anything of its own."""
    homework = homeworks.load(homework_id)
    stored = json.loads(table_path(homework).read_text())
    computed = record(homework)
    assert sorted(stored) == sorted(computed), "oracles.json is stale: run `rnnkit release`"
    differ = [key for key in stored
              if not oracles.same_result(oracles.decode(stored[key]), oracles.decode(computed[key]))]
    assert not differ, f"stored results that torch no longer computes: {differ[:5]}"


@pytest.mark.parametrize("homework_id", NUMPY_HOMEWORKS)
def test_grading_finds_every_result_and_never_imports_torch(homework_id, tmp_path):
    homework = homeworks.load(homework_id)
    proc = subprocess.run(
        [sys.executable, "-c", GRADE_AND_REPORT_TORCH, "grade", homework_id,
         str(SOLUTIONS / homework_id / f"{homework.module}.py"), "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "torch imported: False" in proc.stdout, proc.stdout[-2000:]
    results = json.loads((tmp_path / "results.json").read_text())
    score, max_score = total(results)
    assert score == max_score > 0
    assert "oracles_not_stored" not in results["extra_data"]


ORACLE_MODULE = '''
from rnnkit_testing import oracle

calls = []


@oracle
def double(x, scale=2.0):
    calls.append(x)
    return x * scale, [x.sum()]
'''


@pytest.fixture
def oracle_module(tmp_path, monkeypatch):
    """A module of one @oracle, imported from a folder of its own (the table goes beside it)."""
    (tmp_path / "some_oracles.py").write_text(ORACLE_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    import some_oracles

    yield some_oracles
    sys.modules.pop("some_oracles")


def test_a_stored_result_is_found_and_a_missing_one_computed(oracle_module, tmp_path):
    x = np.arange(6.0).reshape(2, 3)
    with oracles.recording() as entries:
        oracle_module.double(x)
    (tmp_path / oracles.TABLE).write_text(oracles.dumps(entries))
    oracle_module.calls.clear()
    oracles.take_misses()

    found = oracle_module.double(x.copy(), scale=2.0)  # the same data, however it is passed
    assert oracle_module.calls == [] and oracles.take_misses() == []
    assert isinstance(found, tuple) and found[0].dtype == np.float64 and found[0].flags.writeable
    assert oracles.same_result(found, (x * 2, [x.sum()]))

    other = oracle_module.double(x + 1)  # not stored: computed, and named as a miss
    assert len(oracle_module.calls) == 1 and oracles.take_misses() == ["some_oracles.double"]
    assert oracles.same_result(other, ((x + 1) * 2, [(x + 1).sum()]))
    oracle_module.double(x + 1)  # computed once per process
    assert len(oracle_module.calls) == 1


def test_the_table_is_the_same_bytes_for_the_same_results():
    entries = {"b 1": oracles.encode((np.array([0.1, -0.0]), [3, 1.5])), "a 2": oracles.encode(np.eye(2))}
    text = oracles.dumps(entries)
    assert text == oracles.dumps(dict(reversed(list(entries.items()))))
    assert text.splitlines()[1].startswith('"a 2": ')  # one entry a line, in key order
    assert oracles.same_result(oracles.decode(json.loads(text)["b 1"]), (np.array([0.1, -0.0]), [3, 1.5]))
