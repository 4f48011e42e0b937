"""JSON-RPC 2.0 as Codex's app-server speaks it: no "jsonrpc" member, one message per line.

Pure: a line in, a classified message (or the error to answer) out; a message in, a line out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pycodex.protocol.text import encode_utf8, loads_untrusted

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

RequestId = str | int


@dataclass(frozen=True)
class Request:
    """A call that wants an answer."""

    id: RequestId
    method: str
    params: Any


@dataclass(frozen=True)
class Notification:
    """A call that wants none."""

    method: str
    params: Any


@dataclass(frozen=True)
class Response:
    """The answer to one of our own requests: `result`, or `error` (code, message)."""

    id: RequestId
    result: Any = None
    error: dict[str, Any] | None = None


@dataclass(frozen=True)
class Invalid:
    """A line we cannot take: answer `code`/`message` to `id` (None when it has none)."""

    id: RequestId | None
    code: int
    message: str


Message = Request | Notification | Response | Invalid


class RpcError(Exception):
    """An error answer for the request being handled."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


def parse_line(line: str | bytes) -> Message | None:
    """Classify one line; None for a blank one."""
    if not line.strip():
        return None
    if isinstance(line, bytes):  # else json guesses UTF-16 or -32 and names that codec
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError as e:
            return Invalid(None, PARSE_ERROR, f"parse error: not UTF-8 (invalid byte at offset {e.start})")
    try:
        obj = loads_untrusted(line)
    except (ValueError, UnicodeDecodeError) as e:
        return Invalid(None, PARSE_ERROR, f"parse error: {_first_line(str(e))}")
    except RecursionError:  # nesting deeper than the decoder recurses: bad input, not a crash
        return Invalid(None, PARSE_ERROR, "parse error: nested too deeply")
    return classify(obj)


def classify(obj: Any) -> Message:
    """Classify a decoded JSON value."""
    if not isinstance(obj, dict):
        return Invalid(None, INVALID_REQUEST, "invalid request: a message must be a JSON object")
    raw_id = obj.get("id")
    if raw_id is not None and (isinstance(raw_id, bool) or not isinstance(raw_id, str | int)):
        return Invalid(None, INVALID_REQUEST, "invalid request: id must be a string or an integer")
    rid: RequestId | None = raw_id
    has_id = rid is not None
    method = obj.get("method")
    if method is not None:
        if not isinstance(method, str) or not method:
            return Invalid(rid if has_id else None, INVALID_REQUEST,
                           "invalid request: method must be a non-empty string")
        params = obj.get("params")
        if rid is not None:
            return Request(rid, method, params)
        return Notification(method, params)
    if rid is not None and ("result" in obj or "error" in obj):
        error = obj.get("error")
        if error is not None and not isinstance(error, dict):
            error = {"code": INTERNAL_ERROR, "message": str(error)}
        return Response(rid, obj.get("result"), error)
    return Invalid(rid if has_id else None, INVALID_REQUEST,
                   "invalid request: a message needs a method, or an id with a result or error")


def encode(message: dict[str, Any]) -> bytes:
    """One message as a line."""
    return encode_utf8(json.dumps(message, ensure_ascii=False, separators=(",", ":")) + "\n")


def result_message(rid: RequestId, result: Any) -> dict[str, Any]:
    """A successful answer."""
    return {"id": rid, "result": result}


def error_message(rid: RequestId | None, code: int, message: str, data: Any = None) -> dict[str, Any]:
    """An error answer."""
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"id": rid, "error": error}


def notification_message(method: str, params: Any) -> dict[str, Any]:
    """A notification."""
    return {"method": method, "params": params}


def request_message(rid: RequestId, method: str, params: Any) -> dict[str, Any]:
    """A request from us to the client."""
    return {"id": rid, "method": method, "params": params}


def _first_line(text: str) -> str:
    return text.splitlines()[0] if text else text
