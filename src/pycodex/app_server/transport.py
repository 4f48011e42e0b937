"""Line I/O on stdin/stdout without blocking the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from typing import IO, Protocol

# A line may carry a whole image as a data URL: allow big ones, but not without bound.
MAX_LINE = 64 * 1024 * 1024


class LineTooLong(Exception):
    """A line longer than MAX_LINE was skipped."""


class Transport(Protocol):
    """Where messages come from and go to."""

    async def read_line(self) -> bytes | None:
        """The next line (without its newline); None at end of input."""
        ...

    async def write(self, data: bytes) -> None:
        """Write bytes; raises ConnectionError once the peer is gone."""
        ...

    async def close(self) -> None:
        """Flush and release."""
        ...


class StdioTransport:
    """stdin/stdout as pipes registered with the loop; worker threads for regular files."""

    def __init__(self, stdin: IO[bytes] | None = None, stdout: IO[bytes] | None = None) -> None:
        self._stdin = stdin or sys.stdin.buffer
        self._stdout = stdout or sys.stdout.buffer
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._lines: asyncio.Queue[bytes | None] | None = None
        self._file_out: IO[bytes] | None = None
        self._closed = False

    async def start(self) -> None:
        """Register both ends with the running loop."""
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=MAX_LINE, loop=loop)
        try:
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), self._stdin)
            self._reader = reader
        except (ValueError, OSError):
            # A regular file (or anything epoll refuses) is read by a thread instead.
            self._lines = asyncio.Queue()
            threading.Thread(target=self._read_thread, args=(loop,), daemon=True).start()
        # Our own duplicate of stdout: closing the transport must not close fd 1 under logging.
        out = os.fdopen(os.dup(self._stdout.fileno()), "wb", buffering=0)
        try:
            transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, out)
        except (ValueError, OSError):
            # A regular file (`> answers.jsonl`) cannot be watched: written from a worker thread.
            self._file_out = out
            return
        self._writer = asyncio.StreamWriter(transport, protocol, None, loop)

    def _read_thread(self, loop: asyncio.AbstractEventLoop) -> None:
        assert self._lines is not None
        queue = self._lines
        for line in self._stdin:
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    async def read_line(self) -> bytes | None:
        """The next line; None at end of input. Raises LineTooLong for an oversized one."""
        if self._lines is not None:
            line = await self._lines.get()
            return None if line is None else line.rstrip(b"\r\n")
        assert self._reader is not None
        try:
            line = await self._reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as e:
            return e.partial or None  # the last line may lack its newline
        except asyncio.LimitOverrunError as e:
            await self._discard_rest(e.consumed)
            raise LineTooLong() from e
        return line.rstrip(b"\r\n")

    async def _discard_rest(self, consumed: int) -> None:
        assert self._reader is not None
        await self._reader.readexactly(consumed)
        while True:
            try:
                await self._reader.readuntil(b"\n")
                return
            except asyncio.LimitOverrunError as e:
                await self._reader.readexactly(e.consumed)
            except asyncio.IncompleteReadError:
                return

    async def write(self, data: bytes) -> None:
        """Write and wait for the pipe to take it (back-pressure from a slow client)."""
        if self._file_out is not None and not self._closed:
            # The connection's write lock keeps these in order.
            await asyncio.to_thread(_write_all, self._file_out, data)
            return
        if self._writer is None or self._closed:
            raise ConnectionError("stdout is closed")
        self._writer.write(data)
        await self._writer.drain()

    async def close(self) -> None:
        """Close our end of stdout."""
        if self._file_out is not None and not self._closed:
            self._closed = True
            with contextlib.suppress(OSError):
                await asyncio.to_thread(self._file_out.close)
        if self._writer is not None and not self._closed:
            self._closed = True
            with contextlib.suppress(ConnectionError, OSError):
                await self._writer.drain()
            self._writer.close()


def _write_all(out: IO[bytes], data: bytes) -> None:
    """An unbuffered write may take part of the bytes: write until all are."""
    view = memoryview(data)
    while view:
        view = view[out.write(view) or 0:]
