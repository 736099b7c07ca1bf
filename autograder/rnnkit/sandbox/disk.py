"""Disk accounting: what a sandbox wrote, in its own folders and in the machine's shared ones;
and the private folder its stage lives in."""

import atexit
import os
import shutil
import tempfile

SHARED_TMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")
MAX_DISK_ENTRIES = 20_000


class DiskLimitExceeded(Exception):
    pass


def usage(path, budget):
    """(bytes allocated, entries) under ``path``, without following links; stops past ``budget`` entries."""
    used, entries, stack = 0, 0, [path]
    while stack and entries <= budget:
        try:
            with os.scandir(stack.pop()) as listing:
                for entry in listing:
                    entries += 1
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    used += info.st_blocks * 512
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
        except OSError:
            continue
    return used, entries


def usage_of_file(path):
    try:
        return os.lstat(path).st_blocks * 512
    except OSError:
        return 0


def entries_owned_by(uid):
    """What the sandbox user left in the machine's shared temporary folders (``/tmp``,
    ``/dev/shm``...): at their top, and at the top of the folders there that anyone may write in
    (``/tmp/.X11-unix``, a ``/dev/shm`` folder left open by another program)."""
    found, folders = [], list(SHARED_TMP_DIRS)
    while folders:
        folder = folders.pop(0)
        try:
            with os.scandir(folder) as listing:
                for entry in listing:
                    info = entry.stat(follow_symlinks=False)
                    if info.st_uid == uid:
                        found.append(entry.path)
                    elif folder in SHARED_TMP_DIRS and entry.is_dir(follow_symlinks=False) and info.st_mode & 0o002:
                        folders.append(entry.path)
        except OSError:
            continue
    return found



_stage_holder_path = None


def stage_holder():
    """The folder this process stages sandboxes in: its own, mode 0711, so that no sandbox can list
    it to find another one's stage (each stage's submission and temporary folders are 0700 and
    owned by their own sandbox's uid besides)."""
    global _stage_holder_path
    if _stage_holder_path is None or not os.path.isdir(_stage_holder_path):
        _stage_holder_path = tempfile.mkdtemp(prefix="rnnkit-stages-")
        os.chmod(_stage_holder_path, 0o711)
        atexit.register(_remove_stage_holder, _stage_holder_path)
    return _stage_holder_path


def _remove_stage_holder(path):
    try:
        os.rmdir(path)  # empty unless a worker is still running: then its own kill() removes it
    except OSError:
        pass


def remove(path):
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
    except OSError:
        pass
