"""A seccomp filter for the sandbox: the walls that hold without namespaces and without Landlock.

Standard library only: ``jail.py`` imports it before anything else is set up. A filter is a small
classic-BPF program the kernel runs on every system call; it needs ``no_new_privs`` (set by the
jail) but no privilege, so it works as root without CAP_SYS_ADMIN (Gradescope's Docker) and as an
ordinary user alike. What it refuses, and why:

* ``socket``: no network of any kind (TCP, UDP, raw, netlink, UNIX sockets by path or abstract
  name). Landlock closes only TCP, and only from ABI 4. ``socketpair`` stays (multiprocessing).
* ``ptrace``, ``process_vm_*``, ``pidfd_*``: no reading or steering another process.
* ``kill`` of every process (-1) or of the grading process and its ancestors, by pid or process
  group, and the thread-directed variants: the grader survives where Landlock cannot scope
  signals (before ABI 6) and the sandbox runs as the grader's own user.
* System V IPC (shared memory, semaphores, message queues) and POSIX message queues: without an
  IPC namespace they are shared by every sandbox on the machine and outlive the worker (a segment
  left behind holds memory after the sandbox ends), so they fail with ENOSYS, as on a kernel built
  without them. POSIX shared memory and semaphores are files under ``/dev/shm``, counted in the
  disk budget and removed by the grader (``multiprocessing`` uses those).
* ``io_uring_*`` (it performs I/O, connect included, without the system calls above), ``bpf``,
  ``perf_event_open``, ``userfaultfd``, the keyring, and new namespaces and mounts (``unshare``,
  ``setns``, ``mount``..., and ``clone``/``clone3`` with namespace flags).
* Every call of a foreign architecture (32-bit ``int 0x80`` on x86_64, the x32 ABI), whose numbers
  differ and would slip past the checks above.

``deny`` builds the other kind of filter the kit's tests use: fail a few calls, allow the rest
(``tests/without_landlock.py`` makes the Landlock calls fail, as on an older Docker or kernel).
"""

import ctypes
import errno
import os
import struct

# seccomp_data: int nr; u32 arch; u64 instruction_pointer; u64 args[6]
_NR, _ARCH, _ARGS = 0, 4, 16
_LD_ABS, _JA, _JEQ, _JGE, _JSET, _RET = 0x20, 0x05, 0x15, 0x35, 0x45, 0x06
_ALLOW = 0x7FFF0000
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
X32_BIT = 0x40000000
NAMESPACE_FLAGS = 0x7E020000  # CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET

ARCHES = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
SYSCALLS = {
    "x86_64": {
        "socket": 41, "clone": 56, "kill": 62, "ptrace": 101, "rt_sigqueueinfo": 129,
        "pivot_root": 155, "mount": 165, "umount2": 166, "tkill": 200, "tgkill": 234,
        "add_key": 248, "request_key": 249, "keyctl": 250, "unshare": 272, "rt_tgsigqueueinfo": 297,
        "perf_event_open": 298, "setns": 308, "process_vm_readv": 310, "process_vm_writev": 311,
        "bpf": 321, "userfaultfd": 323,
        "shmget": 29, "shmat": 30, "shmctl": 31, "semget": 64, "semop": 65, "semctl": 66, "shmdt": 67,
        "msgget": 68, "msgsnd": 69, "msgrcv": 70, "msgctl": 71, "semtimedop": 220, "mq_open": 240,
        "mq_unlink": 241, "mq_timedsend": 242, "mq_timedreceive": 243, "mq_notify": 244,
        "mq_getsetattr": 245,
    },
    "aarch64": {
        "umount2": 39, "mount": 40, "pivot_root": 41, "unshare": 97, "ptrace": 117, "kill": 129,
        "tkill": 130, "tgkill": 131, "rt_sigqueueinfo": 138, "socket": 198, "add_key": 217,
        "request_key": 218, "keyctl": 219, "clone": 220, "rt_tgsigqueueinfo": 240,
        "perf_event_open": 241, "setns": 268, "process_vm_readv": 270, "process_vm_writev": 271,
        "bpf": 280, "userfaultfd": 282,
        "mq_open": 180, "mq_unlink": 181, "mq_timedsend": 182, "mq_timedreceive": 183, "mq_notify": 184,
        "mq_getsetattr": 185, "msgget": 186, "msgctl": 187, "msgrcv": 188, "msgsnd": 189, "semget": 190,
        "semctl": 191, "semtimedop": 192, "semop": 193, "shmget": 194, "shmctl": 195, "shmat": 196,
        "shmdt": 197,
    },
}
# The newer calls have one number on every architecture.
COMMON = {
    "pidfd_send_signal": 424, "io_uring_setup": 425, "io_uring_enter": 426,
    "io_uring_register": 427, "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431,
    "fsmount": 432, "fspick": 433, "pidfd_open": 434, "clone3": 435, "pidfd_getfd": 438,
    "mount_setattr": 442, "landlock_create_ruleset": 444, "landlock_add_rule": 445,
    "landlock_restrict_self": 446,
}
DENIED = (
    "socket", "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_open", "pidfd_getfd",
    "pidfd_send_signal", "tkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "io_uring_setup",
    "io_uring_enter", "io_uring_register", "bpf", "perf_event_open", "userfaultfd", "keyctl",
    "add_key", "request_key", "unshare", "setns", "mount", "umount2", "pivot_root", "open_tree",
    "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
)
# Neither architecture has the old ipc() multiplexer (32-bit x86 does; its calls are refused whole).
IPC = (
    "shmget", "shmat", "shmctl", "shmdt", "semget", "semop", "semctl", "semtimedop", "msgget",
    "msgsnd", "msgrcv", "msgctl", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive",
    "mq_notify", "mq_getsetattr",
)


