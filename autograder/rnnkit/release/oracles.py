"""The torch results a numpy homework's graders compare with, worked out ahead: ``oracles.json``
beside the graders (its format and its use: rnnkit_testing/oracles.py).

The graders run here, in this process, on the reference solution (imported, not sandboxed: it is
the kit's own code), with every ``@oracle`` computed by torch and recorded. Which results a test
needs does not depend on the submission: a test's data is seeded by its name, and a diagnosis
looks up what a wrong answer is compared with whether or not the answer is wrong. The kit's trust
tests check that no submission they grade needs a result the table lacks.
"""

import importlib.util
import json

import pytest

from rnnkit.engine import EnginePlugin, run_graders
from rnnkit.errors import KitError
from rnnkit.results import GradescopeResults
from rnnkit_testing import InProcessStudent, oracles


class OracleRecordingFailed(KitError):
    """The reference solution did not pass its graders, so the results recorded on it would be
    missing those of the tests it failed."""


def table_path(homework):
    return homework.graders_dir / oracles.TABLE


def record(homework):
    """{key: stored value} of every oracle the graders call when grading the reference solution."""
    path = homework.solution_dir / f"{homework.module}.py"
    spec = importlib.util.spec_from_file_location(homework.module, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    collector = GradescopeResults(builds_on=homework.builds_on)
    student = InProcessStudent(module, call_timeout=homework.limits.call_timeout)
    with oracles.recording() as entries:
        code = run_graders(homework.graders_dir, plugins=[collector, EnginePlugin(student)])
    failed = [name for name, test in collector.tests.items() if test.get("status") != "passed"]
    if code != pytest.ExitCode.OK or collector.problems or failed:
        detail = "; ".join(collector.problems + failed[:5]) or repr(code)
        raise OracleRecordingFailed(f"{homework.id}: the reference solution fails its graders ({detail})")
    return entries


def table_text(homework):
    """oracles.json as `rnnkit release` writes it: the results recorded now, except that one
    already stored and equal up to rounding keeps its bytes, so that a machine whose BLAS rounds
    differently does not rewrite the file."""
    path = table_path(homework)
    stored = json.loads(path.read_text()) if path.is_file() else {}
    entries = record(homework)
    for key, value in entries.items():
        if key in stored and oracles.same_result(oracles.decode(stored[key]), oracles.decode(value)):
            entries[key] = stored[key]
    return oracles.dumps(entries)
