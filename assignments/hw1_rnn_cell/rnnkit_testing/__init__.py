"""Checks and pytest plumbing shared by the public tests and the hidden graders of rnnkit.

Students get a copy of this package next to their homework, so that ``pytest`` works with only
numpy, torch and pytest installed; the autograder uses the same package, so a public test behaves
the same on a laptop, in ``grader.check`` and on Gradescope.

Every check raises ``AssertionError`` with a message that names the concept that failed. Messages
describe *how* a value is wrong (shape, type, NaN, how many entries differ) and never print the
expected values, so hidden tests cannot be reverse-engineered from their feedback.

One module per job: ``failures`` (how a test fails, and the message that becomes), ``titles``
(what a test is called and about), ``checks`` and ``type_checks`` (values and their types),
``student`` (the student's code as the tests call it), ``oracles`` (the tests' torch results,
stored ahead for the autograder), ``records`` (the one test-record plugin and the students'
report), ``notebook`` (``grader.check`` in a notebook) and ``plugin`` (what a
conftest.py loads with ``pytest_plugins = ["rnnkit_testing"]``: re-exported here for that).
"""

from .checks import (
    PRECISION_SLIP,
    assert_array,
    assert_arrays,
    assert_close,
    assert_finite,
    assert_raises,
    assert_shape,
    assert_tuple,
    assert_unchanged,
)
from .failures import StudentCodeError, SubmissionFailed, SubmissionStopped, ValueMismatch, failure_message
from .notebook import NotebookCheckFailed, check_notebook
from .oracles import lazy_import, oracle
from .plugin import STUDENT, _seed_torch, pytest_configure, rng  # noqa: F401 - pytest finds them here
from .records import PublicTestsReport, TestRecords
from .student import InProcessStudent, StudentObject, reseed
from .titles import test_subject, test_title, tested_function
from .type_checks import (
    assert_dict,
    assert_float_tensor,
    assert_int,
    assert_int_list,
    assert_int_lists,
    assert_int_tensor,
    assert_loads_weights,
    assert_state_dict,
    assert_str,
    assert_str_list,
    assert_tensor,
    assert_type,
    assert_vocab,
)

# pytest would collect test_title and test_subject as tests wherever a test file imports them.
test_title.__test__ = test_subject.__test__ = False
