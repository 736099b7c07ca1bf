"""Turn what a student handed in (a .py file, a notebook, a folder or a .zip) into a clean folder to grade.

A notebook (``<module>.ipynb``) becomes ``<module>.py`` made of its code cells (see notebook.py).

The grader may be root and the submission is untrusted, so no symbolic link is ever followed: a
link where a file or folder should be is refused or skipped, never read through.
"""

import os
import shutil
import zipfile
from pathlib import Path, PurePosixPath

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


def _candidates(folder, filename):
    found = [p for p in _walk(folder) if p.name == filename]
    return sorted(found, key=lambda p: (len(p.parts), str(p)))


def _copy_file(source, target):
    """Copy without following a link at ``source`` (O_NOFOLLOW), so a swapped-in link fails."""
    descriptor = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(descriptor, "rb") as reader, open(target, "wb") as writer:
        shutil.copyfileobj(reader, writer)


def _copy_python_files(source_dir, destination):
    for path in sorted(source_dir.iterdir()):
        if path.suffix == ".py" and path.is_file() and not path.is_symlink():
            _copy_file(path, destination / path.name)


def _stage_notebook(path, destination, filename, notebook_seconds):
    """Write the module made from the notebook at ``path``; return the note for the student."""
    from rnnkit.grade.notebook import NotebookProblem, module_source

    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(descriptor, "rb") as reader:
        data = reader.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise SubmissionProblem(f"{path.name} is larger than 20 MB")
    try:
        source = module_source(data.decode("utf-8", errors="replace"), path.name, notebook_seconds)
    except NotebookProblem as problem:
        raise SubmissionProblem(f"{path.name}: {problem}") from None
    (destination / filename).write_text(source)
    return f"Graded the code cells of {path.name}."


def stage(submission, module, destination, notebook_seconds=20):
    """Copy the submission's Python files into ``destination`` with ``<module>.py`` at its top.
    (A notebook's cells may run for ``notebook_seconds`` in all.)

    Returns a note for the student about what was graded; raises SubmissionProblem when it
    cannot be graded."""
    submission, destination = Path(submission), Path(destination)
    filename = f"{module}.py"
    if submission.is_symlink():
        raise SubmissionProblem(f"{submission.name} is a symbolic link; submit the file itself")
    if not submission.exists():
        raise SubmissionProblem(f"nothing was found at {submission}")
    if submission.is_file() and submission.suffix == ".py":
        if submission.stat().st_size > MAX_BYTES:
            raise SubmissionProblem(f"{submission.name} is larger than 20 MB")
        _copy_file(submission, destination / filename)
        if submission.name != filename:
            return f"Graded {submission.name} as {filename}."
        return f"Graded {filename}."
    if submission.is_file() and submission.suffix == ".ipynb":
        return _stage_notebook(submission, destination, filename, notebook_seconds)
    if submission.is_file() and submission.suffix == ".zip":
        unpacked = destination.parent / "unzipped"
        unpacked.mkdir()
        _extract_zip(submission, unpacked)
        submission = unpacked
    elif submission.is_file():
        raise SubmissionProblem(f"{submission.name} is not a Python file: submit {filename}")
    found = _candidates(submission, filename)
    if found:
        _copy_python_files((submission / found[0]).parent, destination)
        note = f"Graded {found[0].as_posix()}."
        if len(found) > 1:
            note += f" (Also found, not graded: {', '.join(p.as_posix() for p in found[1:])}.)"
        return note
    notebooks = _candidates(submission, f"{module}.ipynb") or [p for p in _walk(submission) if p.suffix == ".ipynb"]
    python_files = [p for p in _walk(submission) if p.suffix == ".py"]
    if notebooks and not python_files:  # a notebook homework handed in as a notebook
        return _stage_notebook(submission / notebooks[0], destination, filename, notebook_seconds)
    # No file has the module's name: a single Python file is graded as the module, as a single
    # renamed .py is; with several, the student is told which ones were seen.
    if len(python_files) == 1:
        _copy_file(submission / python_files[0], destination / filename)
        return f"Graded {python_files[0].as_posix()} as {filename}."
    if python_files:
        listed = ", ".join(p.as_posix() for p in python_files[:20])
        raise SubmissionProblem(
            f"{filename} was not found in your submission, and it holds several Python files "
            f"({listed}): name the one to grade {filename}"
        )
    seen = [str(p) for p in _walk(submission)][:20]
    raise SubmissionProblem(
        f"{filename} was not found in your submission (files seen: {', '.join(seen) or 'none'})"
    )
