"""Between the SDK's stdio transport and its dispatcher: a malformed answer still ends its request.

The SDK drops a line it cannot validate. For an answer to one of our requests (an approval
elicitation) that would leave the request waiting forever — and the turn with it. A reply whose
`result` is not an object, or that has neither `result` nor `error`, is turned into an error
reply to the same id, which the approval code reads as a denial.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp.shared.message import SessionMessage
from mcp_types import INVALID_REQUEST, ErrorData, JSONRPCError
from pydantic import ValidationError

log = logging.getLogger(__name__)


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


async def repair_replies(source: Any, sink: MemoryObjectSendStream[SessionMessage | Exception]) -> None:
    """Copy `source` to `sink`, replacing unreadable replies; closes `sink` at the end."""
    async with sink:
        try:
            async for item in source:
                bad = malformed_reply(item) if isinstance(item, Exception) else None
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
