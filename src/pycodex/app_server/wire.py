"""The app-server's v2 wire types (threads, turns, items, inputs), named as Codex's v2 schema.

Field names are camelCase on the wire (a few are snake_case in Codex's schema and say so).
Nulls are kept when sent, as Codex sends them.

What clients send (user input) is validated: pydantic models. What the server only sends
(items, turns, threads, usage) are plain dataclasses written out by `wire()`: building
pydantic validators and serializers for them cost ~25 ms of every server's start and bought
nothing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cache
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class V2(BaseModel):
    """A v2 wire type: camelCase names, unknown fields from newer clients ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", defer_build=True
    )

    def wire(self) -> dict[str, Any]:
        """The JSON object sent on the wire."""
        data: dict[str, Any] = self.model_dump(mode="json", by_alias=True)
        return data


# ---- user input ------------------------------------------------------------------------


class TextElement(V2):
    byte_range: dict[str, int]
    placeholder: str | None = None


class TextUserInput(V2):
    type: Literal["text"] = "text"
    text: str
    text_elements: list[TextElement] = Field(default_factory=list, alias="text_elements")


class ImageUserInput(V2):
    type: Literal["image"] = "image"
    url: str


class LocalImageUserInput(V2):
    type: Literal["localImage"] = "localImage"
    path: str


class SkillUserInput(V2):
    type: Literal["skill"] = "skill"
    name: str
    path: str


class MentionUserInput(V2):
    type: Literal["mention"] = "mention"
    name: str
    path: str


UserInput = Annotated[
    TextUserInput | ImageUserInput | LocalImageUserInput | SkillUserInput | MentionUserInput,
    Field(discriminator="type"),
]


# ---- what the server sends -----------------------------------------------------------------


@cache
def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def _value(v: Any) -> Any:
    if isinstance(v, list):
        return [_value(x) for x in v]
    wire = getattr(v, "wire", None)
    return wire() if wire is not None else v


class Sent:
    """A dataclass sent as a JSON object: each field under its camelCase name (or the name in
    its `wire` metadata), nested values written out by their own `wire()`."""

    def wire(self) -> dict[str, Any]:
        """The JSON object sent on the wire."""
        return {f.metadata.get("wire", _camel(f.name)): _value(getattr(self, f.name))
                for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    def replace(self, **changes: Any) -> Self:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]


# ---- items -------------------------------------------------------------------------------


@dataclass
class UserMessageItem(Sent):
    id: str
    content: list[UserInput]
    client_id: str | None = None
    type: Literal["userMessage"] = "userMessage"


@dataclass
class AgentMessageItem(Sent):
    id: str
    text: str
    phase: str | None = None
    type: Literal["agentMessage"] = "agentMessage"


@dataclass
class ReasoningItem(Sent):
    id: str
    summary: list[str] = field(default_factory=list)
    content: list[str] = field(default_factory=list)
    type: Literal["reasoning"] = "reasoning"


@dataclass
class CommandAction:
    """A best-effort reading of what a command does (`read`, `listFiles`, `search`, `unknown`)."""

    type: Literal["read", "listFiles", "search", "unknown"]
    command: str
    name: str | None = None
    path: str | None = None
    query: str | None = None

    def wire(self) -> dict[str, Any]:
        """Only the fields this action type has (a `read` carries name and path)."""
        keep = {"read": ("name", "path"), "listFiles": ("path",), "search": ("path", "query")}
        out: dict[str, Any] = {"type": self.type, "command": self.command}
        for key in keep.get(self.type, ()):
            out[key] = getattr(self, key)
        return out


CommandStatus = Literal["inProgress", "completed", "failed", "declined"]


@dataclass
class CommandExecutionItem(Sent):
    id: str
    command: str
    cwd: str
    status: CommandStatus
    command_actions: list[dict[str, Any]] = field(default_factory=list)
    aggregated_output: str | None = None
    exit_code: int | None = None
    duration_ms: int | None = None
    process_id: str | None = None
    source: Literal["agent", "userShell", "unifiedExecStartup", "unifiedExecInteraction"] = "agent"
    type: Literal["commandExecution"] = "commandExecution"

    def wire(self) -> dict[str, Any]:
        """The item with its actions in their own shapes."""
        data = super().wire()
        data["commandActions"] = [CommandAction(**a).wire() for a in self.command_actions]
        return data


@dataclass
class PatchChangeKind:
    type: Literal["add", "delete", "update"]
    move_path: str | None = None

    def wire(self) -> dict[str, Any]:
        """`move_path` only on updates, as Codex's schema has it."""
        if self.type == "update":
            return {"type": "update", "move_path": self.move_path}
        return {"type": self.type}


