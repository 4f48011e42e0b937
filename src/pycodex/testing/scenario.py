"""Scenario builders for the scripted model server.

A scenario is a list of `Turn`s; each POST to the server consumes the next one. A turn is a
streamed answer made of Responses SSE events (plain dicts, exactly what goes on the wire) and a
few control markers (`stall()`, `delay(ms)`, `drop()`, `raw(data)`), or an HTTP error
(`http_error`). The same turn also answers /chat/completions, translated to Chat chunks.

    turn(reasoning("thinking"), function_call("exec_command", {"cmd": "ls"}, "call_1"),
         completed(input_tokens=100))
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any, overload

Event = dict[str, Any]

# Control markers: keys the wire never uses, so they cannot collide with real events.
STALL_KEY = "__stall__"
DELAY_KEY = "__delay_ms__"
RAW_KEY = "__raw__"
DROP_KEY = "__drop__"
DROP_AFTER_KEY = "__drop_after__"
MARKER_KEYS = frozenset({STALL_KEY, DELAY_KEY, RAW_KEY, DROP_KEY})

_ids = itertools.count(1)


def _next_id(prefix: str) -> str:
    return f"{prefix}_{next(_ids)}"


@dataclass
class Turn:
    """What the server answers to one request: a stream (status 200) or an HTTP error."""

    events: list[Event] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200
    body: str = ""  # the error body when status != 200
    drop_after: int | None = None  # close the connection after this many wire events
    delay_ms: int = 0  # pause between every two events

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form that `scenario_json.turn_from_json` reads back."""
        return {
            "events": self.events,
            "headers": self.headers,
            "status": self.status,
            "body": self.body,
            "drop_after": self.drop_after,
            "delay_ms": self.delay_ms,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Turn:
        """Inverse of to_json (also reads the builder-style JSON format)."""
        from pycodex.testing.scenario_json import turn_from_json

        return turn_from_json(data)


@dataclass(frozen=True)
class Usage:
    """Token counts for `completed`."""

    input_tokens: int = 1000
    output_tokens: int = 10
    cached: int = 0
    reasoning_tokens: int = 0


def _flatten(parts: tuple[Any, ...]) -> list[Event]:
    out: list[Event] = []
    for p in parts:
        if isinstance(p, list | tuple):
            out.extend(_flatten(tuple(p)))
        elif isinstance(p, dict):
            out.append(p)
        else:
            raise TypeError(f"a turn is made of event dicts or lists of them, not {type(p).__name__}")
    return out


def turn(
    *events: Event | list[Event],
    headers: dict[str, str] | None = None,
    delay_ms: int = 0,
    drop_after: int | None = None,
) -> Turn:
    """A streamed answer made of these events (lists are flattened)."""
    flat = _flatten(events)
    for e in [e for e in flat if DROP_AFTER_KEY in e]:
        drop_after = int(e[DROP_AFTER_KEY])
        flat.remove(e)
    return Turn(events=flat, headers=dict(headers or {}), delay_ms=delay_ms, drop_after=drop_after)


# ---- output items ---------------------------------------------------------------------------


def _added(item: Event) -> Event:
    return {"type": "response.output_item.added", "item": item}


def _done(item: Event) -> Event:
    return {"type": "response.output_item.done", "item": item}


def message(text: str, id: str | None = None) -> list[Event]:
    """A complete assistant message, without deltas."""
    return [
        _done(
            {
                "type": "message",
                "id": id or _next_id("msg"),
                "role": "assistant",
                "content": [{"type": "output_text", "text": text}],
            }
        )
    ]


def _split(text: str, n: int) -> list[str]:
    if n <= 1 or not text:
        return [text]
    n = min(n, len(text))
    size, extra = divmod(len(text), n)
    parts, start = [], 0
    for i in range(n):
        end = start + size + (1 if i < extra else 0)
        parts.append(text[start:end])
        start = end
    return parts


def text_deltas(parts: str | list[str], n: int | None = None, id: str | None = None) -> list[Event]:
    """Text streamed as `output_text.delta` events (`n` pieces of a string), then the message."""
    pieces = _split(parts, n or 1) if isinstance(parts, str) else list(parts)
    events: list[Event] = [{"type": "response.output_text.delta", "delta": p} for p in pieces]
    return events + message("".join(pieces), id=id)


def reasoning(summary: str, raw: str | None = None) -> list[Event]:
    """A reasoning item: summary part added, summary deltas (word by word), optional raw text."""
    item: Event = {
        "type": "reasoning",
        "id": _next_id("rs"),
        "summary": [{"type": "summary_text", "text": summary}],
    }
    events: list[Event] = [
        _added({"type": "reasoning", "id": item["id"], "summary": []}),
        {"type": "response.reasoning_summary_part.added", "summary_index": 0},
    ]
    words = summary.split(" ")
    events += [
        {"type": "response.reasoning_summary_text.delta", "delta": w if i == 0 else " " + w}
        for i, w in enumerate(words)
    ]
    if raw is not None:
        events.append({"type": "response.reasoning_text.delta", "delta": raw})
        item["content"] = [{"type": "reasoning_text", "text": raw}]
    return [*events, _done(item)]


def function_call(name: str, arguments: dict[str, Any] | str, call_id: str) -> list[Event]:
    """A function call; `arguments` may be a string, even one that is not JSON."""
    args = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return [
        _done(
            {
                "type": "function_call",
                "id": _next_id("fc"),
                "name": name,
                "arguments": args,
                "call_id": call_id,
            }
        )
    ]


def custom_tool_call(name: str, input: str, call_id: str) -> list[Event]:
    """A freeform (custom) tool call, e.g. apply_patch with the patch text as input."""
    return [
        _done(
            {
                "type": "custom_tool_call",
                "id": _next_id("ctc"),
                "status": "completed",
                "call_id": call_id,
                "name": name,
                "input": input,
            }
        )
    ]


def local_shell_call(
    command: list[str], call_id: str, timeout_ms: int | None = None, workdir: str | None = None
) -> list[Event]:
    """A `local_shell_call` item (codex-mini's shell tool)."""
    action: Event = {"type": "exec", "command": command}
    if timeout_ms is not None:
        action["timeout_ms"] = timeout_ms
    if workdir is not None:
        action["working_directory"] = workdir
    return [
        _done(
            {
                "type": "local_shell_call",
                "id": _next_id("lsh"),
                "call_id": call_id,
                "status": "completed",
                "action": action,
            }
        )
    ]


def web_search_call(
    query: str | None = None,
    id: str | None = None,
    *,
    action: Event | None = None,
    status: str = "completed",
    output_index: int = 0,
) -> list[Event]:
    """A hosted web search as the Responses API streams it: the item added (in progress),
    the search's progress events, then the item done with its status and action.

    `action` defaults to `{"type": "search", "query": query}`; pass e.g.
    `{"type": "open_page", "url": ...}` or `{"type": "find_in_page", "url": ..., "pattern": ...}`.
    """
    item_id = id or _next_id("ws")
    done: Event = {"type": "web_search_call", "id": item_id, "status": status}
    if action is None and query is not None:
        action = {"type": "search", "query": query}
    if action is not None:
        done["action"] = action
    progress = [
        {"type": f"response.web_search_call.{step}", "output_index": output_index, "item_id": item_id}
        for step in ("in_progress", "searching", "completed")
    ]
    added = {"type": "web_search_call", "id": item_id, "status": "in_progress"}
    return [
        {**_added(added), "output_index": output_index},
        *progress,
        {**_done(done), "output_index": output_index},
    ]


# ---- response lifecycle ---------------------------------------------------------------------


def created(response_id: str | None = None) -> Event:
    """response.created."""
    return {"type": "response.created", "response": {"id": response_id or _next_id("resp")}}


def completed(
    usage: Usage | None = None,
    *,
    input_tokens: int | None = None,
    output_tokens: int | None = None,
    cached: int | None = None,
    reasoning_tokens: int | None = None,
    response_id: str | None = None,
) -> Event:
    """response.completed with usage (a Usage, keyword counts, or the defaults)."""
    u = usage or Usage()
    inp = u.input_tokens if input_tokens is None else input_tokens
    out = u.output_tokens if output_tokens is None else output_tokens
    return {
        "type": "response.completed",
        "response": {
            "id": response_id or _next_id("resp"),
            "usage": {
                "input_tokens": inp,
                "input_tokens_details": {"cached_tokens": u.cached if cached is None else cached},
                "output_tokens": out,
                "output_tokens_details": {
                    "reasoning_tokens": u.reasoning_tokens
                    if reasoning_tokens is None
                    else reasoning_tokens
                },
                "total_tokens": inp + out,
            },
        },
    }


def failed(message: str, code: str | None = None) -> Event:
    """response.failed with an error (code e.g. context_length_exceeded, insufficient_quota)."""
    return {
        "type": "response.failed",
        "response": {"id": _next_id("resp"), "error": {"code": code, "message": message}},
    }


def incomplete(reason: str = "max_output_tokens") -> Event:
    """response.incomplete."""
    return {
        "type": "response.incomplete",
        "response": {"id": _next_id("resp"), "incomplete_details": {"reason": reason}},
    }


# ---- control markers ------------------------------------------------------------------------


def stall() -> Event:
    """Hold the stream open here until the client goes away (for idle timeouts, interrupts)."""
    return {STALL_KEY: True}


def delay(ms: int) -> Event:
    """Pause the stream here for `ms` milliseconds."""
    return {DELAY_KEY: int(ms)}


def drop() -> Event:
    """Close the connection here, before response.completed."""
    return {DROP_KEY: True}


def raw(data: str) -> Event:
    """Send `data: <data>` verbatim (e.g. text that is not JSON)."""
    return {RAW_KEY: data}


@overload
def drop_after(turn_or_n: Turn, n: int) -> Turn: ...
@overload
def drop_after(turn_or_n: int, n: None = None) -> Event: ...
def drop_after(turn_or_n: Turn | int, n: int | None = None) -> Turn | Event:
    """Close the connection after n wire events: `drop_after(turn, n)`, or `drop_after(n)` in turn()."""
    if isinstance(turn_or_n, Turn):
        if n is None:
            raise TypeError("drop_after(turn, n) needs n")
        turn_or_n.drop_after = n
        return turn_or_n
    return {DROP_AFTER_KEY: int(turn_or_n)}


# ---- whole-turn answers ---------------------------------------------------------------------


def http_error(status: int, body: str = "", headers: dict[str, str] | None = None) -> Turn:
    """An HTTP error answer (e.g. 400 with a JSON error body, 429 with retry-after)."""
    if not 400 <= status <= 599:
        raise ValueError(f"http_error needs a 4xx or 5xx status, got {status}")
    return Turn(status=status, body=body, headers=dict(headers or {}))


def malformed(*before: Event | list[Event], data: str = "{this is not json") -> Turn:
    """A stream that sends `before`, then a `data:` line that is not JSON."""
    return turn(*before, raw(data))


def rate_limit_headers(
    primary_used: float | None = None,
    primary_window: int | None = None,
    primary_reset: int | None = None,
    primary_reset_at: int | None = None,
    secondary_used: float | None = None,
    secondary_window: int | None = None,
    secondary_reset: int | None = None,
    secondary_reset_at: int | None = None,
) -> dict[str, str]:
    """Codex's `x-codex-{primary,secondary}-*` rate-limit response headers."""
    h: dict[str, str] = {}
    for which, values in (
        ("primary", (primary_used, primary_window, primary_reset, primary_reset_at)),
        ("secondary", (secondary_used, secondary_window, secondary_reset, secondary_reset_at)),
    ):
        names = ("used-percent", "window-minutes", "reset-after-seconds", "reset-at")
        for name, value in zip(names, values, strict=True):
            if value is not None:
                h[f"x-codex-{which}-{name}"] = str(value)
    return h
