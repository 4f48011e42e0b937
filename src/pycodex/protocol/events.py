"""Events: what the agent tells its client (`Event{id, msg}`)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field

from pycodex.protocol.base import WireModel
from pycodex.protocol.goals import ThreadGoalCleared, ThreadGoalUpdated
from pycodex.protocol.models import WebSearchAction
from pycodex.protocol.policies import AskForApproval, ReasoningEffort, SandboxPolicy
from pycodex.protocol.usage import RateLimitSnapshot, TokenUsageInfo


class Duration(WireModel):
    """A span of time as Codex serialises it."""

    secs: int = 0
    nanos: int = 0

    @classmethod
    def of(cls, seconds: float) -> Duration:
        """A duration from seconds."""
        whole = int(seconds)
        return cls(secs=whole, nanos=round((seconds - whole) * 1e9))

    def seconds(self) -> float:
        """The duration in seconds."""
        return self.secs + self.nanos / 1e9


class CodexErrorInfo(StrEnum):
    CONTEXT_WINDOW_EXCEEDED = "context_window_exceeded"
    USAGE_LIMIT_EXCEEDED = "usage_limit_exceeded"
    HTTP_CONNECTION_FAILED = "http_connection_failed"
    RESPONSE_STREAM_CONNECTION_FAILED = "response_stream_connection_failed"
    INTERNAL_SERVER_ERROR = "internal_server_error"
    UNAUTHORIZED = "unauthorized"
    BAD_REQUEST = "bad_request"
    SANDBOX_ERROR = "sandbox_error"
    RESPONSE_STREAM_DISCONNECTED = "response_stream_disconnected"
    RESPONSE_TOO_MANY_FAILED_ATTEMPTS = "response_too_many_failed_attempts"
    OTHER = "other"


class ErrorEvent(WireModel):
    type: Literal["error"] = "error"
    message: str
    codex_error_info: CodexErrorInfo | None = None


class WarningEvent(WireModel):
    type: Literal["warning"] = "warning"
    message: str


class TaskStarted(WireModel):
    type: Literal["task_started"] = "task_started"
    model_context_window: int | None = None
    turn_id: str | None = None


class TaskComplete(WireModel):
    type: Literal["task_complete"] = "task_complete"
    last_agent_message: str | None = None
    turn_id: str | None = None


class TokenCount(WireModel):
    type: Literal["token_count"] = "token_count"
    info: TokenUsageInfo | None = None
    rate_limits: RateLimitSnapshot | None = None


class AgentMessage(WireModel):
    type: Literal["agent_message"] = "agent_message"
    message: str


class UserMessageKind(StrEnum):
    PLAIN = "plain"
    USER_INSTRUCTIONS = "user_instructions"
    ENVIRONMENT_CONTEXT = "environment_context"


class UserMessageEvent(WireModel):
    type: Literal["user_message"] = "user_message"
    message: str
    kind: UserMessageKind | None = None
    images: list[str] | None = None


class AgentMessageDelta(WireModel):
    type: Literal["agent_message_delta"] = "agent_message_delta"
    delta: str


class AgentReasoning(WireModel):
    type: Literal["agent_reasoning"] = "agent_reasoning"
    text: str


class AgentReasoningDelta(WireModel):
    type: Literal["agent_reasoning_delta"] = "agent_reasoning_delta"
    delta: str


class AgentReasoningRawContent(WireModel):
    type: Literal["agent_reasoning_raw_content"] = "agent_reasoning_raw_content"
    text: str


class AgentReasoningRawContentDelta(WireModel):
    type: Literal["agent_reasoning_raw_content_delta"] = "agent_reasoning_raw_content_delta"
    delta: str


class AgentReasoningSectionBreak(WireModel):
    type: Literal["agent_reasoning_section_break"] = "agent_reasoning_section_break"


class SessionConfigured(WireModel):
    type: Literal["session_configured"] = "session_configured"
    session_id: str
    model: str
    model_provider_id: str | None = None
    approval_policy: AskForApproval | None = None
    sandbox_policy: SandboxPolicy | None = None
    cwd: Path | None = None
    reasoning_effort: ReasoningEffort | None = None
    history_log_id: int = 0
    history_entry_count: int = 0
    initial_messages: list[EventMsg] | None = None
    rollout_path: Path | None = None


class McpInvocation(WireModel):
    server: str
    tool: str
    arguments: Any = None


class McpToolCallBegin(WireModel):
    type: Literal["mcp_tool_call_begin"] = "mcp_tool_call_begin"
    call_id: str
    invocation: McpInvocation
    mcp_app_resource_uri: str | None = None  # Codex's apps only; absent for plain servers


class McpToolCallEnd(WireModel):
    """`result` is `{"Ok": CallToolResult}` or `{"Err": message}` as Codex writes it."""

    type: Literal["mcp_tool_call_end"] = "mcp_tool_call_end"
    call_id: str
    invocation: McpInvocation
    mcp_app_resource_uri: str | None = None
    duration: Duration
    result: dict[str, Any]

    def is_success(self) -> bool:
        """Whether the call returned a result that is not an error."""
        ok = self.result.get("Ok")
        return isinstance(ok, dict) and not ok.get("isError", ok.get("is_error", False))


class WebSearchBegin(WireModel):
    type: Literal["web_search_begin"] = "web_search_begin"
    call_id: str


class WebSearchEnd(WireModel):
    """A hosted web search finished: `query` is the action's one-line detail."""

    type: Literal["web_search_end"] = "web_search_end"
    call_id: str
    query: str
    action: WebSearchAction = Field(default_factory=WebSearchAction)


