"""Around the SDK's stdio transport: stdin read without a blocking thread, and a malformed answer
that still ends its request.

The SDK reads stdin in a worker thread, which a signal cannot interrupt: the server would wait for
the client's next line before it could stop. `StdinLines` reads it through the event loop.

The SDK drops a line it cannot validate. For an answer to one of our requests (an approval
elicitation) that would leave the request waiting forever — and the turn with it. A reply whose
`result` is not an object, or that has neither `result` nor `error`, is turned into an error
reply to the same id, which the approval code reads as a denial. Any other unreadable line is
named on stderr, one line each.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from collections.abc import Mapping
from typing import Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp.shared.message import SessionMessage
from mcp_types import INVALID_REQUEST, ErrorData, JSONRPCError
from pydantic import ValidationError

log = logging.getLogger(__name__)

# A prompt may be long; a line past this is skipped, not buffered without bound.
MAX_LINE = 64 * 1024 * 1024


class StdinLines:
    """stdin as an async iterator of text lines; reads are cancellable (no blocked thread)."""

    def __init__(self, reader: asyncio.StreamReader | None, queue: asyncio.Queue[bytes | None] | None) -> None:
        self._reader = reader
        self._queue = queue

    @classmethod
    async def open(cls) -> StdinLines:
        """Register stdin with the running loop; a regular file is read by a daemon thread."""
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=MAX_LINE, loop=loop)
        try:
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
            return cls(reader, None)
        except (ValueError, OSError):
            queue: asyncio.Queue[bytes | None] = asyncio.Queue()

            def pump() -> None:
                for line in sys.stdin.buffer:
                    loop.call_soon_threadsafe(queue.put_nowait, line)
                loop.call_soon_threadsafe(queue.put_nowait, None)

            threading.Thread(target=pump, daemon=True).start()
            return cls(None, queue)

    def __aiter__(self) -> StdinLines:
        return self

    async def __anext__(self) -> str:
        while True:
            line = await self._next()
            if line is None:
                raise StopAsyncIteration
            if line.strip():  # a blank line is no message, and not worth a warning
                return line.decode("utf-8", errors="replace")

    async def _next(self) -> bytes | None:
        if self._queue is not None:
            return await self._queue.get()
        assert self._reader is not None
        while True:
            try:
                return await self._reader.readuntil(b"\n")
            except asyncio.IncompleteReadError as e:
                return e.partial or None  # the last line may lack its newline
            except asyncio.LimitOverrunError as e:
                log.warning("skipped an input line longer than %d bytes", MAX_LINE)
                await self._skip_line(e.consumed)

    async def _skip_line(self, consumed: int) -> None:
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


def malformed_reply(exc: Exception) -> tuple[str | int, str] | None:
    """The id of a reply the SDK could not read, and what is wrong with it; None if no reply."""
    if not isinstance(exc, ValidationError):
        return None
    for err in exc.errors():
        raw = err.get("input")
        if isinstance(raw, Mapping) and "id" in raw and "method" not in raw and "error" not in raw:
            rid = raw["id"]
            if isinstance(rid, str | int) and not isinstance(rid, bool):
                if "result" not in raw:
                    return rid, "a reply with neither result nor error"
                return rid, f"a reply whose result is {str(raw['result'])[:80]!r}, not an object"
    return None


def unreadable_line(exc: Exception) -> str:
    """What is wrong with an input line the SDK could not read, in one line."""
    if isinstance(exc, ValidationError) and exc.errors():
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            return f"not JSON ({first['msg'].removeprefix('Invalid JSON: ')})"
        if first["type"] == "model_type":
            return "not a JSON object"
        return "not a JSON-RPC request, notification or reply"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


async def repair_replies(source: Any, sink: MemoryObjectSendStream[SessionMessage | Exception]) -> None:
    """Copy `source` to `sink`, replacing unreadable replies; closes `sink` at the end."""
    async with sink:
        try:
            async for item in source:
                bad = malformed_reply(item) if isinstance(item, Exception) else None
                if isinstance(item, Exception) and bad is None:
                    # The SDK would drop it without a word; Codex's server logged each one.
                    log.warning("skipped an input line: %s", unreadable_line(item))
                    continue
                if bad is not None:
                    rid, problem = bad
                    log.warning("request %s: the client sent %s", rid, problem)
                    error = ErrorData(code=INVALID_REQUEST, message=f"unreadable reply: {problem}")
                    item = SessionMessage(JSONRPCError(jsonrpc="2.0", id=rid, error=error))
                await sink.send(item)
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            pass


def repaired_stream() -> tuple[MemoryObjectSendStream[SessionMessage | Exception],
                               MemoryObjectReceiveStream[SessionMessage | Exception]]:
    """The stream pair `repair_replies` writes into and the dispatcher reads from."""
    return anyio.create_memory_object_stream[SessionMessage | Exception](0)
