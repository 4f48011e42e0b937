"""Scenarios from JSON files and built-in names, for the server CLI and other processes.

File format: `{"turns": [TURN, ...]}` or just `[TURN, ...]`, where

    TURN  = {"events": [EVENT, ...], "headers": {...}, "delay_ms": N, "drop_after": N}
          | {"http_error": {"status": 429, "body": "...", "headers": {...}}}
          | {"malformed": "data that is not JSON", "events": [EVENT, ...]}
    EVENT = {"message": "text", "id": "msg_1"}
          | {"text_deltas": "text" | ["a", "b"], "n": 5}
          | {"reasoning": "summary", "raw": "raw reasoning"}
          | {"function_call": {"name": "...", "arguments": {...} | "...", "call_id": "..."}}
          | {"custom_tool_call": {"name": "...", "input": "...", "call_id": "..."}}
          | {"local_shell_call": {"command": ["ls"], "call_id": "..."}}
          | {"web_search_call": "query"}
          | {"web_search_call": {"query": "...", "id": "ws_1", "action": {...}, "status": "..."}}
          | {"completed": {"input_tokens": 1, "output_tokens": 2, "cached": 0,
                           "reasoning_tokens": 0, "response_id": "..."}} | "completed"
          | {"failed": {"message": "...", "code": "..."}}
          | {"delay_ms": 100} | {"raw": "data line"} | "stall" | "drop" | "created"
          | {"type": "response....", ...}    (a Responses SSE event, sent as is)

Built-in names: `demo`, `answer`, `deltas:N` (one answer in N deltas), `calls:N` (N requests
each running `true`, then an answer).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pycodex.testing import scenario as sc
from pycodex.testing.scenario import MARKER_KEYS, Event, Turn


class ScenarioError(ValueError):
    """A scenario file or name that cannot be used; the message says where and why."""


def _obj(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ScenarioError(f"{what} must be an object, got {type(value).__name__}")
    return value


def _completed(v: Any) -> list[Event]:
    args = {} if v is True or v is None else _obj(v, "completed")
    return [sc.completed(**args)]


_SIMPLE: dict[str, Callable[[], Event]] = {
    "stall": sc.stall,
    "drop": sc.drop,
    "created": sc.created,
    "completed": sc.completed,
}

_BUILDERS: dict[str, Callable[[Any, dict[str, Any]], list[Event]]] = {
    "message": lambda v, e: sc.message(str(v), id=e.get("id")),
    "text_deltas": lambda v, e: sc.text_deltas(v, n=e.get("n"), id=e.get("id")),
    "reasoning": lambda v, e: sc.reasoning(str(v), raw=e.get("raw")),
    "function_call": lambda v, e: sc.function_call(**_obj(v, "function_call")),
    "custom_tool_call": lambda v, e: sc.custom_tool_call(**_obj(v, "custom_tool_call")),
    "local_shell_call": lambda v, e: sc.local_shell_call(**_obj(v, "local_shell_call")),
    "web_search_call": lambda v, e: (
        sc.web_search_call(**_obj(v, "web_search_call")) if isinstance(v, dict) else sc.web_search_call(str(v))
    ),
    "completed": lambda v, e: _completed(v),
    "failed": lambda v, e: [sc.failed(**_obj(v, "failed"))],
    "delay_ms": lambda v, e: [sc.delay(int(v))],
    "raw": lambda v, e: [sc.raw(str(v))],
    "stall": lambda v, e: [sc.stall()],
    "drop": lambda v, e: [sc.drop()],
}


def events_from_json(event: Any) -> list[Event]:
    """One JSON event → wire events and markers."""
    if isinstance(event, str):
        if event not in _SIMPLE:
            raise ScenarioError(f"unknown event {event!r}; known: {', '.join(sorted(_SIMPLE))}")
        return [_SIMPLE[event]()]
    e = _obj(event, "an event")
    if "type" in e or MARKER_KEYS & e.keys():
        return [e]  # a wire event or a marker, as `Turn.to_json` writes them
    known = [k for k in e if k in _BUILDERS]
    if len(known) != 1:
        raise ScenarioError(
            f"an event needs exactly one of {', '.join(sorted(_BUILDERS))} (or a 'type'), "
            f"got keys {sorted(e)}"
        )
    try:
        return _BUILDERS[known[0]](e[known[0]], e)
    except TypeError as exc:  # missing or unexpected arguments
        raise ScenarioError(f"bad {known[0]!r} event: {exc}") from None


def turn_from_json(data: Any) -> Turn:
    """One JSON turn → a Turn."""
    t = _obj(data, "a turn")
    if "http_error" in t:
        err = _obj(t["http_error"], "http_error")
        try:
            return sc.http_error(int(err["status"]), str(err.get("body", "")), err.get("headers"))
        except (KeyError, ValueError) as exc:
            raise ScenarioError(f"bad http_error: {exc}") from None
    events = t.get("events", [])
    if not isinstance(events, list):
        raise ScenarioError("a turn's 'events' must be a list")
    flat = [w for e in events for w in events_from_json(e)]
    if "malformed" in t:
        flat.append(sc.raw(str(t["malformed"])))
    status = int(t.get("status", 200))
    if status != 200:
        return Turn(status=status, body=str(t.get("body") or t.get("error_body") or ""),
                    headers=dict(t.get("headers") or {}))
    return sc.turn(flat, headers=t.get("headers"), delay_ms=int(t.get("delay_ms") or 0),
                   drop_after=t.get("drop_after"))


def scenario_from_json(data: Any) -> list[Turn]:
    """A whole JSON scenario → turns; errors name the turn that is wrong."""
    turns = data.get("turns") if isinstance(data, dict) else data
    if not isinstance(turns, list):
        raise ScenarioError("a scenario is a list of turns or {\"turns\": [...]}")
    out = []
    for i, t in enumerate(turns, 1):
        try:
            out.append(turn_from_json(t))
        except ScenarioError as e:
            raise ScenarioError(f"turn {i}: {e}") from None
    return out


def _count(spec: str) -> int:
    try:
        n = int(spec.split(":", 1)[1])
    except ValueError:
        raise ScenarioError(f"{spec!r}: the part after ':' must be a number") from None
    if n < 0:
        raise ScenarioError(f"{spec!r}: the count must not be negative")
    return n


def builtin_scenario(name: str) -> list[Turn] | None:
    """A scenario by built-in name, or None if `name` is not one."""
    if name == "demo":
        from pycodex.testing.demo import demo_scenario

        return demo_scenario()
    if name == "answer":
        return [sc.turn(sc.message("Hello! This is the scripted model answering."), sc.completed())]
    if name.startswith("deltas:"):
        n = _count(name)
        return [sc.turn(sc.text_deltas([f"w{i} " for i in range(n)]), sc.completed())]
    if name.startswith("calls:"):
        n = _count(name)
        calls = [
            sc.turn(sc.function_call("exec_command", {"cmd": "true"}, f"call_{i}"), sc.completed())
            for i in range(n)
        ]
        return [*calls, sc.turn(sc.message("ran them all"), sc.completed())]
    return None


def load_scenario(spec: str) -> list[Turn]:
    """A built-in scenario by name, or a JSON scenario file."""
    builtin = builtin_scenario(spec)
    if builtin is not None:
        return builtin
    path = Path(spec)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ScenarioError(
            f"{spec!r} is neither a built-in scenario (demo, answer, deltas:N, calls:N) "
            f"nor a readable file: {e.strerror}"
        ) from None
    try:
        data = json.loads(text)
    except ValueError as e:
        raise ScenarioError(f"{spec}: not JSON: {e}") from None
    try:
        return scenario_from_json(data)
    except ScenarioError as e:
        raise ScenarioError(f"{spec}: {e}") from None
