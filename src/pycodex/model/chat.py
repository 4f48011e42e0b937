"""The Chat Completions wire (Ollama, vLLM, LM Studio, ...): request conversion and decoding."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from pycodex.model import events as me
from pycodex.model.errors import MalformedStreamError, RetryableStreamError
from pycodex.model.idle import IdleTimeout, with_idle_timeout
from pycodex.model.prompt import ModelSettings, Prompt
from pycodex.protocol import models as m
from pycodex.protocol.usage import TokenUsage

if TYPE_CHECKING:
    import httpx


def _tool(spec: dict[str, Any]) -> dict[str, Any] | None:
    if spec.get("type") == "function":
        return {"type": "function", "function": {
            "name": spec["name"], "description": spec.get("description", ""),
            "parameters": spec.get("parameters", {"type": "object", "properties": {}})}}
    if spec.get("type") == "custom":
        # Freeform tools become a function taking the raw text as `input`.
        return {"type": "function", "function": {
            "name": spec["name"], "description": spec.get("description", ""),
            "parameters": {"type": "object", "properties": {"input": {"type": "string"}},
                           "required": ["input"], "additionalProperties": False}}}
    return None  # hosted tools (web_search) do not exist on this wire


def _content(msg: m.Message) -> Any:
    parts: list[dict[str, Any]] = []
    for c in msg.content:
        if isinstance(c, m.InputImage):
            parts.append({"type": "image_url", "image_url": {"url": c.image_url}})
        else:
            parts.append({"type": "text", "text": c.text})
    if all(p["type"] == "text" for p in parts):
        return "".join(p["text"] for p in parts)
    return parts


def build_chat_messages(prompt: Prompt) -> list[dict[str, Any]]:
    """History → chat messages: calls become assistant tool_calls, outputs `tool` messages."""
    out: list[dict[str, Any]] = []
    if prompt.instructions:
        out.append({"role": "system", "content": prompt.instructions})
    pending_reasoning = ""
    for item in prompt.input:
        if isinstance(item, m.Message):
            role = "system" if item.role == "developer" else item.role
            msg: dict[str, Any] = {"role": role, "content": _content(item)}
            if role == "assistant" and pending_reasoning:
                msg["reasoning"] = pending_reasoning
                pending_reasoning = ""
            out.append(msg)
        elif isinstance(item, m.Reasoning):
            pending_reasoning += "".join(c.text for c in item.content or [])
        elif isinstance(item, m.FunctionCall | m.CustomToolCall | m.LocalShellCall):
            if isinstance(item, m.FunctionCall):
                name, args = item.name, item.arguments
            elif isinstance(item, m.CustomToolCall):
                name, args = item.name, json.dumps({"input": item.input})
            else:
                name, args = "shell", json.dumps({"command": item.action.command})
            call = {"id": m.call_id_of(item), "type": "function",
                    "function": {"name": name, "arguments": args}}
            last = out[-1] if out else None
            if last and last["role"] == "assistant" and "tool_calls" in last:
                last["tool_calls"].append(call)
            else:
                out.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif isinstance(item, m.FunctionCallOutput | m.CustomToolCallOutput):
            out.append({"role": "tool", "tool_call_id": item.call_id, "content": item.output})
    return out


def build_chat_request(prompt: Prompt, settings: ModelSettings) -> dict[str, Any]:
    """The JSON body for /chat/completions."""
    tools = [t for t in (_tool(s) for s in prompt.tools) if t is not None]
    body: dict[str, Any] = {
        "model": settings.model,
        "messages": build_chat_messages(prompt),
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if tools:
        body["tools"] = tools
    return body


def custom_tool_names(prompt_tools: list[dict[str, Any]]) -> set[str]:
    """Names of freeform tools, whose calls map back to custom tool calls."""
    return {t["name"] for t in prompt_tools if t.get("type") == "custom"}


async def decode_chat_stream(
    response: httpx.Response, idle_timeout: float, custom_names: set[str] | None = None
) -> AsyncIterator[me.ResponseEvent]:
    """Chat chunks → the same ResponseEvents as the Responses wire."""
    from httpx_sse import EventSource

    custom_names = custom_names or set()
    source = with_idle_timeout(EventSource(response).aiter_sse(), idle_timeout).__aiter__()
    text: list[str] = []
    reasoning: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    usage: TokenUsage | None = None
    rid = ""
    while True:
        try:
            sse = await anext(source)
        except StopAsyncIteration:
            break
        except IdleTimeout as e:
            raise RetryableStreamError("stream disconnected before completion: idle timeout") from e
        if sse.data.strip() == "[DONE]":
            break
        try:
            chunk = json.loads(sse.data)
        except json.JSONDecodeError as e:
            raise MalformedStreamError(f"malformed SSE data from the model server: {sse.data[:200]!r}") from e
        rid = chunk.get("id", rid)
        if chunk.get("usage"):
            u = chunk["usage"]
            usage = TokenUsage(
                input_tokens=u.get("prompt_tokens", 0),
                cached_input_tokens=(u.get("prompt_tokens_details") or {}).get("cached_tokens", 0),
                output_tokens=u.get("completion_tokens", 0),
                total_tokens=u.get("total_tokens", 0),
            )
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            if delta.get("content"):
                text.append(delta["content"])
                yield me.OutputTextDelta(delta["content"])
            r = delta.get("reasoning_content") or delta.get("reasoning")
            if r:
                reasoning.append(r)
                yield me.ReasoningContentDelta(r)
            for tc in delta.get("tool_calls") or []:
                slot = calls.setdefault(int(tc.get("index", 0)), {"id": "", "name": "", "args": ""})
                slot["id"] = tc.get("id") or slot["id"]
                fn = tc.get("function") or {}
                slot["name"] += fn.get("name") or ""
                slot["args"] += fn.get("arguments") or ""
    if not text and not calls and not reasoning and usage is None:
        raise RetryableStreamError("stream disconnected before completion: empty response")
    if reasoning:
        yield me.OutputItemDone(m.Reasoning(content=[m.ReasoningText(text="".join(reasoning))]))
    if text:
        yield me.OutputItemDone(m.assistant_message("".join(text)))
    for _, c in sorted(calls.items()):
        if c["name"] in custom_names:
            try:
                raw = json.loads(c["args"] or "{}").get("input", "")
            except (json.JSONDecodeError, AttributeError):
                raw = c["args"]
            yield me.OutputItemDone(m.CustomToolCall(call_id=c["id"], name=c["name"], input=str(raw)))
        else:
            yield me.OutputItemDone(m.FunctionCall(call_id=c["id"], name=c["name"], arguments=c["args"]))
    yield me.Completed(rid, usage)
