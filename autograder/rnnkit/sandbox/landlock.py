"""Landlock: a kernel-enforced allowlist of readable and writable paths (Linux 5.13+), TCP connect and
bind refused (ABI 4+), signals and abstract UNIX sockets out of the sandbox refused (ABI 6+).

Standard library only: ``jail.py`` imports it. It needs no privilege, so it is the wall that still
hides the graders when the grader is not root.
"""

import ctypes
import os

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def check(result, what):
    """Raise OSError with errno's text when a libc call failed."""
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


_LANDLOCK_SYSCALLS = {"x86_64": (444, 445, 446), "aarch64": (444, 445, 446)}
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1, 2, 4, 8
FS_TRUNCATE, FS_IOCTL_DEV = 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1, 2


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _landlock_fs_rights(abi):
    rights = (1 << 13) - 1  # execute ... make_sym: the ABI 1 set
    if abi >= 2:
        rights |= 1 << 13  # refer
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


def apply(read_only, read_write, listable=(), devices=()):
    """Restrict this process and its children to the given paths (``listable`` folders: their
    entries' names only); returns the ABI or None."""
    numbers = _LANDLOCK_SYSCALLS.get(os.uname().machine)
    if numbers is None:
        return None
    create, add_rule, restrict = numbers
    abi = _libc.syscall(create, None, 0, 1)  # LANDLOCK_CREATE_RULESET_VERSION
    if abi < 1:
        return None
    handled = _landlock_fs_rights(abi)
    attr = _RulesetAttr(handled, NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0,
                        SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = _libc.syscall(create, ctypes.byref(attr), size, 0)
    if ruleset < 0:
        return None
    file_rights = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV
    read_rights = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
    rules = [(path, read_rights) for path in read_only]
    rules += [(path, handled) for path in read_write]
    rules += [(device, FS_READ_FILE | FS_WRITE_FILE) for device in devices]
    rules += [(path, FS_READ_DIR) for path in listable]
    for path, rights in rules:
        if not os.path.exists(path):
            continue
        is_dir = os.path.isdir(path)
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        try:
            rule = _PathBeneath((rights if is_dir else rights & file_rights) & handled, fd)
            check(_libc.syscall(add_rule, ruleset, 1, ctypes.byref(rule), 0), f"landlock rule {path}")
        finally:
            os.close(fd)
    check(_libc.syscall(restrict, ruleset, 0), "landlock_restrict_self")
    os.close(ruleset)
    return abi
