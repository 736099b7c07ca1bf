"""One jailed worker process: stage its files, start ``jail.py`` with typed settings (or have the
warm zygote fork it, see ``warm.py``), read what walls it got, exchange frames with it, and end it with everything it started and left behind."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rnnkit import protocol

from . import disk, ipc, packages, processes, warm
from .channel import FrameReader, ReplyTooLarge
from .limits import SandboxUnavailable
from .policy import WORKER_ENV
from .settings import JailSettings, ResourceLimits, WorkerSettings
from .users import NOBODY, sandbox_ids

HERE = Path(__file__).resolve().parent
# What the worker imports, copied beside it: standard library, numpy and these.
WORKER_FILES = (HERE / "worker.py", HERE / "channel.py", HERE / "settings.py", HERE.parent / "protocol.py")
_SANDBOX_NOISE = re.compile(r"Error in cpuinfo: ")  # a library on the sandbox, not the student's output


class Worker:
    """One running sandbox process, with its pipes."""

    def __init__(self, spec):
        self.spec = spec
        processes.become_subreaper()
        self.last_reply_cost = 0  # what the last reply costs against the reply budget
        self.stage = Path(tempfile.mkdtemp(prefix="rnnkit-sandbox-", dir=disk.stage_holder()))
        self.stage.chmod(0o711)
        worker_dir = self.stage / "worker"
        worker_dir.mkdir(mode=0o755)
        for source in WORKER_FILES:
            shutil.copy(source, worker_dir / source.name)
            (worker_dir / source.name).chmod(0o644)
        shutil.copytree(spec.submission_dir, self.stage / "submission", symlinks=True)
        (self.stage / "tmp").mkdir()
        (self.stage / "root").mkdir(mode=0o700)
        # The sandbox's own folders: for its uid only (the jail hands them over), never readable by
        # another sandbox that learnt the path (from /proc/PID/cmdline, say).
        for folder in ("submission", "tmp"):
            (self.stage / folder).chmod(0o700)
        self.stderr = tempfile.TemporaryFile()
        self.user = sandbox_ids() if os.geteuid() == 0 else None
        self.watch_shared_tmp = False
        read_only, listable = spec.read_only_paths()
        status_read, status_write = os.pipe()
        walls, refused = spec.package_walls()
        zygote = warm.zygote_for(spec.packages)
        settings = JailSettings(
            namespaces=spec.namespaces and os.geteuid() == 0,
            python=sys.executable,
            worker_dir=str(worker_dir),
            submission_dir=str(self.stage / "submission"),
            tmp_dir=str(self.stage / "tmp"),
            root_dir=str(self.stage / "root"),
            read_only=list(read_only),
            listable=list(listable),
            hidden=[str(p) for p in spec.hidden],
            secrets=spec.secret_samples(),
            blocked_samples=packages.samples_of(walls),
            protected_pids=processes.ancestors(os.getpid()) + ([zygote.pid] if zygote else []),
            user=self.user,
            fallback_user=NOBODY,
            status_fd=status_write,
            disk_mb=spec.limits.disk_mb,
            limits=ResourceLimits(**{
                field: getattr(spec.limits, field)
                for field in ("cpu_seconds", "memory_mb", "data_mb", "processes", "file_mb", "open_files")
            }),
            env=dict(WORKER_ENV),
            worker=WorkerSettings(
                submission_dir=str(self.stage / "submission"), module=spec.module,
                refused_modules=list(refused), allowed_packages=list(spec.packages or []),
            ),
        )
        self.process = None
        if zygote is not None:
            try:
                self.process = zygote.fork(settings.to_json(), self.stderr.fileno(), status_write)
            except SandboxUnavailable:
                pass  # the zygote is gone: a cold start instead
        if self.process is None:
            self.process = subprocess.Popen(
                [sys.executable, "-I", "-S", str(HERE / "jail.py"), settings.to_json()],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.stderr,
                pass_fds=(status_write,),
                start_new_session=True,  # its own process group, so kill() reaches everything
            )
        processes.live_workers.add(self.process.pid)
        self.reader = FrameReader(self.process.stdout.fileno(), on_idle=self.check_disk)
        os.close(status_write)
        with os.fdopen(status_read) as status:
            text = status.read()  # EOF once the jail has exec'd the worker (or died)
        if not text:
            detail = self.stderr_tail()
            self.kill()
            raise SandboxUnavailable(f"the sandbox could not start:\n{detail}")
        status = json.loads(text)
        self.layers = status["layers"]
        if self.user is not None:
            self.user = (status["uid"], status["uid"])  # the jail may have fallen back to nobody
        if status["readable"] and not spec.allow_unsafe:
            self.kill()
            raise SandboxUnavailable(
                "refusing to grade: the sandbox could read files it must never see ("
                + ", ".join(status["readable"])
                + "). On this machine neither namespaces, Landlock nor file permissions hide them. "
                "Make the kit's folders unreadable to the sandbox user (the Gradescope zip's setup.sh "
                "does), or pass --allow-unsafe to grade anyway (see README)."
            )
        # Where nothing else confines its writes, the sandbox user may also fill the shared
        # temporary folders: count those files against its disk budget too.
        self.watch_shared_tmp = self.user is not None and not any(
            layer == "namespaces" or layer.startswith("landlock") for layer in self.layers
        )

    def send(self, message):
        frame = protocol.encode_frame(message)
        self.process.stdin.write(frame)
        self.process.stdin.flush()

    def receive(self, timeout, max_bytes=None):
        """Next reply, or raise TimeoutError / EOFError (the worker died) / ProtocolError /
        DiskLimitExceeded / ReplyTooLarge (it would cost more than ``max_bytes``: it is read and
        dropped, and the worker can be called again). ``last_reply_cost`` says what it cost."""
        try:
            payload = self.reader.read_payload(time.monotonic() + timeout, max_bytes)
        except ReplyTooLarge:
            self.check_disk()
            raise
        self.last_reply_cost = protocol.payload_cost(payload)
        if max_bytes is not None and self.last_reply_cost > max_bytes:
            self.check_disk()
            raise ReplyTooLarge(self.last_reply_cost)
        message = protocol.decode_payload(payload)
        self.check_disk()
        return message

    def disk_used(self):
        budget = disk.MAX_DISK_ENTRIES
        used = 0
        roots = [self.stage / "submission", self.stage / "tmp"]
        if self.watch_shared_tmp:
            roots += disk.entries_owned_by(self.user[0])
        for root in roots:
            if os.path.isdir(root) and not os.path.islink(root):
                size, entries = disk.usage(root, budget)
            else:
                size, entries = disk.usage_of_file(root), 1
            used += size
            budget -= entries
            if budget < 0:
                return float("inf")
        return used

    def check_disk(self):
        if self.disk_used() > self.spec.limits.disk_mb * 1024 * 1024:
            raise disk.DiskLimitExceeded

    def stderr_tail(self, limit=1500):
        """The last of what the worker printed, without what a library says about the sandbox
        itself (torch cannot read /proc/cpuinfo in a container): the student's own output."""
        self.stderr.seek(0, os.SEEK_END)
        size = self.stderr.tell()
        self.stderr.seek(max(0, size - limit))
        lines = self.stderr.read().decode("utf-8", "replace").splitlines()
        return "\n".join(line for line in lines if not _SANDBOX_NOISE.match(line)).strip()

    def exit_description(self):
        try:
            code = self.process.wait(timeout=1)
        except subprocess.TimeoutExpired:  # it closed its end of the pipe but lives on
            return "it closed its connection to the grader"
        if code >= 0:
            return f"exit code {code}"
        if -code == signal.SIGXCPU or -code == signal.SIGKILL:
            return (
                f"killed by {signal.Signals(-code).name} (out of CPU time or memory: limits are "
                f"{self.spec.limits.cpu_seconds} CPU s and {self.spec.limits.data_mb} MB of memory)"
            )
        return f"killed by {signal.Signals(-code).name}"

    def kill(self):
        """End the worker and every process it started; remove its files."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()
        processes.live_workers.discard(self.process.pid)
        processes.kill_leftovers()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.stderr.close()
        if self.watch_shared_tmp:
            for path in disk.entries_owned_by(self.user[0]):
                disk.remove(path)
        if self.user is not None and self.user[0] != os.geteuid() and "namespaces" not in getattr(self, "layers", ()):
            # Outside an IPC namespace of its own; its processes are gone, so nothing is attached.
            ipc.remove_sysv_ipc_of(self.user[0])
        shutil.rmtree(self.stage, ignore_errors=True)
