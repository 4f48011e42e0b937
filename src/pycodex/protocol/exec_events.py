"""The JSONL events `pycodex exec --json` prints, in the schema of `codex exec --json`."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer

from pycodex.protocol.base import WireModel
from pycodex.protocol.models import WebSearchAction


class CommandExecutionStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"
    DECLINED = "declined"


class PatchApplyStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"


class McpToolCallStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"


class AgentMessageItem(WireModel):
    id: str
    type: Literal["agent_message"] = "agent_message"
    text: str


class ReasoningItem(WireModel):
    id: str
    type: Literal["reasoning"] = "reasoning"
    text: str


class CommandExecutionItem(WireModel):
    id: str
    type: Literal["command_execution"] = "command_execution"
    command: str
    aggregated_output: str = ""
    exit_code: int | None = None
    status: CommandExecutionStatus


class FileUpdateChange(WireModel):
    path: str
    kind: Literal["add", "delete", "update"]


class FileChangeItem(WireModel):
    id: str
    type: Literal["file_change"] = "file_change"
    changes: list[FileUpdateChange]
    status: PatchApplyStatus


class McpToolCallResult(WireModel):
    content: list[Any] = Field(default_factory=list)
    structured_content: Any = None
    # The result's `_meta`, when the server sent one (Codex leaves it out otherwise).
    meta: Any = Field(default=None, alias="_meta")

    # No return annotation: one would replace this model's published JSON schema.
    @model_serializer(mode="wrap")
    def _meta_only_when_sent(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        data = handler(self)
        data.pop("meta", None)
        data.pop("_meta", None)
        if self.meta is not None:
            data["_meta"] = self.meta
        return data


class McpToolCallError(WireModel):
    message: str


class McpToolCallItem(WireModel):
    id: str
    type: Literal["mcp_tool_call"] = "mcp_tool_call"
    server: str
    tool: str
    arguments: Any = None
    result: McpToolCallResult | None = None
    error: McpToolCallError | None = None
    status: McpToolCallStatus


class WebSearchItem(WireModel):
    """A hosted web search; `id` is the search's own id, as `codex exec --json` shows it."""

    id: str
    type: Literal["web_search"] = "web_search"
    query: str
    action: WebSearchAction


class TodoItem(WireModel):
    text: str
    completed: bool


class TodoListItem(WireModel):
    id: str
    type: Literal["todo_list"] = "todo_list"
    items: list[TodoItem]


class ErrorItem(WireModel):
    id: str
    type: Literal["error"] = "error"
    message: str


ThreadItem = Annotated[
    AgentMessageItem
    | ReasoningItem
    | CommandExecutionItem
    | FileChangeItem
    | McpToolCallItem
    | WebSearchItem
    | TodoListItem
    | ErrorItem,
    Field(discriminator="type"),
]


class Usage(WireModel):
    input_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_input_tokens: int = 0
    output_tokens: int = 0
    reasoning_output_tokens: int = 0


class ThreadErrorInfo(WireModel):
    message: str


class ThreadStarted(WireModel):
    type: Literal["thread.started"] = "thread.started"
    thread_id: str


class TurnStarted(WireModel):
    type: Literal["turn.started"] = "turn.started"


class TurnCompleted(WireModel):
    type: Literal["turn.completed"] = "turn.completed"
    usage: Usage


class TurnFailed(WireModel):
    type: Literal["turn.failed"] = "turn.failed"
    error: ThreadErrorInfo


class ItemStarted(WireModel):
    type: Literal["item.started"] = "item.started"
    item: ThreadItem


class ItemUpdated(WireModel):
    type: Literal["item.updated"] = "item.updated"
    item: ThreadItem


class ItemCompleted(WireModel):
    type: Literal["item.completed"] = "item.completed"
    item: ThreadItem


class ThreadError(WireModel):
    type: Literal["error"] = "error"
    message: str


ThreadEvent = Annotated[
    ThreadStarted
    | TurnStarted
    | TurnCompleted
    | TurnFailed
    | ItemStarted
    | ItemUpdated
    | ItemCompleted
    | ThreadError,
    Field(discriminator="type"),
]