class Unsupported(OSError):
    """This machine's architecture has no filter here, or the kernel refused it."""


def _stmt(code, k):
    return (code, 0, 0, k & 0xFFFFFFFF)


def _errno(number):
    return 0x00050000 | number


class _Program:
    """A straight-line BPF program: each check either returns or falls through to the next."""

    def __init__(self, machine):
        if machine not in ARCHES:
            raise Unsupported(errno.ENOSYS, f"no seccomp filter for {machine}")
        self.numbers = {**SYSCALLS[machine], **COMMON}
        self.code = [
            _stmt(_LD_ABS, _ARCH),
            (_JEQ, 1, 0, ARCHES[machine]),
            _stmt(_RET, _errno(errno.ENOSYS)),  # a foreign architecture: nothing at all
            _stmt(_LD_ABS, _NR),
        ]
        if machine == "x86_64":
            self.code += [(_JGE, 0, 1, X32_BIT), _stmt(_RET, _errno(errno.ENOSYS))]

    def refuse(self, name, error=errno.EPERM):
        self.code += [(_JEQ, 0, 1, self.numbers[name]), _stmt(_RET, _errno(error))]

    def refuse_if_arg(self, name, arg, values, error=errno.EPERM):
        """Refuse ``name`` when the low 32 bits of argument ``arg`` are one of ``values``."""
        values = sorted({v & 0xFFFFFFFF for v in values})
        if not values:
            return
        n = len(values)
        self.code.append((_JEQ, 0, n + 3, self.numbers[name]))  # another call: skip this block
        self.code.append(_stmt(_LD_ABS, _ARGS + 8 * arg))
        for i, value in enumerate(values):
            self.code.append((_JEQ, n - i, 0, value))  # a match jumps to the refusal
        self.code.append(_stmt(_JA, 1))  # no match: step over the refusal
        self.code.append(_stmt(_RET, _errno(error)))
        self.code.append(_stmt(_LD_ABS, _NR))

    def refuse_if_flags(self, name, arg, mask, error=errno.EPERM):
        """Refuse ``name`` when argument ``arg`` has any bit of ``mask`` set."""
        self.code += [
            (_JEQ, 0, 3, self.numbers[name]),
            _stmt(_LD_ABS, _ARGS + 8 * arg),
            (_JSET, 0, 1, mask),
            _stmt(_RET, _errno(error)),
            _stmt(_LD_ABS, _NR),
        ]

    def install(self):
        self.code.append(_stmt(_RET, _ALLOW))
        raw = b"".join(struct.pack("HBBI", *instruction) for instruction in self.code)
        buffer = ctypes.create_string_buffer(raw, len(raw))

        class _Fprog(ctypes.Structure):
            _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

        program = _Fprog(len(self.code), ctypes.cast(buffer, ctypes.c_void_p))
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(program), 0, 0) != 0:
            number = ctypes.get_errno()
            raise Unsupported(number, f"seccomp filter refused: {os.strerror(number)}")


def _machine():
    return os.uname().machine


def sandbox_filter(protected_pids):
    """Install the sandbox's filter in this process (inherited by everything it starts).

    ``protected_pids``: the grading process and its ancestors, which the sandbox may not signal
    by pid or by process group."""
    program = _Program(_machine())
    for name in DENIED:
        program.refuse(name)
    for name in IPC:
        program.refuse(name, errno.ENOSYS)
    program.refuse("clone3", errno.ENOSYS)  # its flags sit behind a pointer; libc falls back to clone
    program.refuse_if_flags("clone", 0, NAMESPACE_FLAGS)
    groups = set()
    for pid in protected_pids:
        try:
            groups.add(os.getpgid(pid))
        except OSError:
            pass
    program.refuse_if_arg("kill", 0, [-1, *protected_pids, *(-g for g in groups)])
    program.refuse_if_arg("tgkill", 0, list(protected_pids))
    program.install()


def deny(names, error=errno.EPERM):
    """Install a filter that makes the named calls fail with ``error`` and allows all others."""
    program = _Program(_machine())
    for name in names:
        program.refuse(name, error)
    program.install()
