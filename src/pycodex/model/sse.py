"""Reading Server-Sent Events off a streaming response, with failures mapped to model errors.

The idle timeout is the request's httpx *read* timeout: it bounds each wait for network data,
costs nothing per event, and (unlike a timer around the whole stream) does not count the time
the consumer spends handling an event, e.g. running a tool while the stream stays open.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from pycodex.model.errors import MalformedStreamError
from pycodex.model.failures import idle_timeout_error, transport_error
from pycodex.protocol.text import may_hold_surrogates, scrub_value

if TYPE_CHECKING:
    import httpx
    from httpx_sse import ServerSentEvent

PREVIEW = 200
# json's C scanner, called directly: json.loads wraps it in a type check, a BOM check and two
# whitespace regex matches, which are half the cost of decoding a small delta event.
_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def malformed_data_error(event: str, data: str, why: str = "not valid JSON") -> MalformedStreamError:
    """A clear error for an SSE `data:` payload we cannot use."""
    preview = data if len(data) <= PREVIEW else data[:PREVIEW] + "…"
    return MalformedStreamError(
        f"malformed SSE data from the model server (event {event or 'message'!r}, {why}): "
        f"{preview!r}"
    )


def parse_data(event: str, data: str) -> dict[str, Any]:
    """One event's JSON object; MalformedStreamError if it is not one."""
    try:
        value, end = _scan(data, 0)
    except (StopIteration, ValueError):
        value, end = None, -1  # leading whitespace, or not JSON: the full decoder decides
    if end != len(data):
        try:
            value = json.loads(data)  # accepts surrounding whitespace; refuses trailing data
        except ValueError:
            raise malformed_data_error(event, data) from None
    if type(value) is not dict:
        raise malformed_data_error(event, data, "not a JSON object")
    if may_hold_surrogates(data):  # a lone `\\ud800` would stop the session at its next write
        cleaned: dict[str, Any] = scrub_value(value)
        return cleaned
    return value


async def iter_sse(response: httpx.Response, idle_seconds: float) -> AsyncIterator[ServerSentEvent]:
    """The response's SSE events; raises RetryableStreamError / MalformedStreamError."""
    from pycodex.model.http import import_httpx

    httpx = import_httpx()
    from httpx_sse import EventSource, SSEError

    try:
        async for sse in EventSource(response).aiter_sse():
            yield sse
    except SSEError:
        raise await _not_a_stream(response) from None
    except httpx.ReadTimeout:
        raise idle_timeout_error(idle_seconds) from None
    except httpx.RequestError as e:
        raise transport_error("", e) from e


async def _not_a_stream(response: httpx.Response) -> MalformedStreamError:
    content_type = response.headers.get("content-type", "")
    try:
        body = (await response.aread())[:PREVIEW].decode("utf-8", errors="replace")
    except Exception:  # the body is only a hint for the message
        body = ""
    return MalformedStreamError(
        "the model server answered with content-type "
        f"{content_type!r} instead of an SSE stream (text/event-stream): {body!r}"
    )
