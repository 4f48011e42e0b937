"""Scenario builders for the scripted model server: turns made of Responses SSE events."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

STALL = {"__stall__": True}
_ids = itertools.count(1)


@dataclass
class Turn:
    """What the server answers to one request."""

    events: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200
    error_body: str = ""
    drop_after: int | None = None  # close the connection after this many events
    malformed: bool = False
    delay_ms: int = 0  # pause between events

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form (the server CLI's scenario files use it)."""
        return self.__dict__.copy()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Turn:
        """Inverse of to_json."""
        return cls(**data)


def _flatten(parts: tuple[Any, ...]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for p in parts:
        out.extend(p if isinstance(p, list) else [p])
    return out


def turn(*events: Any, headers: dict[str, str] | None = None, delay_ms: int = 0) -> Turn:
    """A successful streamed response made of these events."""
    return Turn(events=_flatten(events), headers=headers or {}, delay_ms=delay_ms)


def _done(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "response.output_item.done", "item": item}


def message(text: str, id: str | None = None) -> list[dict[str, Any]]:
    """A complete assistant message (no deltas)."""
    return [_done({"type": "message", "id": id or f"msg_{next(_ids)}", "role": "assistant",
                   "content": [{"type": "output_text", "text": text}]})]


def text_deltas(parts: list[str] | str, n: int | None = None) -> list[dict[str, Any]]:
    """Text streamed as deltas, then the message item."""
    if isinstance(parts, str):
        size = max(1, len(parts) // (n or 1))
        parts = [parts[i : i + size] for i in range(0, len(parts), size)]
    events = [{"type": "response.output_text.delta", "delta": p} for p in parts]
    return events + message("".join(parts))


def reasoning(summary: str, raw: str | None = None) -> list[dict[str, Any]]:
    """A reasoning item with a streamed summary (and optional raw content)."""
    events: list[dict[str, Any]] = [{"type": "response.reasoning_summary_part.added"}]
    events += [{"type": "response.reasoning_summary_text.delta", "delta": w} for w in summary.split(" ")]
    item: dict[str, Any] = {"type": "reasoning", "id": f"rs_{next(_ids)}",
                            "summary": [{"type": "summary_text", "text": summary}]}
    if raw is not None:
        events.append({"type": "response.reasoning_text.delta", "delta": raw})
        item["content"] = [{"type": "reasoning_text", "text": raw}]
    return [*events, _done(item)]


def function_call(name: str, arguments: dict[str, Any] | str, call_id: str) -> list[dict[str, Any]]:
    """A function call; `arguments` may be raw (invalid) JSON text."""
    args = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return [_done({"type": "function_call", "id": f"fc_{next(_ids)}", "name": name,
                   "arguments": args, "call_id": call_id})]


def custom_tool_call(name: str, input: str, call_id: str) -> list[dict[str, Any]]:
    """A freeform (custom) tool call."""
    return [_done({"type": "custom_tool_call", "id": f"ctc_{next(_ids)}", "status": "completed",
                   "call_id": call_id, "name": name, "input": input})]


def local_shell_call(command: list[str], call_id: str) -> list[dict[str, Any]]:
    """A local_shell_call item."""
    return [_done({"type": "local_shell_call", "call_id": call_id, "status": "completed",
                   "action": {"type": "exec", "command": command}})]


def completed(input_tokens: int = 1000, output_tokens: int = 10, cached: int = 0,
              reasoning_tokens: int = 0, response_id: str | None = None) -> dict[str, Any]:
    """response.completed with usage."""
    return {"type": "response.completed", "response": {
        "id": response_id or f"resp_{next(_ids)}",
        "usage": {"input_tokens": input_tokens, "input_tokens_details": {"cached_tokens": cached},
                  "output_tokens": output_tokens,
                  "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
                  "total_tokens": input_tokens + output_tokens}}}


def failed(message: str, code: str | None = None) -> dict[str, Any]:
    """response.failed with an error."""
    return {"type": "response.failed", "response": {"error": {"code": code, "message": message}}}


def stall() -> dict[str, Any]:
    """Hold the stream open (until the client goes away)."""
    return dict(STALL)


def http_error(status: int, body: str = "", headers: dict[str, str] | None = None) -> Turn:
    """An HTTP error answer instead of a stream."""
    return Turn(status=status, error_body=body, headers=headers or {})


def drop_after(t: Turn, n: int) -> Turn:
    """The turn, but the connection closes after n events (no response.completed)."""
    t.drop_after = n
    return t


def malformed() -> Turn:
    """A stream whose data line is not JSON."""
    return Turn(malformed=True)


def rate_limit_headers(primary_used: float | None = None, primary_window: int | None = None,
                       primary_reset: int | None = None, secondary_used: float | None = None,
                       secondary_window: int | None = None) -> dict[str, str]:
    """Codex's rate-limit response headers."""
    h: dict[str, str] = {}
    for which, used, window, reset in (("primary", primary_used, primary_window, primary_reset),
                                       ("secondary", secondary_used, secondary_window, None)):
        if used is not None:
            h[f"x-codex-{which}-used-percent"] = str(used)
        if window is not None:
            h[f"x-codex-{which}-window-minutes"] = str(window)
        if reset is not None:
            h[f"x-codex-{which}-reset-after-seconds"] = str(reset)
    return h
