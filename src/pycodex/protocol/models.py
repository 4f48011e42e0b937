"""Model items: what is sent to and received from the Responses API."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from pycodex.protocol.base import WireModel


class InputText(WireModel):
    type: Literal["input_text"] = "input_text"
    text: str


class InputImage(WireModel):
    type: Literal["input_image"] = "input_image"
    image_url: str
    detail: str | None = None  # Codex sends MCP images at "original" detail


class OutputText(WireModel):
    type: Literal["output_text"] = "output_text"
    text: str


ContentItem = Annotated[InputText | InputImage | OutputText, Field(discriminator="type")]


class Message(WireModel):
    type: Literal["message"] = "message"
    id: str | None = None
    role: str
    content: list[ContentItem]

    def text(self) -> str:
        """All text parts joined."""
        return "".join(c.text for c in self.content if not isinstance(c, InputImage))


class SummaryText(WireModel):
    type: Literal["summary_text"] = "summary_text"
    text: str


class ReasoningText(WireModel):
    type: Literal["reasoning_text", "text"] = "reasoning_text"
    text: str


class Reasoning(WireModel):
    type: Literal["reasoning"] = "reasoning"
    id: str = ""
    summary: list[SummaryText] = Field(default_factory=list)
    content: list[ReasoningText] | None = None
    encrypted_content: str | None = None


class LocalShellExec(WireModel):
    type: Literal["exec"] = "exec"
    command: list[str]
    timeout_ms: int | None = None
    working_directory: str | None = None
    env: dict[str, str] | None = None
    user: str | None = None


class LocalShellCall(WireModel):
    type: Literal["local_shell_call"] = "local_shell_call"
    id: str | None = None
    call_id: str | None = None
    status: str = "completed"
    action: LocalShellExec


class FunctionCall(WireModel):
    type: Literal["function_call"] = "function_call"
    id: str | None = None
    name: str
    # A tool inside a namespace (an MCP server's `mcp__<server>`) is called by its own name.
    namespace: str | None = None
    arguments: str
    call_id: str


class _ToolOutput(WireModel):
    """A tool's answer: a text, or content items (text and images, as MCP tools answer)."""

    call_id: str
    output: str | list[ContentItem]

    @field_validator("output", mode="before")
    @classmethod
    def _flatten(cls, v: Any) -> Any:
        # Content items are kept while they are ones we know; anything else becomes its text.
        return _flatten_output(v)

    def output_text(self) -> str:
        """The answer as one text (images left out), for wires and views that take only text."""
        if isinstance(self.output, str):
            return self.output
        return "\n".join(c.text for c in self.output if not isinstance(c, InputImage))


class FunctionCallOutput(_ToolOutput):
    type: Literal["function_call_output"] = "function_call_output"


class CustomToolCall(WireModel):
    type: Literal["custom_tool_call"] = "custom_tool_call"
    id: str | None = None
    status: str | None = None
    call_id: str
    name: str
    input: str


class CustomToolCallOutput(_ToolOutput):
    type: Literal["custom_tool_call_output"] = "custom_tool_call_output"


# The fields each kind of web search action carries; any other kind is `other`.
_WEB_SEARCH_ACTION_FIELDS: dict[str, tuple[str, ...]] = {
    "search": ("query", "queries"),
    "open_page": ("url",),
    "find_in_page": ("url", "pattern"),
}


