"""The Chat Completions request: Responses-style history and tools → chat messages (pure)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pycodex.model.responses import OUTPUT_SCHEMA_NAME

if TYPE_CHECKING:
    from pycodex.model.prompt import ModelSettings, Prompt
    from pycodex.protocol import models as m

# A freeform tool becomes a function taking its raw text as this one string parameter.
CUSTOM_INPUT = "input"
_CUSTOM_PARAMETERS = {
    "type": "object",
    "properties": {CUSTOM_INPUT: {"type": "string", "description": "The raw tool input."}},
    "required": [CUSTOM_INPUT],
    "additionalProperties": False,
}
_NO_PARAMETERS = {"type": "object", "properties": {}}


def chat_tool(spec: dict[str, Any]) -> dict[str, Any] | None:
    """A Responses tool spec as a chat function tool; None for tools chat cannot offer."""
    kind, name = spec.get("type"), spec.get("name")
    if not isinstance(name, str) or not name:
        return None
    description = spec.get("description") or ""
    if kind == "function":
        parameters = spec.get("parameters") or _NO_PARAMETERS
    elif kind == "custom":
        parameters = _CUSTOM_PARAMETERS
    else:
        return None  # hosted tools (web_search, ...) do not exist on this wire
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": parameters},
    }


def custom_tool_names(tools: list[dict[str, Any]]) -> frozenset[str]:
    """Names of freeform tools, whose chat calls map back to CustomToolCall items."""
    return frozenset(
        t["name"] for t in tools if t.get("type") == "custom" and isinstance(t.get("name"), str)
    )


def _content(msg: m.Message) -> str | list[dict[str, Any]]:
    from pycodex.protocol.models import InputImage

    if not any(isinstance(c, InputImage) for c in msg.content):
        return msg.text()  # plain text is what every chat server accepts
    parts: list[dict[str, Any]] = []
    for c in msg.content:
        if isinstance(c, InputImage):
            parts.append({"type": "image_url", "image_url": {"url": c.image_url}})
        else:
            parts.append({"type": "text", "text": c.text})
    return parts


def _reasoning_text(item: m.Reasoning) -> str:
    # Raw reasoning if the server gave it, else the summary: it is what the model thought.
    if item.content:
        return "".join(c.text for c in item.content)
    return "\n\n".join(s.text for s in item.summary)


def _tool_call(item: m.FunctionCall | m.CustomToolCall | m.LocalShellCall) -> dict[str, Any]:
    from pycodex.protocol.models import CustomToolCall, FunctionCall

    if isinstance(item, FunctionCall):
        call_id, name, args = item.call_id, item.name, item.arguments
    elif isinstance(item, CustomToolCall):
        call_id, name, args = item.call_id, item.name, json.dumps({CUSTOM_INPUT: item.input})
    else:
        call_id = item.call_id or item.id or ""
        name, args = "shell", json.dumps({"command": item.action.command})
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": args}}


def build_chat_messages(prompt: Prompt) -> list[dict[str, Any]]:
    """History → chat messages: calls become assistant `tool_calls`, outputs `tool` messages.

    Reasoning is attached to the next assistant message (text or tool calls); consecutive
    calls, and calls right after an assistant text, share one assistant message.
    """
    from pycodex.protocol import models as m

    out: list[dict[str, Any]] = []
    if prompt.instructions:
        out.append({"role": "system", "content": prompt.instructions})
    reasoning: list[str] = []
    # The assistant message further calls may join; reset by anything else.
    open_assistant: dict[str, Any] | None = None

    def take_reasoning(msg: dict[str, Any]) -> None:
        if reasoning:
            msg["reasoning"] = "".join(reasoning)
            reasoning.clear()

    for item in prompt.input:
        if isinstance(item, m.Message):
            role = "system" if item.role == "developer" else item.role
            msg: dict[str, Any] = {"role": role, "content": _content(item)}
            if item.role == "developer" and isinstance(msg["content"], str):
                # Each part of a developer message is a separate instruction (permissions, then
                # the configured ones): keep them apart.
                msg["content"] = "\n\n".join(c.text for c in item.content if isinstance(c, m.InputText))
            if role == "assistant":
                take_reasoning(msg)
                open_assistant = msg
            else:
                open_assistant = None
            out.append(msg)
        elif isinstance(item, m.Reasoning):
            text = _reasoning_text(item)
            if text:
                reasoning.append(text)
        elif isinstance(item, m.FunctionCall | m.CustomToolCall | m.LocalShellCall):
            if open_assistant is None:
                open_assistant = {"role": "assistant", "content": None}
                out.append(open_assistant)
            take_reasoning(open_assistant)
            open_assistant.setdefault("tool_calls", []).append(_tool_call(item))
        elif isinstance(item, m.FunctionCallOutput | m.CustomToolCallOutput):
            out.append({"role": "tool", "tool_call_id": item.call_id, "content": item.output_text()})
            open_assistant = None
        # Other items (web search calls) have no chat form.
    return out


def build_chat_request(prompt: Prompt, settings: ModelSettings) -> dict[str, Any]:
    """The JSON body for POST /chat/completions."""
    body: dict[str, Any] = {
        "model": settings.model,
        "messages": build_chat_messages(prompt),
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    tools = [t for t in (chat_tool(s) for s in prompt.tools) if t is not None]
    if tools:
        body["tools"] = tools
    if prompt.output_schema is not None:
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {
                "name": OUTPUT_SCHEMA_NAME,
                "strict": True,
                "schema": prompt.output_schema,
            },
        }
    return body