@dataclass
class FileUpdateChange(Sent):
    path: str
    kind: PatchChangeKind
    diff: str


@dataclass
class FileChangeItem(Sent):
    id: str
    changes: list[FileUpdateChange]
    status: Literal["inProgress", "completed", "failed", "declined"]
    type: Literal["fileChange"] = "fileChange"


@dataclass
class McpToolCallItem(Sent):
    id: str
    server: str
    tool: str
    status: Literal["inProgress", "completed", "failed"]
    arguments: Any = None
    result: dict[str, Any] | None = None
    error: dict[str, str] | None = None
    duration_ms: int | None = None
    type: Literal["mcpToolCall"] = "mcpToolCall"


@dataclass
class WebSearchItem(Sent):
    id: str
    query: str
    action: dict[str, Any] | None = None
    type: Literal["webSearch"] = "webSearch"


@dataclass
class ImageViewItem(Sent):
    id: str
    path: str
    type: Literal["imageView"] = "imageView"


@dataclass
class ContextCompactionItem(Sent):
    id: str
    type: Literal["contextCompaction"] = "contextCompaction"


# ---- review mode: the start and end of a review (review/start), each with its text ---------


@dataclass
class EnteredReviewModeItem(Sent):
    """A review began; `review` names what it looks at (the user-facing hint)."""

    id: str
    review: str
    type: Literal["enteredReviewMode"] = "enteredReviewMode"


@dataclass
class ExitedReviewModeItem(Sent):
    """A review ended; `review` is the review as rendered for the user."""

    id: str
    review: str
    type: Literal["exitedReviewMode"] = "exitedReviewMode"


ThreadItem = (
    UserMessageItem
    | AgentMessageItem
    | ReasoningItem
    | CommandExecutionItem
    | FileChangeItem
    | McpToolCallItem
    | WebSearchItem
    | ImageViewItem
    | ContextCompactionItem
    | EnteredReviewModeItem
    | ExitedReviewModeItem
)


def item_wire(item: ThreadItem) -> dict[str, Any]:
    """One item as sent."""
    return item.wire()


# ---- turns and threads -------------------------------------------------------------------

TurnStatus = Literal["completed", "interrupted", "failed", "inProgress"]


@dataclass
class TurnError(Sent):
    message: str
    codex_error_info: Any = None
    additional_details: str | None = None


@dataclass
class Turn(Sent):
    id: str
    status: TurnStatus
    items: list[ThreadItem] = field(default_factory=list)
    items_view: Literal["notLoaded", "summary", "full"] = "notLoaded"
    error: TurnError | None = None
    started_at: int | None = None
    completed_at: int | None = None
    duration_ms: int | None = None


@dataclass
class ThreadStatus:
    type: Literal["notLoaded", "idle", "systemError", "active"]
    active_flags: list[Literal["waitingOnApproval", "waitingOnUserInput"]] | None = None

    def wire(self) -> dict[str, Any]:
        """`activeFlags` only on `active`."""
        if self.type == "active":
            return {"type": "active", "activeFlags": list(self.active_flags or [])}
        return {"type": self.type}


@dataclass
class GitInfo(Sent):
    sha: str | None = None
    branch: str | None = None
    origin_url: str | None = None


@dataclass
class Thread(Sent):
    id: str
    session_id: str
    model_provider: str
    created_at: int
    updated_at: int
    status: ThreadStatus
    cwd: str
    cli_version: str
    forked_from_id: str | None = None
    parent_thread_id: str | None = None
    preview: str = ""
    ephemeral: bool = False
    model: str | None = None
    reasoning_effort: str | None = None
    recency_at: int | None = None
    path: str | None = None
    originator: str | None = None
    source: str = "appServer"
    thread_source: str | None = None
    agent_nickname: str | None = None
    agent_role: str | None = None
    git_info: GitInfo | None = None
    name: str | None = None
    project_id: str | None = None
    history_mode: Literal["legacy", "paginated"] = "legacy"
    turns: list[Turn] = field(default_factory=list)


@dataclass
class TokenUsageBreakdown(Sent):
    total_tokens: int = 0
    input_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_input_tokens: int = 0
    output_tokens: int = 0
    reasoning_output_tokens: int = 0


@dataclass
class ThreadTokenUsage(Sent):
    total: TokenUsageBreakdown
    last: TokenUsageBreakdown
    model_context_window: int | None = None