class WebSearchAction(WireModel):
    """What a hosted web search did: `search`, `open_page`, `find_in_page`, or `other`."""

    type: Literal["search", "open_page", "find_in_page", "other"] = "other"
    query: str | None = None
    queries: list[str] | None = None
    url: str | None = None
    pattern: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _known_parts(cls, raw: Any) -> Any:
        # As Codex reads it: an action kind it does not know becomes `other`, and fields that do
        # not belong to the kind are dropped. A field of the wrong type is dropped too, so one
        # garbled field from the server does not cost the whole search item.
        if isinstance(raw, WebSearchAction):
            return raw
        kind = raw.get("type") if isinstance(raw, dict) else None
        fields = _WEB_SEARCH_ACTION_FIELDS.get(kind) if isinstance(kind, str) else None
        if fields is None:
            return {"type": "other"}
        out: dict[str, Any] = {"type": kind}
        for name in fields:
            value = raw.get(name)
            if isinstance(value, str) or (
                name == "queries" and isinstance(value, list) and all(isinstance(q, str) for q in value)
            ):
                out[name] = value
        return out

    # Absent fields are left out in every JSON form (exec JSONL keeps other nulls). No return
    # annotation: one would replace this model's published JSON schema.
    @model_serializer(mode="wrap")
    def _without_absent(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        return {k: v for k, v in handler(self).items() if v is not None}

    def detail(self) -> str:
        """The one line Codex shows for the action (the `query` of `web_search_end`)."""
        if self.type == "search":
            if self.query:
                return self.query
            if self.queries:
                return self.queries[0] + (" ..." if len(self.queries) > 1 else "")
            return ""
        if self.type == "open_page":
            return self.url or ""
        if self.type == "find_in_page":
            if self.pattern:
                return f"'{self.pattern}' in {self.url}" if self.url else f"'{self.pattern}'"
            return self.url or ""
        return ""


class WebSearchCall(WireModel):
    type: Literal["web_search_call"] = "web_search_call"
    id: str | None = None
    status: str | None = None
    action: WebSearchAction | None = None


# ---- tool_search (client-executed): the model looks up deferred tools ----------------------


class ToolSearchCall(WireModel):
    """The model asks to search the deferred tools; `arguments` is JSON as it sent it."""

    type: Literal["tool_search_call"] = "tool_search_call"
    id: str | None = None
    call_id: str | None = None
    status: str | None = None
    execution: str = "client"
    arguments: Any = None


class ToolSearchOutput(WireModel):
    """The tools that matched, as full specs the API loads for the model's next step."""

    type: Literal["tool_search_output"] = "tool_search_output"
    id: str | None = None
    call_id: str | None = None
    status: str = "completed"
    execution: str = "client"
    tools: list[dict[str, Any]] = Field(default_factory=list)


ResponseItem = Annotated[
    Message
    | Reasoning
    | LocalShellCall
    | FunctionCall
    | FunctionCallOutput
    | CustomToolCall
    | CustomToolCallOutput
    | WebSearchCall
    | ToolSearchCall
    | ToolSearchOutput,
    Field(discriminator="type"),
]

CALL_TYPES = (FunctionCall, CustomToolCall, LocalShellCall, ToolSearchCall)
OUTPUT_TYPES = (FunctionCallOutput, CustomToolCallOutput, ToolSearchOutput)


_KEPT_CONTENT = {"input_text": "text", "input_image": "image_url", "output_text": "text"}


def _flatten_output(v: Any) -> Any:
    if isinstance(v, dict) and "content" in v:
        v = v["content"]
    if isinstance(v, list):
        if all(
            isinstance(p, dict) and isinstance(p.get(_KEPT_CONTENT.get(str(p.get("type")), ""), None), str)
            for p in v
        ):
            return v
        return "".join(str(p.get("text", "")) for p in v if isinstance(p, dict))
    return v


def call_id_of(item: object) -> str | None:
    """The call id of a tool call item, if it is one."""
    if isinstance(item, FunctionCall | CustomToolCall):
        return item.call_id
    if isinstance(item, LocalShellCall):
        return item.call_id or item.id
    if isinstance(item, ToolSearchCall):
        return item.call_id
    return None


def user_message(text: str) -> Message:
    """A user message with one text part."""
    return Message(role="user", content=[InputText(text=text)])


def assistant_message(text: str) -> Message:
    """An assistant message with one output text part."""
    return Message(role="assistant", content=[OutputText(text=text)])
