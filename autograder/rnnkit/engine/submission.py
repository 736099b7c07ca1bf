"""Turn what a student handed in (a .py file, a notebook, a folder or a .zip) into a clean folder to grade.

A notebook (``<module>.ipynb``) becomes ``<module>.py`` that runs its code cells (see notebook.py).
In a folder or a zip, the student's work is found among the files that could be it (``_choose``):
what answers nothing beyond the released stub is not their work, and the results say which file
was graded and which were ignored.

The grader may be root and the submission is untrusted, so no symbolic link is ever followed: a
link where a file or folder should be is refused or skipped, never read through.
"""

import os
import shutil
import zipfile
from pathlib import Path, PurePosixPath

from rnnkit.engine.notebook import NotebookProblem, read_file, write_module

MAX_FILES = 200
MAX_BYTES = 20 * 1024 * 1024
SKIPPED_DIRS = {"__MACOSX", "__pycache__", ".git", ".ipynb_checkpoints"}


class SubmissionProblem(Exception):
    """Something wrong with the submission itself; the student is told, every test fails."""


def _extract_zip(archive, destination):
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = [m for m in bundle.infolist() if not m.is_dir()]
            if len(members) > MAX_FILES:
                raise SubmissionProblem(f"the zip holds {len(members)} files; at most {MAX_FILES} are accepted")
            if sum(m.file_size for m in members) > MAX_BYTES:
                raise SubmissionProblem("the zip unpacks to more than 20 MB")
            for member in members:
                name = PurePosixPath(member.filename)
                if name.is_absolute() or ".." in name.parts or (member.external_attr >> 28) == 0o12:
                    raise SubmissionProblem(f"the zip holds an unsafe path: {member.filename}")
                target = destination.joinpath(*name.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with bundle.open(member) as source, open(target, "wb") as sink:
                    shutil.copyfileobj(source, sink)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as error:
        raise SubmissionProblem(f"the zip file could not be read ({error})") from None


def _walk(folder):
    """Every regular file under ``folder`` (relative paths), skipping links and hidden or tool folders."""
    for parent, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(names):
            path = Path(parent, name)
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(folder)


def _copy_file(source, target):
    """Copy without following a link at ``source`` (O_NOFOLLOW), so a swapped-in link fails."""
    descriptor = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(descriptor, "rb") as reader, open(target, "wb") as writer:
        shutil.copyfileobj(reader, writer)


def _copy_python_files(source_dir, destination, leave_out=()):
    for path in sorted(source_dir.iterdir()):
        if path.suffix == ".py" and path.is_file() and not path.is_symlink() and path.name not in leave_out:
            _copy_file(path, destination / path.name)


def _read_bytes(path):
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(descriptor, "rb") as reader:
        data = reader.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise SubmissionProblem(f"{path.name} is larger than 20 MB")
    return data


class _Candidate:
    """A file that may hold the student's work, read (in a bounded child) once, when needed."""

    def __init__(self, root, relative, given):
        self.path, self.relative, self.given = root / relative, relative, given
        self.kind = "ipynb" if relative.suffix == ".ipynb" else "py"
        self._reading = None

    @property
    def name(self):
        return self.relative.as_posix()

    def reading(self):
        if self._reading is None:
            try:
                self._reading = read_file(_read_bytes(self.path), self.kind, self.relative.name, self.given)
            except NotebookProblem as problem:
                self._reading = {"problem": str(problem), "answered": []}
        return self._reading

    def answered(self):
        return bool(self.reading()["answered"])


def _stage_notebook(candidate, destination, filename, notebook_seconds):
    """Write the module made from the notebook; raise SubmissionProblem when it cannot be read."""
    reading = candidate.reading()
    if "problem" in reading:
        raise SubmissionProblem(reading["problem"])
    write_module(reading, candidate.relative.name, destination, filename, notebook_seconds)


def _choose(files, module, given):
    """(the candidate to grade, [(ignored file, why)]) among a folder's files; None when no file
    can stand for the module. The rules, in order:

    1. a file named after the module that answers something (beyond the released stub): the
       notebook wins over the .py (the stub, or a helper, often lies beside it);
    2. else a renamed notebook that answers something (Jupyter's "Copy of", "(1)", ...);
    3. else a single other .py that answers something, graded as the module (a renamed copy);
    4. else the file named after the module, unanswered (it gets its zero, and says why).
    Shallower files first, then by name, so the same hand-in is graded the same way anywhere."""
    assignment_files = {"conftest.py", f"test_public_{module}.py"}
    order = sorted(files, key=lambda c: (len(c.relative.parts), c.name))
    named = [c for c in order if c.relative.name in (f"{module}.ipynb", f"{module}.py")]
    named.sort(key=lambda c: (c.kind != "ipynb", len(c.relative.parts), c.name))
    notebooks = [c for c in order if c.kind == "ipynb" and c not in named]
    helpers = [c for c in order if c.kind == "py" and c not in named and c.relative.name not in assignment_files
               and "rnnkit_testing" not in c.relative.parts[:-1]]  # the checks package that came with the homework
    ignored = []

    def unanswered(candidate):
        why = candidate.reading().get("problem") or "it answers none of the homework's functions"
        ignored.append((candidate, why))

    def chosen(candidate):
        seen = {c for c, _ in ignored}
        others = [c for c in named + notebooks if c is not candidate and c not in seen]
        return candidate, ignored + [(c, f"{candidate.name} is graded instead") for c in others]

    for candidate in named:
        if candidate.answered():
            return chosen(candidate)
        unanswered(candidate)
    for candidate in notebooks[:20]:
        if candidate.answered():
            return chosen(candidate)
        unanswered(candidate)
    answering = [c for c in helpers[:20] if c.answered()]
    if len(answering) == 1 and not named:
        return answering[0], ignored
    if len(answering) > 1 and not named:
        listed = ", ".join(c.name for c in answering)
        raise SubmissionProblem(
            f"{module}.py was not found in your submission, and it holds several Python files "
            f"({listed}): name the one to grade {module}.py"
        )
    if named:  # nothing named after the module answers anything: grade it anyway, for its zero
        ignored = [(c, why) for c, why in ignored if c is not named[0]]
        ignored += [(c, f"only a file named {module}.py or {module}.ipynb is graded") for c in answering]
        return named[0], ignored
    for candidate in helpers[:20]:
        unanswered(candidate)
    return None, ignored


def stage(submission, module, destination, notebook_seconds=20, given=()):
    """Put the student's work into ``destination`` as ``<module>.py``, with the Python files
    beside it (their helpers stay importable). A notebook's cells may run for ``notebook_seconds``
    in all; ``given`` names the functions students receive whole (they are no answer).

    Returns a note for the student saying which file was graded and which were ignored, and why;
    raises SubmissionProblem when nothing can be graded."""
    submission, destination = Path(submission), Path(destination)
    filename = f"{module}.py"
    if submission.is_symlink():
        raise SubmissionProblem(f"{submission.name} is a symbolic link; submit the file itself")
    if not submission.exists():
        raise SubmissionProblem(f"nothing was found at {submission}")
    if submission.is_file() and submission.suffix == ".py":
        _copy_file_checked(submission, destination / filename)
        if submission.name != filename:
            return f"Graded {submission.name} as {filename}."
        return f"Graded {filename}."
    if submission.is_file() and submission.suffix == ".ipynb":
        candidate = _Candidate(submission.parent, Path(submission.name), given)
        _stage_notebook(candidate, destination, filename, notebook_seconds)
        return f"Graded the code cells of {submission.name}."
    if submission.is_file() and submission.suffix == ".zip":
        unpacked = destination.parent / "unzipped"
        unpacked.mkdir()
        _extract_zip(submission, unpacked)
        submission = unpacked
    elif submission.is_file():
        raise SubmissionProblem(f"{submission.name} is not a Python file or a notebook: submit {filename}")
    files = [_Candidate(submission, p, given) for p in _walk(submission) if p.suffix in (".py", ".ipynb")]
    chosen, ignored = _choose(files, module, given)
    if chosen is None:
        if ignored:  # Python files or notebooks, none of which is the homework's
            listed = ", ".join(f"{c.name} ({why})" for c, why in ignored[:10])
            raise SubmissionProblem(
                f"{filename} was not found in your submission, and none of its Python files or "
                f"notebooks defines one of the homework's functions: {listed}. Name the file to "
                f"grade {filename} (or {module}.ipynb)"
            )
        seen = [str(p) for p in _walk(submission)][:20]
        raise SubmissionProblem(
            f"{filename} was not found in your submission (files seen: {', '.join(seen) or 'none'})"
        )
    folder = chosen.path.parent
    if chosen.kind == "ipynb":
        _stage_notebook(chosen, destination, filename, notebook_seconds)
        _copy_python_files(folder, destination, leave_out={filename})
        note = f"Graded the code cells of {chosen.name}."
    else:
        _copy_python_files(folder, destination, leave_out={chosen.relative.name})
        _copy_file_checked(chosen.path, destination / filename)
        note = f"Graded {chosen.name}" + (f" as {filename}." if chosen.relative.name != filename else ".")
    if not chosen.answered():
        note += " It answers none of the homework's functions yet (it is the released stub)."
    if ignored:
        note += " Not graded: " + "; ".join(f"{c.name} ({why})" for c, why in ignored[:10]) + "."
    return note


def _copy_file_checked(source, target):
    if source.stat().st_size > MAX_BYTES:
        raise SubmissionProblem(f"{source.name} is larger than 20 MB")
    _copy_file(source, target)
