"""Thread goals as Codex puts them on the wire: the goal itself and its update event.

Codex serialises both with camelCase field names (`tokenBudget`, `timeUsedSeconds`, ...),
inside the snake_case event tag `thread_goal_updated`; a goal without a budget has no
`tokenBudget` key at all.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import ConfigDict
from pydantic.alias_generators import to_camel

from pycodex.protocol.base import WireModel


class ThreadGoalStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    BLOCKED = "blocked"
    USAGE_LIMITED = "usageLimited"
    BUDGET_LIMITED = "budgetLimited"
    COMPLETE = "complete"


class _CamelModel(WireModel):
    model_config = ConfigDict(
        extra="ignore",
        populate_by_name=True,
        defer_build=True,
        alias_generator=to_camel,
        serialize_by_alias=True,
    )


class ThreadGoal(_CamelModel):
    """One thread's goal: what to achieve, its status, and what it has cost so far."""

    thread_id: str
    objective: str
    status: ThreadGoalStatus
    token_budget: int | None = None
    tokens_used: int = 0
    time_used_seconds: int = 0
    created_at: int = 0
    updated_at: int = 0

    def remaining_tokens(self) -> int | None:
        """Budget left (never below zero), or None without a budget."""
        if self.token_budget is None:
            return None
        return max(self.token_budget - self.tokens_used, 0)


class ThreadGoalUpdated(_CamelModel):
    """The goal was created, changed status, or had usage counted against it."""

    type: Literal["thread_goal_updated"] = "thread_goal_updated"
    thread_id: str
    turn_id: str | None = None
    goal: ThreadGoal


class ThreadGoalCleared(_CamelModel):
    """The goal was removed (a client cleared it); recorded so a resume does not bring it back.

    Codex 0.169 keeps goals in its state database and has no such rollout line; newer Codex
    versions record one under this tag.
    """

    type: Literal["thread_goal_cleared"] = "thread_goal_cleared"
    thread_id: str
    turn_id: str | None = None
