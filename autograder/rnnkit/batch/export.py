"""Read a Gradescope "Export Submissions" download: the .zip or the folder it unpacks to.

The export holds ``submission_metadata.yml`` and one ``submission_<id>/`` folder per submission.
The YAML is written by Ruby: keys carry colons (``:submitters:``), timestamps are YAML datetimes,
and Ruby classes may appear as tags. Nothing here trusts that shape: every record is read
leniently, and a submission whose record or folder is odd is kept with the reason it cannot be
graded rather than dropped.
"""

import datetime
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from rnnkit.errors import KitError

METADATA = "submission_metadata.yml"
MAX_UNPACKED_BYTES = 2 * 1024**3  # an export is code, not data: a bigger one is not an export


class NotAnExport(KitError, ValueError):
    """The path is not a Gradescope export at all (one clear line for the instructor)."""


@dataclass
class Submitter:
    name: str = ""
    sid: str = ""
    email: str = ""


@dataclass
class ExportedSubmission:
    id: str  # "submission_123", as in the export
    folder: Path | None  # None: the record has no folder
    submitters: list = field(default_factory=list)
    created_at: str = ""
    old_score: float | None = None  # the score Gradescope recorded, for regrade.csv
    problem: str = ""  # why it cannot be graded; "" when it can


class _LenientLoader(yaml.SafeLoader):
    """SafeLoader that reads any tag (``!ruby/object:...``) as the plain value under it."""


def _untagged(loader, suffix, node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_LenientLoader.add_multi_constructor("!", _untagged)
_LenientLoader.add_multi_constructor("tag:", _untagged)


def _key(name):
    """``:submitters:``, ``:submitters`` and ``submitters`` all read as ``submitters``."""
    return str(name).strip().strip(":").strip()


def _plain(value):
    """The YAML value with normalized keys and timestamps as ISO strings."""
    if isinstance(value, dict):
        return {_key(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return value


def _text(value):
    return "" if value is None else str(value).strip()


def _score(value):
    try:
        return None if value is None or value == "" else float(value)
    except (TypeError, ValueError):
        return None


def _submitters(record):
    people = record.get("submitters")
    if isinstance(people, dict):
        people = [people]
    if not isinstance(people, list):
        return []
    return [
        Submitter(_text(p.get("name")), _text(p.get("sid")), _text(p.get("email")))
        for p in people if isinstance(p, dict)
    ]


def _find_root(folder):
    """The folder holding submission_metadata.yml: ``folder`` itself or one level down."""
    if (folder / METADATA).is_file():
        return folder
    candidates = sorted(p.parent for p in folder.glob(f"*/{METADATA}"))
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        raise NotAnExport(f"{folder}: several {METADATA} files ({', '.join(map(str, candidates))})")
    raise NotAnExport(f"{folder}: not a Gradescope export (no {METADATA} in it or one folder down)")


def unpack(zip_path, into):
    """Extract an export .zip into ``into`` safely: no paths outside it, no links, bounded size."""
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as error:
        raise NotAnExport(f"{zip_path}: not a Gradescope export ({error})") from None
    with archive:
        infos = archive.infolist()
        if sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
            raise NotAnExport(f"{zip_path}: unpacks to more than {MAX_UNPACKED_BYTES >> 30} GB")
        root = Path(into).resolve()
        for info in infos:
            target = (root / info.filename).resolve()
            if not target.is_relative_to(root) or stat.S_ISLNK(info.external_attr >> 16):
                continue  # a path that climbs out, or a symlink: never part of a real export
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as source, open(target, "wb") as sink:
                shutil.copyfileobj(source, sink)
    return root


def read_export(path, unpack_into):
    """[ExportedSubmission], sorted by id, for the export at ``path`` (a .zip is unpacked into
    ``unpack_into``). Raises NotAnExport when ``path`` is no export at all."""
    path = Path(path)
    if not path.exists():
        raise NotAnExport(f"{path}: no such file or folder")
    if path.is_file():
        path = unpack(path, unpack_into)
    root = _find_root(path)
    try:
        raw = yaml.load((root / METADATA).read_text(encoding="utf-8", errors="replace"), Loader=_LenientLoader)
    except yaml.YAMLError as error:
        raise NotAnExport(f"{root / METADATA}: not readable YAML ({str(error).splitlines()[0]})") from None
    if not isinstance(raw, dict):
        raise NotAnExport(f"{root / METADATA}: expected a mapping of submissions, got {type(raw).__name__}")
    records = {_key(name): value for name, value in raw.items()}
    folders = {p.name: p for p in root.iterdir() if p.is_dir() and not p.is_symlink() and p.name.startswith("submission_")}
    submissions = []
    for name in sorted(set(records) | set(folders)):
        record = records.get(name)
        record = _plain(record) if isinstance(record, dict) else {}
        folder = folders.get(name)
        submission = ExportedSubmission(
            id=name,
            folder=folder,
            submitters=_submitters(record),
            created_at=_text(record.get("created_at")),
            old_score=_score(record.get("score")),
        )
        if name not in records:
            submission.problem = f"{name}/ has no record in {METADATA}"
        elif folder is None:
            submission.problem = f"the record has no {name}/ folder in the export"
        elif not any(p.is_file() and not p.name.startswith(".") for p in folder.rglob("*")):
            submission.problem = f"{name}/ is empty"  # hidden files (.DS_Store) do not count
        submissions.append(submission)
    return submissions
