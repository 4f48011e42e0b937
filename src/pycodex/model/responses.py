"""The OpenAI Responses wire: the request body, and SSE events → ResponseEvents."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from pycodex.model import events as me
from pycodex.model.errors import DISCONNECTED, MalformedStreamError, RetryableStreamError
from pycodex.model.failures import failed_response_error, stream_closed_error
from pycodex.model.sse import iter_sse, malformed_data_error, parse_data

if TYPE_CHECKING:
    import httpx

    from pycodex.model.prompt import ModelSettings, Prompt
    from pycodex.protocol.models import ResponseItem
    from pycodex.protocol.usage import TokenUsage

OUTPUT_SCHEMA_NAME = "codex_output_schema"


def build_responses_request(
    prompt: Prompt, settings: ModelSettings, conversation_id: str
) -> dict[str, Any]:
    """The JSON body for POST /responses: Codex 0.169's fields, in its key order.

    Like Codex, there is no `instructions` field: the base instructions go first in `input`
    as a developer message (sent every time, never recorded in the history).
    """
    from pycodex.protocol.json import dump_response_item

    body: dict[str, Any] = {"model": settings.model, "stream": True}
    head = [_developer_message(prompt.instructions)] if prompt.instructions else []
    body["input"] = head + [dump_response_item(i) for i in prompt.input]
    body["tools"] = prompt.tools
    body["tool_choice"] = "auto"
    body["parallel_tool_calls"] = prompt.parallel_tool_calls
    if settings.supports_reasoning:
        reasoning: dict[str, Any] = {}
        if settings.effort is not None:
            reasoning["effort"] = settings.effort.value
        if settings.summary.value != "none":
            reasoning["summary"] = settings.summary.value
        body["reasoning"] = reasoning
    body["store"] = False
    # Encrypted reasoning lets a stateless (store=false) conversation keep its reasoning.
    body["include"] = ["reasoning.encrypted_content"] if settings.supports_reasoning else []
    body["prompt_cache_key"] = conversation_id
    text: dict[str, Any] = {}
    if settings.verbosity is not None:
        text["verbosity"] = settings.verbosity.value
    if prompt.output_schema is not None:
        text["format"] = {
            "type": "json_schema",
            "name": OUTPUT_SCHEMA_NAME,
            "strict": True,
            "schema": prompt.output_schema,
        }
    if text:
        body["text"] = text
    body["client_metadata"] = {"session_id": conversation_id, "thread_id": conversation_id}
    return body


def _developer_message(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": text}]}


# ---- decoding (pure) ------------------------------------------------------------------------


def _count(raw: Any, key: str, sub: str | None = None) -> int:
    value = raw.get(key)
    if sub is not None:
        value = value.get(sub) if isinstance(value, dict) else None
    return value if type(value) is int and value >= 0 else 0


def parse_usage(raw: Any) -> TokenUsage | None:
    """Responses `usage` → TokenUsage (missing or garbled counts are 0)."""
    if not isinstance(raw, dict):
        return None
    from pycodex.protocol.usage import TokenUsage

    inp, out = _count(raw, "input_tokens"), _count(raw, "output_tokens")
    return TokenUsage(
        input_tokens=inp,
        cached_input_tokens=_count(raw, "input_tokens_details", "cached_tokens"),
        output_tokens=out,
        reasoning_output_tokens=_count(raw, "output_tokens_details", "reasoning_tokens"),
        total_tokens=_count(raw, "total_tokens") or inp + out,
    )


def parse_item(raw: Any, where: str) -> ResponseItem | None:
    """A validated item; None for an item type we do not know (skipped, as Codex does)."""
    from pydantic import ValidationError

    from pycodex.protocol.json import response_item_class_adapter

    if not isinstance(raw, dict):
        raise MalformedStreamError(f"malformed {where} event from the model server: no item object")
    kind = raw.get("type")
    adapter = response_item_class_adapter(kind) if isinstance(kind, str) else None
    if adapter is None:
        return None  # no type, or one we do not know
    try:
        item: ResponseItem = adapter.validate_python(raw)
    except ValidationError as e:
        first = e.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "item"
        raise MalformedStreamError(
            f"malformed {raw.get('type')!r} item in {where} from the model server: "
            f"{loc}: {first['msg']}"
        ) from None
    return item


def _text_delta(d: dict[str, Any]) -> me.ResponseEvent:
    delta = d.get("delta")
    return me.OutputTextDelta(delta if type(delta) is str else "")


def _summary_delta(d: dict[str, Any]) -> me.ResponseEvent:
    delta = d.get("delta")
    return me.ReasoningSummaryDelta(delta if type(delta) is str else "")


def _reasoning_delta(d: dict[str, Any]) -> me.ResponseEvent:
    delta = d.get("delta")
    return me.ReasoningContentDelta(delta if type(delta) is str else "")


def _item_done(d: dict[str, Any]) -> me.ResponseEvent | None:
    item = parse_item(d.get("item"), "response.output_item.done")
    return None if item is None else me.OutputItemDone(item)


def _item_added(d: dict[str, Any]) -> me.ResponseEvent | None:
    item = parse_item(d.get("item"), "response.output_item.added")
    return None if item is None else me.OutputItemAdded(item)


def _completed(d: dict[str, Any]) -> me.ResponseEvent:
    resp = d.get("response")
    resp = resp if isinstance(resp, dict) else {}
    rid = resp.get("id")
    return me.Completed(rid if isinstance(rid, str) else "", parse_usage(resp.get("usage")))


def _failed(d: dict[str, Any]) -> me.ResponseEvent:
    resp = d.get("response")
    raise failed_response_error(resp.get("error") if isinstance(resp, dict) else None)


def _error(d: dict[str, Any]) -> me.ResponseEvent:
    raise failed_response_error(d.get("error") if isinstance(d.get("error"), dict) else d)


def _incomplete(d: dict[str, Any]) -> me.ResponseEvent:
    resp = d.get("response")
    details = resp.get("incomplete_details") if isinstance(resp, dict) else None
    reason = details.get("reason") if isinstance(details, dict) else None
    raise RetryableStreamError(
        f"{DISCONNECTED}: incomplete response returned, reason: {reason or 'unknown'}"
    )


_HANDLERS: dict[str, Callable[[dict[str, Any]], me.ResponseEvent | None]] = {
    "response.output_text.delta": _text_delta,
    "response.reasoning_summary_text.delta": _summary_delta,
    "response.reasoning_text.delta": _reasoning_delta,
    "response.output_item.done": _item_done,
    "response.output_item.added": _item_added,
    "response.reasoning_summary_part.added": lambda _d: me.ReasoningSummaryPartAdded(),
    "response.created": lambda _d: me.Created(),
    "response.completed": _completed,
    "response.failed": _failed,
    "response.incomplete": _incomplete,
    "error": _error,
}


def decode_event(data: dict[str, Any]) -> me.ResponseEvent | None:
    """One SSE event's JSON → a ResponseEvent (None if it carries nothing we use)."""
    handler = _HANDLERS.get(data.get("type"))  # type: ignore[arg-type]
    return None if handler is None else handler(data)


# ---- the stream -----------------------------------------------------------------------------


async def decode_responses_stream(
    response: httpx.Response, idle_seconds: float
) -> AsyncIterator[me.ResponseEvent]:
    """The response's events, ending with Completed; raises a ModelError otherwise."""
    handlers = _HANDLERS
    async for sse in iter_sse(response, idle_seconds):
        raw = sse.data
        if not raw:
            continue
        data = parse_data(sse.event, raw)
        kind = data.get("type")
        if kind is not None and type(kind) is not str:
            raise malformed_data_error(sse.event, raw, "its type is not a string")
        handler = handlers.get(kind)  # type: ignore[arg-type]
        if handler is None:
            continue  # an event we do not use (e.g. content_part.added)
        event = handler(data)
        if event is None:
            continue
        yield event
        if type(event) is me.Completed:
            return
    raise stream_closed_error()
