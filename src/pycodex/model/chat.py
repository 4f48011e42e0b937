"""The Chat Completions wire (Ollama, vLLM, LM Studio, ...): chunks → ResponseEvents.

Streamed text and reasoning pass through as deltas; the complete items (reasoning, message,
tool calls) are emitted when the choice finishes, then Completed with the usage, if any.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pycodex.model import events as me
from pycodex.model.chat_request import CUSTOM_INPUT, build_chat_request, custom_tool_names
from pycodex.model.failures import failed_response_error, stream_closed_error
from pycodex.model.sse import iter_sse, parse_data
from pycodex.protocol.text import loads_untrusted

if TYPE_CHECKING:
    import httpx

    from pycodex.protocol.models import ResponseItem
    from pycodex.protocol.usage import TokenUsage

__all__ = ["ChatAggregator", "build_chat_request", "custom_tool_names", "decode_chat_stream"]


@dataclass
class _Call:
    id: str = ""
    name: str = ""
    arguments: str = ""


def _count(raw: dict[str, Any], key: str, sub: str | None = None) -> int:
    value = raw.get(key)
    if sub is not None:
        value = value.get(sub) if isinstance(value, dict) else None
    return value if type(value) is int and value >= 0 else 0


def parse_chat_usage(raw: Any) -> TokenUsage | None:
    """Chat `usage` → TokenUsage."""
    if not isinstance(raw, dict):
        return None
    from pycodex.protocol.usage import TokenUsage

    inp, out = _count(raw, "prompt_tokens"), _count(raw, "completion_tokens")
    return TokenUsage(
        input_tokens=inp,
        cached_input_tokens=_count(raw, "prompt_tokens_details", "cached_tokens"),
        output_tokens=out,
        reasoning_output_tokens=_count(raw, "completion_tokens_details", "reasoning_tokens"),
        total_tokens=_count(raw, "total_tokens") or inp + out,
    )


def _reasoning_piece(delta: dict[str, Any]) -> str:
    # DeepSeek/vLLM say `reasoning_content`, Ollama/OpenRouter `reasoning` (sometimes an object).
    value = delta.get("reasoning_content") or delta.get("reasoning")
    if isinstance(value, dict):
        value = value.get("text")
    return value if isinstance(value, str) else ""


class ChatAggregator:
    """Folds chat chunks into ResponseEvents (pure: feed parsed chunks, then finish)."""

    def __init__(self, custom_names: frozenset[str] = frozenset()) -> None:
        self.custom_names = custom_names
        self.response_id = ""
        self.usage: TokenUsage | None = None
        self.finished = False  # a finish_reason arrived
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._calls: dict[int, _Call] = {}
        self._emitted = False

    def feed(self, chunk: dict[str, Any]) -> list[me.ResponseEvent]:
        """The events one chunk produces; raises the server's error if it sends one."""
        if chunk.get("error"):
            raise failed_response_error(chunk["error"])
        events: list[me.ResponseEvent] = []
        rid = chunk.get("id")
        if isinstance(rid, str) and rid:
            self.response_id = rid
        usage = chunk.get("usage")
        if usage:
            self.usage = parse_chat_usage(usage)
        choices = chunk.get("choices")
        if not isinstance(choices, list):
            return events
        for choice in choices:
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue  # we ask for one choice; others would be alternatives, not parts
            delta = choice.get("delta")
            if isinstance(delta, dict):
                self._delta(delta, events)
            if choice.get("finish_reason"):
                self.finished = True
                events.extend(self._items())
        return events

    def _delta(self, delta: dict[str, Any], events: list[me.ResponseEvent]) -> None:
        content = delta.get("content")
        if isinstance(content, str) and content:
            self._text.append(content)
            events.append(me.OutputTextDelta(content))
        piece = _reasoning_piece(delta)
        if piece:
            self._reasoning.append(piece)
            events.append(me.ReasoningContentDelta(piece))
        calls = delta.get("tool_calls")
        if isinstance(calls, list):
            for tc in calls:
                if isinstance(tc, dict):
                    self._call_piece(tc)

    def _call_piece(self, tc: dict[str, Any]) -> None:
        index = tc.get("index")
        if type(index) is not int:
            # No index: a new id starts a new call, anything else continues the last one.
            last = max(self._calls, default=-1)
            fresh = last < 0 or (tc.get("id") and tc.get("id") != self._calls[last].id)
            index = last + 1 if fresh else last
        slot = self._calls.setdefault(index, _Call())
        if isinstance(tc.get("id"), str) and tc["id"]:
            slot.id = tc["id"]
        fn = tc.get("function")
        if isinstance(fn, dict):
            # Names and arguments arrive in fragments that concatenate (OpenAI streaming).
            if isinstance(fn.get("name"), str):
                slot.name += fn["name"]
            if isinstance(fn.get("arguments"), str):
                slot.arguments += fn["arguments"]

    def _items(self) -> list[me.ResponseEvent]:
        if self._emitted:
            return []
        self._emitted = True
        from pycodex.protocol import models as m

        items: list[ResponseItem] = []
        if self._reasoning:
            items.append(m.Reasoning(content=[m.ReasoningText(text="".join(self._reasoning))]))
        if self._text:
            items.append(m.assistant_message("".join(self._text)))
        for _, call in sorted(self._calls.items()):
            items.append(self._call_item(call))
        return [me.OutputItemDone(i) for i in items]

    def _call_item(self, call: _Call) -> ResponseItem:
        from pycodex.protocol import models as m

        call_id = call.id or f"call_{uuid.uuid4().hex[:24]}"
        if call.name in self.custom_names:
            try:
                parsed = loads_untrusted(call.arguments or "{}")
            except ValueError:
                parsed = None
            raw = parsed.get(CUSTOM_INPUT) if isinstance(parsed, dict) else None
            # A model that ignored the wrapper object still gets its text through.
            text = raw if isinstance(raw, str) else call.arguments
            return m.CustomToolCall(call_id=call_id, name=call.name, input=text)
        return m.FunctionCall(call_id=call_id, name=call.name, arguments=call.arguments or "{}")

    def finish(self) -> list[me.ResponseEvent]:
        """The items not yet emitted, then Completed."""
        return [*self._items(), me.Completed(self.response_id, self.usage)]


async def decode_chat_stream(
    response: httpx.Response, idle_seconds: float, custom_names: frozenset[str] = frozenset()
) -> AsyncIterator[me.ResponseEvent]:
    """The response's events, ending with Completed; raises a ModelError otherwise."""
    agg = ChatAggregator(custom_names)
    done = False
    async for sse in iter_sse(response, idle_seconds):
        raw = sse.data
        if not raw:
            continue
        if raw.strip() == "[DONE]":
            done = True
            break
        for event in agg.feed(parse_data(sse.event, raw)):
            yield event
    if not done and not agg.finished:
        raise stream_closed_error()
    for event in agg.finish():
        yield event
