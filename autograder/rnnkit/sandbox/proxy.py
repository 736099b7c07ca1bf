"""The ``student`` fixture in the grading process: a proxy that calls the submission's functions in
a sandboxed worker and survives anything it does.

Attribute access returns a function that sends its arguments to the worker and returns the plain
data that comes back. The worker is started lazily, restarted after a crash or a time-out, and never
trusted: every reply is decoded by ``protocol.decode_value`` and a bad one is the submission's
failure. Expected values stay in this process; only the inputs of each call cross over.
"""

import threading
import time

from rnnkit import protocol
from rnnkit_testing import StudentCodeError, StudentObject, SubmissionFailed, SubmissionStopped

from . import processes
from .channel import ReplyTooLarge
from .disk import DiskLimitExceeded
from .launch import Worker
from .limits import SandboxUnavailable

MAX_FAILURES = 3  # crashes or unreadable replies of one function before it is not called again


class _BackgroundLaunch:
    """A worker being started in a thread: its zygote may still be importing torch, and the
    graders' own imports go on meanwhile."""

    def __init__(self, launch):
        self._worker = self._error = None
        self._thread = threading.Thread(target=self._run, args=(launch,), daemon=True)
        self._thread.start()

    def _run(self, launch):
        try:
            self._worker = launch()
        except BaseException as error:  # noqa: BLE001 - raised again where the worker is needed
            self._error = error

    def result(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._worker


class SandboxStudent:
    """The ``student`` fixture in the grading process: a proxy to the submission's module."""

    _reply_bytes = 0  # what the replies decoded so far cost, against Limits.reply_mb

    def __init__(self, spec, started=None, start_worker=Worker):
        """``started``: when the submission's grading began (time.monotonic()), if earlier than
        now: reading a notebook counts in the submission's time budget too. ``start_worker(spec)``
        starts one worker (``launch.Worker``; a test may hand in another)."""
        self._spec = spec
        self._start_worker = start_worker
        self._worker = None
        self._fatal = None  # a message every later call repeats (import failed, too many crashes)
        self._given_up = {}  # function name -> message: it hung, or crashed too often; not called again
        self._failures = {}  # function name -> crashes and unreadable replies so far
        self._pending = None  # a worker launched by prestart() whose hello is not read yet
        self._unavailable = None  # the kit's own failure to start a sandbox, repeated every call
        self._generation = 0  # workers started so far: a kept object lives only as long as its worker
        self._deadline = None if spec is None else (started or time.monotonic()) + spec.limits.budget_seconds
        self.layers = []
        self.import_failure = None  # the full message when the submission did not import
        self._import_retried = False  # a silent crash at import is tried once more
        self.import_notes = None  # what went wrong while it imported, short of failing (a notebook's cells)

    @classmethod
    def failed(cls, message):
        """A proxy for a submission that cannot be run at all: every call fails with ``message``."""
        proxy = cls(spec=None)
        proxy._fatal = message
        return proxy

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self._call(name, args, kwargs)["value"]

    def call_with_inputs(self, name, *args, **kwargs):
        """Call ``name``; return ``(result, args_after, kwargs_after)`` as the sandbox left them."""
        reply = self._call(name, args, kwargs, return_inputs=True)
        return reply["value"], reply["args"], reply["kwargs"]

    def call_capped(self, name, max_bytes, *args, **kwargs):
        """Call ``name`` for a small result (a scalar, a short string): a reply bigger than
        ``max_bytes`` fails the test instead of being decoded."""
        return self._call(name, args, kwargs, max_bytes=max_bytes)["value"]

    def call_with_warnings(self, name, *args, **kwargs):
        """Call ``name``; return ``(result, warnings)``, the warnings it raised as "Category: message"."""
        reply = self._call(name, args, kwargs, record_warnings=True)
        return reply["value"], reply["warnings"]

    def make(self, name, *args, **kwargs):
        """Call ``name`` (a class, or a function that builds something) and keep what it returns in
        the sandbox; return a ``StudentObject`` handle to it (see rnnkit_testing)."""
        reply = self._call(name, args, kwargs, keep=True)
        generation = self._generation

        def call(method, method_args, method_kwargs):
            if self._generation != generation:
                raise SubmissionFailed(
                    f"the {reply['type']} made by `{name}` was lost when the sandbox restarted after an "
                    "earlier failure, so this test cannot use it"
                )
            return self._call(method, method_args, method_kwargs, handle=reply["handle"], label=f"{name}.{method}")["value"]

        return StudentObject(call, reply["type"], handle=reply["handle"])

    def close(self):
        workers = [self._worker]
        if self._pending is not None:
            try:
                workers.append(self._pending.result())
            except SandboxUnavailable:
                pass
        for worker in workers:
            if worker is not None:
                worker.kill()
        self._worker = self._pending = None
        processes.kill_leftovers()

    # -- internals --

    def prestart(self):
        """Launch the worker now, in the background, so that it boots while the graders are
        imported; its reply is read at the first call (where a sandbox that could not start fails
        that test as a kit error)."""
        if self._fatal is None and self._worker is None and self._pending is None:
            self._pending = _BackgroundLaunch(self._launch)

    def _launch(self):
        try:
            worker = self._start_worker(self._spec)
        except SandboxUnavailable as error:
            self._unavailable = error  # it will not start on a retry either
            raise
        self.layers = worker.layers
        return worker

    def _time_for(self, limit):
        """(seconds this wait may take, whether the budget rather than ``limit`` decides)."""
        left = self._deadline - time.monotonic()
        if left <= 0:
            self._out_of_time()
        return min(limit, left), left < limit

    def _out_of_time(self, name=None):
        budget = f"{self._spec.limits.budget_seconds:g} s"
        stopped = (f"`{name}` was still running when " if name else "") + (
            f"your submission used up its grading time budget of {budget}"
        )
        self._fatal = f"{stopped} (calls that hang or are far too slow); the remaining tests were not run"
        self.close()
        raise SubmissionStopped(self._fatal)

    def _start(self):
        self._generation += 1
        module = f"{self._spec.module}.py"
        brief = None  # one line for each test, when the import fails with the student's own error
        timeout, by_budget = self._time_for(self._spec.limits.import_timeout)
        pending, self._pending = self._pending, None
        worker = pending.result() if pending is not None else self._launch()
        try:
            hello = worker.receive(timeout)
        except TimeoutError:
            if by_budget:
                worker.kill()
                self._out_of_time()
            self._fatal = f"importing {module} did not finish within {self._spec.limits.import_timeout:g} s"
        except DiskLimitExceeded:
            self._fatal = f"importing {module} wrote more than {self._spec.limits.disk_mb} MB to disk"
        except protocol.ProtocolError as error:
            self._fatal = f"importing {module} sent back an unreadable reply ({error})"
        except EOFError:
            tail, description = worker.stderr_tail(), worker.exit_description()
            if not tail and not self._import_retried:
                # Python died without a word: a student's os._exit, or (seen once on a loaded
                # machine) a start that failed for no reason of theirs. One more try tells them apart.
                self._import_retried = True
                worker.kill()
                return self._start()
            self._fatal = f"importing {module} crashed Python ({description})"
            if self._import_retried:
                self._fatal += (
                    ", twice in a row and with no output at all: something the file runs when it is "
                    "imported (its code outside functions) exits or crashes Python"
                )
            if tail:
                self._fatal += f"\n\nLast output:\n{tail}"
        else:
            if hello.get("op") == "ready":
                self._worker = worker
                notes = hello.get("notes")
                if isinstance(notes, list) and self.import_notes is None:  # a notebook's broken cells
                    self.import_notes = [str(note)[:300] for note in notes[:20]]
                return
            if hello.get("op") == "import_error":
                error = str(hello.get("message"))[:2000]
                self._fatal = f"{module} could not be imported: {error}"
                trace = str(hello.get("traceback", "")).rstrip()[:4000]
                if trace:
                    self._fatal += f"\n\nWhere (your code, most recent call last):\n{trace}"
                cause = next((line for line in reversed(error.splitlines()) if line.strip()), "")
                brief = f"{module} could not be imported ({cause.strip()[:300]})"
            else:
                self._fatal = f"importing {module} produced an unexpected reply"
        worker.kill()
        # The whole story once, at the top of the results; each test says why it could not run.
        self.import_failure = self._fatal
        brief = brief or self._fatal.splitlines()[0]
        self._fatal = f"{brief}, so this test could not run; the full message is at the top"
        raise SubmissionStopped(self._fatal)

    def _call(self, name, args, kwargs, return_inputs=False, record_warnings=False, keep=False,
              handle=None, label=None, max_bytes=None):
        """One call in the sandbox: of the function ``name``, or of the method ``name`` of the kept
        object ``handle``; ``keep`` keeps the result there. Failures are counted per ``label``
        (the function's name, or "Maker.method"). A reply costing more than what is left of the
        submission's reply budget, or than ``max_bytes``, fails the call undecoded."""
        if self._unavailable:
            raise self._unavailable
        if self._fatal:
            raise SubmissionStopped(self._fatal)
        label = label or name
        if label in self._given_up:
            raise SubmissionFailed(self._given_up[label])
        if self._worker is None:
            self._start()
        worker = self._worker
        request = {
            "op": "call",
            "name": name,
            "args": protocol.to_plain(list(args), tensors=True),
            "kwargs": protocol.to_plain(dict(kwargs), tensors=True),
            "return_inputs": return_inputs,
            "record_warnings": record_warnings,
        }
        if keep:
            request["keep"] = True
        if handle is not None:
            request["handle"] = handle
        name = label
        timeout, by_budget = self._time_for(self._spec.limits.call_timeout)
        budget = self._spec.limits.reply_mb * 1024 * 1024
        allowed = budget - self._reply_bytes if max_bytes is None else min(max_bytes, budget - self._reply_bytes)
        try:
            worker.send(request)
            reply = worker.receive(timeout, max(0, allowed))
        except ReplyTooLarge as error:
            raise self._too_large(name, error.size, max_bytes) from None
        except TimeoutError:
            self._stop_worker()
            if by_budget:
                self._out_of_time(name)
            self._given_up[name] = (
                f"`{name}` did not return within {self._spec.limits.call_timeout:g} s "
                "(an infinite loop, or far too slow); it is not called again"
            )
            raise SubmissionFailed(self._given_up[name]) from None
        except DiskLimitExceeded:
            raise self._failed(
                name,
                f"`{name}` wrote more than {self._spec.limits.disk_mb} MB to disk (its folder, its "
                "temporary folder and the shared temporary folders count together)",
            ) from None
        except protocol.ProtocolError as error:  # the worker is alive but cannot be trusted: no waiting
            raise self._failed(name, f"`{name}` sent back an unreadable reply ({error})") from None
        except (EOFError, BrokenPipeError):
            message = f"your code crashed Python while running `{name}` ({worker.exit_description()})"
            tail = worker.stderr_tail()
            raise self._failed(name, message, tail) from None
        self._reply_bytes += worker.last_reply_cost
        return self._decode(name, reply, return_inputs, record_warnings)

    def _too_large(self, name, size, max_bytes):
        """The failure of a reply that did not fit (it was dropped unread; the worker lives on)."""
        mb = self._spec.limits.reply_mb
        if max_bytes is not None and size > max_bytes:
            return SubmissionFailed(
                f"`{name}` sent back {size:,} bytes where a small value (at most {max_bytes:,} bytes) "
                "was expected; return only what the function is asked for"
            )
        return SubmissionFailed(
            f"`{name}` sent back {size / 2**20:.1f} MB, more than is left of the {mb} MB your "
            "submission's results may take in all over the grading (the grader keeps them to check "
            "them); this test fails, and so will any later test whose results no longer fit. Return "
            "only what each function is asked for, with no extra copies or oversized arrays"
        )

    def _failed(self, name, message, output=""):
        """Stop the worker after a crash or a forged reply of ``name``; after MAX_FAILURES of them
        ``name`` is not called again (each costs a restart), and the other functions keep theirs."""
        self._stop_worker()
        self._failures[name] = self._failures.get(name, 0) + 1
        if self._failures[name] >= MAX_FAILURES:
            self._given_up[name] = f"{message}\n\nThis happened {MAX_FAILURES} times, so `{name}` is not called again."
        return SubmissionFailed(message + (f"\n\nLast output:\n{output}" if output else ""))

    def _decode(self, name, reply, return_inputs, record_warnings):
        """The reply as {"value", and "args" and "kwargs" or "warnings" when asked for}."""
        op = reply.get("op")
        try:
            if op == "result":
                decoded = {"value": protocol.decode_value(reply.get("value"))}
                if "handle" in reply:  # a kept object: its number there, and its type's name
                    if not isinstance(reply["handle"], int) or isinstance(reply["handle"], bool):
                        raise protocol.ProtocolError("malformed handle")
                    decoded.update(handle=reply["handle"], type=str(reply.get("type", ""))[:200])
                if return_inputs:
                    decoded["args"] = tuple(protocol.decode_value(reply["args"]))
                    decoded["kwargs"] = protocol.decode_value(reply["kwargs"])
                if record_warnings:
                    decoded["warnings"] = [str(w)[:300] for w in reply["warnings"][: protocol.MAX_WARNINGS]]
                return decoded
            if op == "error":
                type_names = [str(n)[:200] for n in reply.get("type_names", [])[:20]]
                message = str(reply.get("message", ""))[:2000]
                raise StudentCodeError(
                    f"`{name}` raised {message}", type_names, str(reply.get("traceback", ""))[:4000]
                )
            if op == "missing":
                raise SubmissionFailed(f"{self._spec.module}.py has no function named `{name}`")
            if op == "protocol_error":
                raise SubmissionFailed(
                    f"`{name}` returned a value that cannot be sent back "
                    f"({str(reply.get('message', ''))[:300]}); return numpy arrays, numbers, tuples or lists"
                )
        except (StudentCodeError, SubmissionFailed):
            raise
        except Exception as error:  # noqa: BLE001 - whatever the reply holds, it is the submission's fault
            detail = str(error) if isinstance(error, protocol.ProtocolError) else type(error).__name__
            raise self._failed(name, f"`{name}` sent back an unreadable reply ({detail})") from None
        raise self._failed(name, f"`{name}` sent back an unexpected reply")

    def _stop_worker(self):
        if self._worker is not None:
            self._worker.kill()
            self._worker = None
