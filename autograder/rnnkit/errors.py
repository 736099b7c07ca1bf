"""The one base of every error an instructor or a TA can fix.

A homework's settings, a grader file, the release markers of a solution, an export, a zip build:
each of their errors subclasses ``KitError``, and the command line catches ``KitError`` once,
prints its one line (which names the file) and exits with status 2. Anything else that escapes
is a bug of the kit, and keeps its traceback.
"""


class KitError(Exception):
    """A problem in what the course team gave the kit, explained in one line."""
