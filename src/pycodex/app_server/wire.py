"""The app-server's v2 wire types (threads, turns, items, inputs), named as Codex's v2 schema.

Field names are camelCase on the wire (a few are snake_case in Codex's schema and carry an
explicit alias). Nulls are kept when sent, as Codex sends them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

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


# ---- items -------------------------------------------------------------------------------


class UserMessageItem(V2):
    type: Literal["userMessage"] = "userMessage"
    id: str
    content: list[UserInput]
    client_id: str | None = None


class AgentMessageItem(V2):
    type: Literal["agentMessage"] = "agentMessage"
    id: str
    text: str
    phase: str | None = None


class ReasoningItem(V2):
    type: Literal["reasoning"] = "reasoning"
    id: str
    summary: list[str] = Field(default_factory=list)
    content: list[str] = Field(default_factory=list)


class CommandAction(V2):
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


class CommandExecutionItem(V2):
    type: Literal["commandExecution"] = "commandExecution"
    id: str
    command: str
    cwd: str
    command_actions: list[dict[str, Any]] = Field(default_factory=list)
    status: CommandStatus
    aggregated_output: str | None = None
    exit_code: int | None = None
    duration_ms: int | None = None
    process_id: str | None = None
    source: Literal["agent", "userShell", "unifiedExecStartup", "unifiedExecInteraction"] = "agent"


class PatchChangeKind(V2):
    type: Literal["add", "delete", "update"]
    move_path: str | None = Field(default=None, alias="move_path")

    def wire(self) -> dict[str, Any]:
        """`move_path` only on updates, as Codex's schema has it."""
        if self.type == "update":
            return {"type": "update", "move_path": self.move_path}
        return {"type": self.type}


class FileUpdateChange(V2):
    path: str
    kind: PatchChangeKind
    diff: str

    def wire(self) -> dict[str, Any]:
        """The change, its kind in Codex's shape."""
        return {"path": self.path, "kind": self.kind.wire(), "diff": self.diff}


class FileChangeItem(V2):
    type: Literal["fileChange"] = "fileChange"
    id: str
    changes: list[FileUpdateChange]
    status: Literal["inProgress", "completed", "failed", "declined"]

    def wire(self) -> dict[str, Any]:
        """The item with each change in Codex's shape."""
        return {
            "type": self.type,
            "id": self.id,
            "changes": [c.wire() for c in self.changes],
            "status": self.status,
        }


class McpToolCallItem(V2):
    type: Literal["mcpToolCall"] = "mcpToolCall"
    id: str
    server: str
    tool: str
    arguments: Any = None
    status: Literal["inProgress", "completed", "failed"]
    result: dict[str, Any] | None = None
    error: dict[str, str] | None = None
    duration_ms: int | None = None


class WebSearchItem(V2):
    type: Literal["webSearch"] = "webSearch"
    id: str
    query: str
    action: dict[str, Any] | None = None


class ImageViewItem(V2):
    type: Literal["imageView"] = "imageView"
    id: str
    path: str


class ContextCompactionItem(V2):
    type: Literal["contextCompaction"] = "contextCompaction"
    id: str


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
)


def item_wire(item: ThreadItem) -> dict[str, Any]:
    """One item as sent (command actions in their own shape)."""
    data = item.wire()
    if isinstance(item, CommandExecutionItem):
        data["commandActions"] = [CommandAction(**a).wire() for a in item.command_actions]
    return data


# ---- turns and threads -------------------------------------------------------------------

TurnStatus = Literal["completed", "interrupted", "failed", "inProgress"]


class TurnError(V2):
    message: str
    codex_error_info: Any = None
    additional_details: str | None = None


class Turn(V2):
    id: str
    items: list[ThreadItem] = Field(default_factory=list)
    items_view: Literal["notLoaded", "summary", "full"] = "notLoaded"
    status: TurnStatus
    error: TurnError | None = None
    started_at: int | None = None
    completed_at: int | None = None
    duration_ms: int | None = None

    def wire(self) -> dict[str, Any]:
        """The turn with its items in their own shapes."""
        data = super().wire()
        data["items"] = [item_wire(i) for i in self.items]
        return data


class ThreadStatus(V2):
    type: Literal["notLoaded", "idle", "systemError", "active"]
    active_flags: list[Literal["waitingOnApproval", "waitingOnUserInput"]] | None = None

    def wire(self) -> dict[str, Any]:
        """`activeFlags` only on `active`."""
        if self.type == "active":
            return {"type": "active", "activeFlags": list(self.active_flags or [])}
        return {"type": self.type}


class GitInfo(V2):
    sha: str | None = None
    branch: str | None = None
    origin_url: str | None = None


class Thread(V2):
    id: str
    session_id: str
    forked_from_id: str | None = None
    parent_thread_id: str | None = None
    preview: str = ""
    ephemeral: bool = False
    model_provider: str
    model: str | None = None
    reasoning_effort: str | None = None
    created_at: int
    updated_at: int
    recency_at: int | None = None
    status: ThreadStatus
    path: str | None = None
    cwd: str
    cli_version: str
    originator: str | None = None
    source: str = "appServer"
    thread_source: str | None = None
    agent_nickname: str | None = None
    agent_role: str | None = None
    git_info: GitInfo | None = None
    name: str | None = None
    project_id: str | None = None
    history_mode: Literal["legacy", "paginated"] = "legacy"
    turns: list[Turn] = Field(default_factory=list)

    def wire(self) -> dict[str, Any]:
        """The thread with its status and turns in their own shapes."""
        data = super().wire()
        data["status"] = self.status.wire()
        data["turns"] = [t.wire() for t in self.turns]
        return data


class TokenUsageBreakdown(V2):
    total_tokens: int = 0
    input_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_input_tokens: int = 0
    output_tokens: int = 0
    reasoning_output_tokens: int = 0


class ThreadTokenUsage(V2):
    total: TokenUsageBreakdown
    last: TokenUsageBreakdown
    model_context_window: int | None = None
