"""Frames on a pipe, read the same way at both ends: the grader reading the worker's replies, the
worker reading the grader's calls.

A frame is a 4-byte length and a JSON payload (see ``protocol.py``). The payload is read into one
buffer, a chunk at a time, never joined from pieces. The grader's end reads with a deadline and a
size cap, and checks the sandbox's disk while it waits; the worker's end simply blocks.

Copied into the sandbox beside ``protocol.py`` and ``worker.py``; it imports nothing else.
"""

import contextlib
import os
import selectors
import time

if __package__:  # in the kit
    from rnnkit import protocol
else:  # in the sandbox, beside protocol.py
    import protocol

CHUNK = 1 << 20


class ReplyTooLarge(Exception):
    """A frame bigger than the reader may take: it was read and dropped, not kept."""

    def __init__(self, size):
        super().__init__(size)
        self.size = size


class FrameReader:
    """Reads frames from ``fd``. ``on_idle`` is called every ``idle_seconds`` while nothing
    arrives (and after a dropped frame); it may raise to stop the wait."""

    def __init__(self, fd, on_idle=None, idle_seconds=0.1):
        self.fd = fd
        self.on_idle = on_idle
        self.idle_seconds = idle_seconds

    def read_payload(self, deadline=None, max_bytes=None):
        """The next frame's payload. Raises EOFError (the other end is gone), TimeoutError (past
        ``deadline``, a time.monotonic() value), ProtocolError (a frame beyond the protocol's
        maximum) or ReplyTooLarge (beyond ``max_bytes``: the frame is read and dropped)."""
        length = protocol.frame_length(self._read(protocol.HEADER_SIZE, deadline))
        if max_bytes is not None and length > max_bytes:
            left = length
            while left:  # drop it a chunk at a time, so that the next frame can be read
                chunk = min(left, CHUNK)
                self._read(chunk, deadline)
                left -= chunk
            raise ReplyTooLarge(length)
        return self._read(length, deadline)

    def _read(self, size, deadline):
        data, got = bytearray(size), 0
        view = memoryview(data)
        waits = deadline is not None or self.on_idle is not None
        with selectors.DefaultSelector() if waits else contextlib.nullcontext() as selector:
            if waits:
                selector.register(self.fd, selectors.EVENT_READ)
            while got < size:
                if waits:
                    wait = self.idle_seconds
                    if deadline is not None:
                        wait = deadline - time.monotonic()
                        if wait <= 0:
                            raise TimeoutError
                        wait = min(wait, self.idle_seconds)
                    if not selector.select(wait):
                        if self.on_idle:
                            self.on_idle()  # a long call: is it filling the disk?
                        continue
                count = os.readv(self.fd, [view[got : got + CHUNK]])  # the worker's end blocks here
                if not count:
                    raise EOFError
                got += count
        return data
