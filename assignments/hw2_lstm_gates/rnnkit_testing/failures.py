"""How a test fails, as the student reads it: the kinds of failure that cross from the student's
code (or the sandbox) to the tests, and the one message each becomes."""


class StudentCodeError(Exception):
    """The student's function raised while the autograder called it in the sandbox.

    ``type_names`` lists the exception's class and its bases (``["ValueError", "Exception", ...]``)
    so that ``assert_raises`` can check the kind of error without the real class crossing over.
    """

    def __init__(self, message, type_names=(), student_traceback=""):
        super().__init__(message)
        self.type_names = list(type_names)
        self.student_traceback = student_traceback


class ValueMismatch(AssertionError):
    """A check found values that differ from the reference (of the right type and shape): the one
    kind of failure that a bug in a function this one builds on causes too."""


class SubmissionFailed(Exception):
    """Raised by the autograder when the submission could not answer at all: it did not import,
    crashed, hung, or sent back something unreadable. Checks let it through untouched."""


class SubmissionStopped(SubmissionFailed):
    """The whole submission stopped answering (it could not be found or imported, or it used up
    its time budget): every later test fails with this same message, which names the real cause,
    so no test's message is redirected to another test."""


def failure_message(error):
    """What a student reads for a test that failed with ``error``: the check's own message, or
    their code's exception with its traceback trimmed to their files. None when the failure is
    the test's own fault (any other exception): then there is nothing for the student to read."""
    if isinstance(error, AssertionError):
        # Keep the check's own message. A bare `assert` carries no message with --assert=plain, but
        # where pytest rewrote it anyway the explanation it appends, from an "assert ..." line on,
        # would show the values compared: drop it.
        lines = str(error).splitlines()
        cut = next((i for i, line in enumerate(lines) if line.startswith("assert ")), len(lines))
        return "\n".join(lines[:cut]).strip() or "a check failed (no message)"
    if isinstance(error, StudentCodeError):
        trace = error.student_traceback.rstrip()
        if trace:
            return f"{error}\n\nWhere (your code, most recent call last):\n{trace}"
        return str(error)
    if isinstance(error, SubmissionFailed):
        return str(error)
    return None