class ParsedCommand(WireModel):
    """A summary of a command for UIs (`read`, `list_files`, `search`, `unknown`, ...)."""

    type: str = "unknown"
    cmd: str
    name: str | None = None
    path: str | None = None
    query: str | None = None


class ExecCommandSource(StrEnum):
    AGENT = "agent"
    USER_SHELL = "user_shell"
    UNIFIED_EXEC_STARTUP = "unified_exec_startup"
    UNIFIED_EXEC_INTERACTION = "unified_exec_interaction"


class ExecCommandBegin(WireModel):
    type: Literal["exec_command_begin"] = "exec_command_begin"
    call_id: str
    command: list[str]
    cwd: Path
    parsed_cmd: list[ParsedCommand] = Field(default_factory=list)
    source: ExecCommandSource = ExecCommandSource.AGENT
    process_id: str | None = None
    turn_id: str | None = None


class ExecOutputStream(StrEnum):
    STDOUT = "stdout"
    STDERR = "stderr"


class ExecCommandOutputDelta(WireModel):
    """`chunk` is the raw bytes, base64-encoded."""

    type: Literal["exec_command_output_delta"] = "exec_command_output_delta"
    call_id: str
    stream: ExecOutputStream
    chunk: str


class ExecCommandEnd(WireModel):
    type: Literal["exec_command_end"] = "exec_command_end"
    call_id: str
    stdout: str = ""
    stderr: str = ""
    aggregated_output: str = ""
    exit_code: int
    duration: Duration
    formatted_output: str = ""
    command: list[str] | None = None
    cwd: Path | None = None
    source: ExecCommandSource = ExecCommandSource.AGENT
    turn_id: str | None = None


class TerminalInteraction(WireModel):
    type: Literal["terminal_interaction"] = "terminal_interaction"
    call_id: str
    process_id: str
    stdin: str


class ViewImageToolCall(WireModel):
    type: Literal["view_image_tool_call"] = "view_image_tool_call"
    call_id: str
    path: Path


class ExecApprovalRequest(WireModel):
    type: Literal["exec_approval_request"] = "exec_approval_request"
    call_id: str
    command: list[str]
    cwd: Path
    reason: str | None = None
    parsed_cmd: list[ParsedCommand] = Field(default_factory=list)


class AddFileChange(WireModel):
    type: Literal["add"] = "add"
    content: str


class DeleteFileChange(WireModel):
    type: Literal["delete"] = "delete"
    content: str = ""


