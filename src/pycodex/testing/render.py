"""Turns → the bytes the server sends, rendered once ahead of time (pure).

A rendering is a list of segments: bytes to write (consecutive events coalesced into one
block, so 20,000 deltas cost a handful of writes), or a control step (pause, stall, drop).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pycodex.testing.scenario import (
    DELAY_KEY,
    DROP_KEY,
    RAW_KEY,
    STALL_KEY,
    Event,
    Turn,
)


@dataclass(frozen=True)
class Pause:
    """Wait this long before the next segment."""

    seconds: float


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


STALL = _Marker("STALL")  # hold the connection open until the client leaves
DROP = _Marker("DROP")  # close the connection now

Segment = bytes | Pause | _Marker

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _sse(event: Event) -> bytes:
    return f"event: {event.get('type', 'message')}\ndata: {_dumps(event)}\n\n".encode()


def _raw(data: str) -> bytes:
    return "".join(f"data: {line}\n" for line in data.split("\n")).encode() + b"\n"


class _Builder:
    """Collects segments, merging adjacent bytes and applying drop_after / delay_ms."""

    def __init__(self, turn: Turn) -> None:
        self.turn = turn
        self.segments: list[Segment] = []
        self._buf: list[bytes] = []
        self.sent = 0  # wire events so far
        self.closed = False

    def _flush(self) -> None:
        if self._buf:
            self.segments.append(b"".join(self._buf))
            self._buf.clear()

    def control(self, seg: Pause | _Marker) -> None:
        if self.closed:
            return
        self._flush()
        self.segments.append(seg)
        if seg is STALL or seg is DROP:
            self.closed = True

    def event(self, data: bytes | list[bytes]) -> None:
        """One wire event (possibly several chunks, possibly none on this wire)."""
        if self.closed:
            return
        limit = self.turn.drop_after
        if limit is not None and self.sent >= limit:
            self.control(DROP)
            return
        chunks = [data] if isinstance(data, bytes) else data
        if chunks and self.sent and self.turn.delay_ms:
            self.control(Pause(self.turn.delay_ms / 1000))
        self._buf.extend(chunks)
        self.sent += 1

    def marker(self, event: Event) -> bool:
        """Handle a control marker; False if `event` is a wire event."""
        if STALL_KEY in event:
            self.control(STALL)
        elif DROP_KEY in event:
            self.control(DROP)
        elif DELAY_KEY in event:
            self.control(Pause(max(0, int(event[DELAY_KEY])) / 1000))
        elif RAW_KEY in event:
            self.event(_raw(str(event[RAW_KEY])))
        else:
            return False
        return True

    def done(self) -> list[Segment]:
        if not self.closed and self.turn.drop_after is not None and self.sent >= self.turn.drop_after:
            self.control(DROP)  # the limit was reached exactly at the end: still no clean end
        self._flush()
        return self.segments


def render_responses(turn: Turn) -> list[Segment]:
    """The turn as Responses API SSE."""
    b = _Builder(turn)
    for event in turn.events:
        if not b.marker(event):
            b.event(_sse(event))
    return b.done()


class _ChatTranslator:
    """Responses events → Chat Completions chunks."""

    def __init__(self) -> None:
        self.calls = 0
        self.text_streamed = False  # deltas already carried the current message's text

    @staticmethod
    def chunk(delta: dict[str, Any] | None = None, finish: str | None = None,
              usage: dict[str, Any] | None = None) -> bytes:
        body: dict[str, Any] = {
            "id": "chatcmpl-scripted",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "scripted",
            "choices": [] if delta is None else [
                {"index": 0, "delta": delta, "finish_reason": finish}
            ],
        }
        if usage is not None:
            body["usage"] = usage
        return f"data: {_dumps(body)}\n\n".encode()

    def translate(self, event: Event) -> list[bytes]:
        kind = event.get("type")
        if kind == "response.output_text.delta":
            self.text_streamed = True
            return [self.chunk({"content": event.get("delta", "")})]
        if kind in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
            return [self.chunk({"reasoning_content": event.get("delta", "")})]
        if kind == "response.output_item.done":
            return self._item(event.get("item") or {})
        if kind == "response.completed":
            return self._completed(event.get("response") or {})
        if kind == "response.failed":
            error = (event.get("response") or {}).get("error") or {}
            return [f"data: {_dumps({'error': error})}\n\n".encode()]
        return []  # created, added, part added: nothing on this wire

    def _item(self, item: Event) -> list[bytes]:
        kind = item.get("type")
        if kind == "message":
            streamed, self.text_streamed = self.text_streamed, False
            if streamed:
                return []
            text = "".join(c.get("text", "") for c in item.get("content") or [])
            return [self.chunk({"content": text})]
        if kind == "function_call":
            name, args = item["name"], item["arguments"]
        elif kind == "custom_tool_call":
            name, args = item["name"], _dumps({"input": item["input"]})
        elif kind == "local_shell_call":
            name, args = "shell", _dumps({"command": item["action"]["command"]})
        else:
            return []
        index, self.calls = self.calls, self.calls + 1
        half = len(args) // 2
        # Two fragments, as real servers stream them: the client must concatenate by index.
        first = {"index": index, "id": item.get("call_id"), "type": "function",
                 "function": {"name": name, "arguments": args[:half]}}
        rest = {"index": index, "function": {"arguments": args[half:]}}
        return [self.chunk({"tool_calls": [first]}), self.chunk({"tool_calls": [rest]})]

    def _completed(self, response: Event) -> list[bytes]:
        out = [self.chunk({}, finish="tool_calls" if self.calls else "stop")]
        u = response.get("usage")
        if isinstance(u, dict):
            usage = {
                "prompt_tokens": u.get("input_tokens", 0),
                "completion_tokens": u.get("output_tokens", 0),
                "total_tokens": u.get("total_tokens", 0),
                "prompt_tokens_details": {
                    "cached_tokens": (u.get("input_tokens_details") or {}).get("cached_tokens", 0)
                },
                "completion_tokens_details": {
                    "reasoning_tokens": (u.get("output_tokens_details") or {}).get(
                        "reasoning_tokens", 0
                    )
                },
            }
            out.append(self.chunk(usage=usage))
        out.append(b"data: [DONE]\n\n")
        return out


def render_chat(turn: Turn) -> list[Segment]:
    """The same turn as Chat Completions SSE chunks (drop_after counts Responses events)."""
    b = _Builder(turn)
    tr = _ChatTranslator()
    for event in turn.events:
        if not b.marker(event):
            b.event(tr.translate(event))
    return b.done()
