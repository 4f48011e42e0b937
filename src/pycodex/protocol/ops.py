"""Ops: what a client asks of the agent (`Submission{id, op}`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field

from pycodex.protocol.base import WireModel
from pycodex.protocol.events import ReviewRequest
from pycodex.protocol.inputs import InputItem
from pycodex.protocol.policies import (
    AskForApproval,
    ReasoningEffort,
    ReasoningSummary,
    ReviewDecision,
    SandboxPolicy,
)


class Interrupt(WireModel):
    type: Literal["interrupt"] = "interrupt"


class UserInput(WireModel):
    type: Literal["user_input"] = "user_input"
    items: list[InputItem]


class UserTurn(WireModel):
    type: Literal["user_turn"] = "user_turn"
    items: list[InputItem]
    cwd: Path
    approval_policy: AskForApproval
    sandbox_policy: SandboxPolicy
    model: str
    effort: ReasoningEffort | None = None
    summary: ReasoningSummary | None = None  # None: the session's (configured or the model's default)
    final_output_json_schema: Any = None


class OverrideTurnContext(WireModel):
    type: Literal["override_turn_context"] = "override_turn_context"
    cwd: Path | None = None
    approval_policy: AskForApproval | None = None
    sandbox_policy: SandboxPolicy | None = None
    model: str | None = None
    effort: ReasoningEffort | None = None
    summary: ReasoningSummary | None = None


class ExecApproval(WireModel):
    """`id` is the submission id carried by the `exec_approval_request` event."""

    type: Literal["exec_approval"] = "exec_approval"
    id: str
    decision: ReviewDecision


class PatchApproval(WireModel):
    type: Literal["patch_approval"] = "patch_approval"
    id: str
    decision: ReviewDecision


class AddToHistory(WireModel):
    type: Literal["add_to_history"] = "add_to_history"
    text: str


class GetHistoryEntryRequest(WireModel):
    type: Literal["get_history_entry_request"] = "get_history_entry_request"
    offset: int
    log_id: int


class GetPath(WireModel):
    type: Literal["get_path"] = "get_path"


class ListMcpTools(WireModel):
    type: Literal["list_mcp_tools"] = "list_mcp_tools"


class ListCustomPrompts(WireModel):
    type: Literal["list_custom_prompts"] = "list_custom_prompts"


class Compact(WireModel):
    type: Literal["compact"] = "compact"


class Review(WireModel):
    type: Literal["review"] = "review"
    review_request: ReviewRequest


class Shutdown(WireModel):
    type: Literal["shutdown"] = "shutdown"


# ---- user_input_answer: the user's answers to a `request_user_input` event.
class RequestUserInputAnswer(WireModel):
    """The answers to one question: chosen labels and/or free text."""

    answers: list[str]


class RequestUserInputResponse(WireModel):
    """Answers by question id; what the model reads back, as JSON."""

    answers: dict[str, RequestUserInputAnswer]


class UserInputAnswer(WireModel):
    """`id` is the turn id carried by the `request_user_input` event (its submission id).

    Codex also takes the older tag `request_user_input_response`.
    """

    type: Literal["user_input_answer", "request_user_input_response"] = "user_input_answer"
    id: str
    response: RequestUserInputResponse


Op = Annotated[
    Interrupt
    | UserInput
    | UserTurn
    | OverrideTurnContext
    | ExecApproval
    | PatchApproval
    | AddToHistory
    | GetHistoryEntryRequest
    | GetPath
    | ListMcpTools
    | ListCustomPrompts
    | Compact
    | Review
    | Shutdown
    | UserInputAnswer,
    Field(discriminator="type"),
]


class Submission(WireModel):
    """Client → agent."""

    id: str
    op: Op
