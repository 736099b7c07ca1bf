"""The results.json writer on its own: every collected test is reported with its max_score, and a
failure shows the student a message, never grader internals."""

import pytest

from rnnkit.results import INTERNAL_ERROR, GradescopeResults, GraderError, validate
pytest_plugins = ["pytester"]

GRADERS = '''
import pytest
from rnnkit_testing import StudentCodeError, SubmissionFailed

SECRET = 0.123456

@pytest.fixture
def broken_fixture():
    raise SubmissionFailed("your module could not be imported")

@pytest.mark.points(2)
def test_passes():
    """f: passes"""

@pytest.mark.points(3, visibility="after_due_date")
def test_check_fails():
    """f: a check with a message"""
    raise AssertionError("h_next has shape (3, 4), expected (3, 5): check which weight multiplies x")

@pytest.mark.points(1)
def test_bare_assert_leaks_nothing():
    expected = SECRET
    assert 0.5 == expected

@pytest.mark.points(1)
def test_student_raised():
    raise StudentCodeError("`f` raised ValueError: bad", ["ValueError"], '  File "f.py", line 3, in f\\n')

@pytest.mark.points(1)
def test_setup_fails(broken_fixture):
    pass

@pytest.mark.points(1)
def test_grader_bug():
    {}["missing"]

@pytest.mark.points(1)
def test_skipped():
    pytest.skip("not today")

@pytest.mark.points(1)
def test_teardown_fails(request):
    request.addfinalizer(lambda: (_ for _ in ()).throw(SubmissionFailed("crashed during cleanup")))
'''


@pytest.fixture
def run_graders(pytester):
    def _run(source, *args):
        pytester.makepyfile(test_graders=source)
        pytester.makeini("[pytest]\nmarkers = points\n")
        collector = GradescopeResults()
        pytester.runpytest("--assert=plain", "-p", "no:cacheprovider", *args, plugins=[collector])
        return collector, collector.results(1.0, {})

    return _run


def test_every_test_is_reported_with_a_student_message(run_graders):
    collector, results = run_graders(GRADERS)
    validate(results)
    by_name = {t["name"]: t for t in results["tests"]}
    assert [t["max_score"] for t in results["tests"]] == [2, 3, 1, 1, 1, 1, 1, 1]
    assert [t["number"] for t in results["tests"]] == [f"1.{i}" for i in range(1, 9)]
    assert by_name["f: passes"]["status"] == "passed" and by_name["f: passes"]["score"] == 2
    check = by_name["f: a check with a message"]
    assert check["score"] == 0 and check["visibility"] == "after_due_date"
    assert check["output"].startswith("h_next has shape (3, 4), expected (3, 5)")
    leak = by_name["test_bare_assert_leaks_nothing"]["output"]
    assert "0.123456" not in leak and "SECRET" not in leak
    student = by_name["test_student_raised"]["output"]
    assert "ValueError: bad" in student and 'File "f.py", line 3' in student
    assert by_name["test_setup_fails"]["output"] == "your module could not be imported"
    assert by_name["test_grader_bug"]["output"] == INTERNAL_ERROR
    assert "KeyError" not in by_name["test_grader_bug"]["output"]
    assert "skipped" in by_name["test_skipped"]["output"]
    assert by_name["test_teardown_fails"]["status"] == "failed"
    assert sum(t["score"] for t in results["tests"]) == 2
    # The grader bug is the kit's fault: recorded with its traceback for the instructor.
    assert len(collector.kit_errors) == 1 and "KeyError" in collector.kit_errors[0]


def test_a_test_cut_short_still_counts_as_failed(run_graders):
    _, results = run_graders(GRADERS, "-x")  # stop at the first failure
    validate(results)
    assert len(results["tests"]) == 8
    not_run = [t for t in results["tests"] if t["output"] == "this test did not run"]
    assert not_run and all(t["score"] == 0 for t in not_run)


def test_a_grader_without_points_is_refused(pytester):
    """Nothing runs, and the problem is one line naming the test (no INTERNALERROR traceback)."""
    pytester.makepyfile(test_graders="def test_unweighted():\n    pass\n")
    collector = GradescopeResults()
    result = pytester.runpytest_inprocess(plugins=[collector])
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED and "INTERNALERROR" not in result.stdout.str()
    assert collector.problems == ["test_graders.py::test_unweighted: has no @pytest.mark.points(n)"]
    with pytest.raises(GraderError, match="test_unweighted: has no @pytest.mark.points"):
        collector.raise_grader_problems()


def test_each_case_of_a_parametrized_test_is_named_by_its_case(run_graders):
    _, results = run_graders(
        "import pytest\n\n"
        "@pytest.mark.parametrize('gate', ['forget_gate', 'output_gate'])\n"
        "@pytest.mark.points(1)\n"
        "def test_gate(gate):\n"
        "    '''LSTM gates: each gate'''\n"
        "    assert gate == 'forget_gate'\n"
    )
    validate(results)
    assert [(t["name"], t["status"]) for t in results["tests"]] == [
        ("LSTM gates: each gate [forget_gate]", "passed"),
        ("LSTM gates: each gate [output_gate]", "failed"),
    ]
