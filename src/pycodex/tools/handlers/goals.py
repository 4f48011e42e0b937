"""`get_goal`, `create_goal`, `update_goal`: the model reads and steers the thread's goal.

The answers are Codex 0.169's: compact JSON `{"goal", "remainingTokens",
"completionBudgetReport"}`, and plain-text errors the model can act on.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pycodex.protocol.goals import ThreadGoal, ThreadGoalStatus
from pycodex.state.goals import GoalError
from pycodex.tools.context import RespondToModel, ToolInvocation, ToolOutput
from pycodex.tools.handlers.goal_args import ArgsError, parse_create_goal, parse_update_goal

T = TypeVar("T")

GOAL_TOOL_NAMES = ("get_goal", "create_goal", "update_goal")

# The statuses the model may set; the rest belong to the user and the system.
MODEL_SETTABLE = frozenset(
    {ThreadGoalStatus.COMPLETE, ThreadGoalStatus.BLOCKED, ThreadGoalStatus.PAUSED}
)
UPDATE_REFUSED = (
    "update_goal can only mark the existing goal complete, blocked, or paused at the user's "
    "explicit request; resume, budget-limited, and usage-limited status changes are controlled "
    "by the user or system"
)
# Codex's tool output for a completed goal that had a budget or took time (its exact text).
COMPLETION_BUDGET_REPORT = (
    "Goal achieved. Report final usage from this tool result's structured goal fields. "
    "If `goal.tokenBudget` is present, include token usage from `goal.tokensUsed` and "
    "`goal.tokenBudget`. If `goal.timeUsedSeconds` is greater than 0, summarize elapsed time "
    "in a concise, human-friendly form appropriate to the response language."
)


def goal_response(goal: ThreadGoal | None, *, completing: bool = False) -> str:
    """The tool output for a goal (or none): compact JSON, keys in Codex's order."""
    report = None
    if completing and goal is not None and goal.status is ThreadGoalStatus.COMPLETE and (
        goal.token_budget is not None or goal.time_used_seconds > 0
    ):
        report = COMPLETION_BUDGET_REPORT
    body = {
        "goal": goal.model_dump(mode="json", exclude_none=True) if goal else None,
        "remainingTokens": goal.remaining_tokens() if goal else None,
        "completionBudgetReport": report,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


class GoalHandler:
    """One handler for the three goal tools, told apart by the called name."""

    async def handle(self, inv: ToolInvocation) -> ToolOutput:
        """Read, create or update the goal."""
        if inv.name == "create_goal":
            args = _decoded(parse_create_goal, inv.payload)
            goal = await _changed(
                inv.session.create_thread_goal(inv.sub_id, args.objective, args.token_budget)
            )
            return ToolOutput(goal_response(goal))
        if inv.name == "update_goal":
            update = _decoded(parse_update_goal, inv.payload)
            if update.status not in MODEL_SETTABLE:
                raise RespondToModel(UPDATE_REFUSED)
            goal = await _changed(inv.session.set_thread_goal_status(inv.sub_id, update.status))
            return ToolOutput(goal_response(goal, completing=True))
        # get_goal takes no arguments and, like Codex, ignores whatever it is sent.
        return ToolOutput(goal_response(inv.session.thread_goal()))

    def parallel_safe(self, inv: ToolInvocation) -> bool:
        """Reading may run alongside other calls; changes keep their order."""
        return inv.name == "get_goal"


def _decoded(parse: Callable[[str], T], payload: str) -> T:
    try:
        return parse(payload)
    except ArgsError as e:
        raise RespondToModel(str(e)) from None


async def _changed(change: Awaitable[ThreadGoal]) -> ThreadGoal:
    try:
        return await change
    except GoalError as e:
        raise RespondToModel(str(e)) from None