class UpdateFileChange(WireModel):
    type: Literal["update"] = "update"
    unified_diff: str
    move_path: Path | None = None


FileChange = Annotated[
    AddFileChange | DeleteFileChange | UpdateFileChange, Field(discriminator="type")
]


class ApplyPatchApprovalRequest(WireModel):
    type: Literal["apply_patch_approval_request"] = "apply_patch_approval_request"
    call_id: str
    changes: dict[Path, FileChange]
    reason: str | None = None
    grant_root: Path | None = None


class BackgroundEvent(WireModel):
    type: Literal["background_event"] = "background_event"
    message: str


class StreamError(WireModel):
    type: Literal["stream_error"] = "stream_error"
    message: str
    codex_error_info: CodexErrorInfo | None = None


class PatchApplyBegin(WireModel):
    type: Literal["patch_apply_begin"] = "patch_apply_begin"
    call_id: str
    auto_approved: bool
    changes: dict[Path, FileChange]
    turn_id: str | None = None


class PatchApplyEnd(WireModel):
    type: Literal["patch_apply_end"] = "patch_apply_end"
    call_id: str
    stdout: str
    stderr: str
    success: bool
    changes: dict[Path, FileChange] | None = None
    turn_id: str | None = None


class TurnDiff(WireModel):
    type: Literal["turn_diff"] = "turn_diff"
    unified_diff: str


class HistoryEntry(WireModel):
    conversation_id: str
    ts: int
    text: str


class GetHistoryEntryResponse(WireModel):
    type: Literal["get_history_entry_response"] = "get_history_entry_response"
    offset: int
    log_id: int
    entry: HistoryEntry | None = None


class McpListToolsResponse(WireModel):
    """Every tool of the running MCP servers by its flat name (`mcp__<server>__<tool>`), as the
    server describes it; resources are not listed yet; auth status per server in Codex's words
    (`unsupported`, `not_logged_in`, `bearer_token`, `o_auth`)."""

    type: Literal["mcp_list_tools_response"] = "mcp_list_tools_response"
    tools: dict[str, Any]
    resources: dict[str, list[Any]] = Field(default_factory=dict)
    resource_templates: dict[str, list[Any]] = Field(default_factory=dict)
    auth_statuses: dict[str, str] = Field(default_factory=dict)


class CustomPrompt(WireModel):
    name: str
    path: Path
    content: str


class ListCustomPromptsResponse(WireModel):
    type: Literal["list_custom_prompts_response"] = "list_custom_prompts_response"
    custom_prompts: list[CustomPrompt]


class StepStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class PlanItem(WireModel):
    step: str
    status: StepStatus


class UpdatePlanArgs(WireModel):
    """The `update_plan` tool's arguments, also the `plan_update` payload."""

    explanation: str | None = None
    plan: list[PlanItem]


class PlanUpdate(UpdatePlanArgs):
    type: Literal["plan_update"] = "plan_update"


class TurnAbortReason(StrEnum):
    INTERRUPTED = "interrupted"
    REPLACED = "replaced"
    REVIEW_ENDED = "review_ended"


class TurnAborted(WireModel):
    type: Literal["turn_aborted"] = "turn_aborted"
    reason: TurnAbortReason
    turn_id: str | None = None


class ShutdownComplete(WireModel):
    type: Literal["shutdown_complete"] = "shutdown_complete"


class ConversationPath(WireModel):
    type: Literal["conversation_path"] = "conversation_path"
    conversation_id: str
    path: Path


# ---- review mode: what to review (Codex's `ReviewTarget`, tagged by `type`), the request, and
# the reviewer's structured answer.
class UncommittedChangesTarget(WireModel):
    """Staged, unstaged and untracked changes of the working tree."""

    type: Literal["uncommittedChanges"] = "uncommittedChanges"


class BaseBranchTarget(WireModel):
    """What the current branch would merge into `branch` (the diff against their merge base)."""

    type: Literal["baseBranch"] = "baseBranch"
    branch: str


