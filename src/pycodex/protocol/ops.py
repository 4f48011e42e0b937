"""Ops: what a client asks of the agent (`Submission{id, op}`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field

from pycodex.protocol.base import WireModel
from pycodex.protocol.events import ReviewRequest
from pycodex.protocol.goals import ThreadGoalStatus
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


# ---- thread goals set by a client (Codex's app-server thread/goal/set and thread/goal/clear).
# Codex's core has no op for these (its app-server writes its goal store and calls the thread);
# pycodex's clients change the goal through these ops, and hear back through events.
class GoalBudget(WireModel):
    """A goal's new token budget; `tokens` None removes the budget."""

    tokens: int | None = None


class SetThreadGoal(WireModel):
    """Create the goal (needs `objective`) or change it; fields left None stay as they are.

    Answered with `thread_goal_updated` (turn_id None), or an `error` event saying why not.
    """

    type: Literal["set_thread_goal"] = "set_thread_goal"
    objective: str | None = None
    status: ThreadGoalStatus | None = None
    token_budget: GoalBudget | None = None


class ClearThreadGoal(WireModel):
    """Remove the goal: answered with `thread_goal_cleared` (cleared: whether there was one)."""

    type: Literal["clear_thread_goal"] = "clear_thread_goal"


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
    | UserInputAnswer
    | SetThreadGoal
    | ClearThreadGoal,
    Field(discriminator="type"),
]


class Submission(WireModel):
    """Client → agent."""

    id: str
    op: Op
