"""The OpenAI Responses wire: request body and SSE decoding."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from pycodex.model import events as me
from pycodex.model.errors import (
    ContextWindowExceededError,
    MalformedStreamError,
    RetryableStreamError,
    UsageLimitReachedError,
)
from pycodex.model.idle import IdleTimeout, with_idle_timeout
from pycodex.model.prompt import ModelSettings, Prompt
from pycodex.protocol.json import dump_response_item, response_item_adapter
from pycodex.protocol.usage import TokenUsage

if TYPE_CHECKING:
    import httpx


def build_responses_request(
    prompt: Prompt, settings: ModelSettings, conversation_id: str
) -> dict[str, Any]:
    """The JSON body, keys in the order Codex sends them."""
    body: dict[str, Any] = {"model": settings.model}
    if prompt.instructions:
        body["instructions"] = prompt.instructions
    body["input"] = [dump_response_item(i) for i in prompt.input]
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
    body["stream"] = True
    body["include"] = ["reasoning.encrypted_content"] if settings.supports_reasoning else []
    body["prompt_cache_key"] = conversation_id
    text: dict[str, Any] = {}
    if settings.verbosity is not None:
        text["verbosity"] = settings.verbosity.value
    if prompt.output_schema is not None:
        text["format"] = {
            "type": "json_schema",
            "name": "codex_output_schema",
            "strict": True,
            "schema": prompt.output_schema,
        }
    if text:
        body["text"] = text
    return body


def parse_usage(raw: Any) -> TokenUsage | None:
    """Responses usage → TokenUsage."""
    if not isinstance(raw, dict):
        return None
    inp = int(raw.get("input_tokens") or 0)
    out = int(raw.get("output_tokens") or 0)
    return TokenUsage(
        input_tokens=inp,
        cached_input_tokens=int((raw.get("input_tokens_details") or {}).get("cached_tokens") or 0),
        output_tokens=out,
        reasoning_output_tokens=int(
            (raw.get("output_tokens_details") or {}).get("reasoning_tokens") or 0
        ),
        total_tokens=int(raw.get("total_tokens") or inp + out),
    )


_TRY_AGAIN = re.compile(r"try again in (\d+(?:\.\d+)?)\s*(ms|s)", re.IGNORECASE)


def _failed(error: Any) -> Exception:
    error = error if isinstance(error, dict) else {}
    code = str(error.get("code") or "")
    message = str(error.get("message") or "the response failed")
    if code == "context_length_exceeded":
        return ContextWindowExceededError(message)
    if code in ("insufficient_quota", "usage_limit_reached", "usage_not_included"):
        return UsageLimitReachedError(message)
    delay = None
    m = _TRY_AGAIN.search(message)
    if m:
        delay = float(m.group(1)) / (1000 if m.group(2).lower() == "ms" else 1)
    return RetryableStreamError(f"stream disconnected before completion: {message}", delay)


def _item(raw: Any) -> Any:
    try:
        return response_item_adapter().validate_python(raw)
    except ValueError:
        return None  # an item type we do not know: skipped, not fatal


async def decode_responses_stream(
    response: httpx.Response, idle_timeout: float
) -> AsyncIterator[me.ResponseEvent]:
    """SSE events → ResponseEvents; ends after response.completed."""
    from httpx_sse import EventSource

    source = with_idle_timeout(EventSource(response).aiter_sse(), idle_timeout).__aiter__()
    loads = json.loads
    while True:
        try:
            sse = await anext(source)
        except StopAsyncIteration:
            return
        except IdleTimeout as e:
            raise RetryableStreamError(
                f"stream disconnected before completion: idle timeout waiting for SSE ({idle_timeout:g}s)"
            ) from e
        except Exception as e:  # transport errors mid-stream
            raise RetryableStreamError(
                f"stream disconnected before completion: {type(e).__name__}: {e}"
            ) from e
        if not sse.data:
            continue
        try:
            data = loads(sse.data)
        except json.JSONDecodeError as e:
            raise MalformedStreamError(
                f"malformed SSE data from the model server (event {sse.event or 'message'!r}): "
                f"{sse.data[:200]!r}"
            ) from e
        kind = data.get("type") if isinstance(data, dict) else None
        if kind == "response.output_text.delta":
            yield me.OutputTextDelta(data.get("delta", ""))
        elif kind == "response.reasoning_summary_text.delta":
            yield me.ReasoningSummaryDelta(data.get("delta", ""))
        elif kind == "response.reasoning_text.delta":
            yield me.ReasoningContentDelta(data.get("delta", ""))
        elif kind == "response.output_item.done":
            item = _item(data.get("item"))
            if item is not None:
                yield me.OutputItemDone(item)
        elif kind == "response.output_item.added":
            item = _item(data.get("item"))
            if item is not None:
                yield me.OutputItemAdded(item)
        elif kind == "response.reasoning_summary_part.added":
            yield me.ReasoningSummaryPartAdded()
        elif kind == "response.created":
            yield me.Created()
        elif kind == "response.completed":
            resp = data.get("response") or {}
            yield me.Completed(str(resp.get("id", "")), parse_usage(resp.get("usage")))
            return
        elif kind == "response.failed":
            raise _failed((data.get("response") or {}).get("error"))
        elif kind == "error":
            raise _failed(data.get("error") or data)