class CommitTarget(WireModel):
    """The changes one commit introduced; `title` is shown with it."""

    type: Literal["commit"] = "commit"
    sha: str
    title: str | None = None


class CustomTarget(WireModel):
    """Free-form review instructions."""

    type: Literal["custom"] = "custom"
    instructions: str


ReviewTarget = Annotated[
    UncommittedChangesTarget | BaseBranchTarget | CommitTarget | CustomTarget,
    Field(discriminator="type"),
]


class ReviewRequest(WireModel):
    target: ReviewTarget
    user_facing_hint: str | None = None


# Codex's field types: line numbers are u32, the priority an i32, and every field is required,
# so an answer missing one is not a structured review.
_U32 = Annotated[int, Field(ge=0, le=2**32 - 1)]
_I32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
_F32 = Annotated[float, Field(allow_inf_nan=False)]  # JSON has no NaN


class ReviewLineRange(WireModel):
    start: _U32
    end: _U32


class ReviewCodeLocation(WireModel):
    absolute_file_path: Path
    line_range: ReviewLineRange


class ReviewFinding(WireModel):
    title: str
    body: str
    confidence_score: _F32
    priority: _I32
    code_location: ReviewCodeLocation


class ReviewOutputEvent(WireModel):
    findings: list[ReviewFinding]
    overall_correctness: str
    overall_explanation: str
    overall_confidence_score: _F32


class EnteredReviewMode(ReviewRequest):
    type: Literal["entered_review_mode"] = "entered_review_mode"


class ExitedReviewMode(WireModel):
    type: Literal["exited_review_mode"] = "exited_review_mode"
    review_output: ReviewOutputEvent | None = None


class ContextCompacted(WireModel):
    type: Literal["context_compacted"] = "context_compacted"


# ---- request_user_input: the model asks the person questions (answered by the
# `user_input_answer` op). Field names are Codex's, camelCase ones included.
class RequestUserInputOption(WireModel):
    """One suggested answer to a question."""

    label: str
    description: str


class RequestUserInputQuestion(WireModel):
    """One question the model asks, with the choices it suggests."""

    id: str
    header: str
    question: str
    isOther: bool = False  # the client offers a free-text answer besides the options
    isSecret: bool = False  # the client hides what the user types
    options: list[RequestUserInputOption] | None = None


class RequestUserInputEvent(WireModel):
    """The model waits for the user's answers; `turn_id` is the id to answer with."""

    type: Literal["request_user_input"] = "request_user_input"
    call_id: str
    turn_id: str = ""
    questions: list[RequestUserInputQuestion]


EventMsg = Annotated[
    ErrorEvent
    | WarningEvent
    | TaskStarted
    | TaskComplete
    | TokenCount
    | AgentMessage
    | UserMessageEvent
    | AgentMessageDelta
    | AgentReasoning
    | AgentReasoningDelta
    | AgentReasoningRawContent
    | AgentReasoningRawContentDelta
    | AgentReasoningSectionBreak
    | SessionConfigured
    | McpToolCallBegin
    | McpToolCallEnd
    | WebSearchBegin
    | WebSearchEnd
    | ExecCommandBegin
    | ExecCommandOutputDelta
    | ExecCommandEnd
    | TerminalInteraction
    | ViewImageToolCall
    | ExecApprovalRequest
    | ApplyPatchApprovalRequest
    | BackgroundEvent
    | StreamError
    | PatchApplyBegin
    | PatchApplyEnd
    | TurnDiff
    | GetHistoryEntryResponse
    | McpListToolsResponse
    | ListCustomPromptsResponse
    | PlanUpdate
    | TurnAborted
    | ShutdownComplete
    | ConversationPath
    | EnteredReviewMode
    | ExitedReviewMode
    | ContextCompacted
    | RequestUserInputEvent
    | ThreadGoalUpdated
    | ThreadGoalCleared,
    Field(discriminator="type"),
]


class Event(WireModel):
    """Agent → client: `id` is the submission this event belongs to."""

    id: str
    msg: EventMsg

