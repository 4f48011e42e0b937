"""Session-long state: history, approvals granted for the session, usage and limits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pycodex.protocol.goals import ThreadGoal, ThreadGoalStatus
from pycodex.protocol.models import ResponseItem
from pycodex.protocol.usage import RateLimitSnapshot, TokenUsage, TokenUsageInfo
from pycodex.state.goals import Accounting, GoalChange, GoalLedger, counted_tokens


class SessionState:
    """What outlives a turn. Methods copy on the way out so callers cannot alias internals."""

    def __init__(self) -> None:
        self._history: list[ResponseItem] = []
        self._approved_commands: set[tuple[str, ...]] = set()
        self._token_info: TokenUsageInfo | None = None
        self._rate_limits: RateLimitSnapshot | None = None
        self._stopped: str | None = None
        self._goal = GoalLedger()

    def mark_stopped(self, reason: str) -> None:
        """The session can no longer record its work; no new turn may start."""
        self._stopped = self._stopped or reason

    def stopped_reason(self) -> str | None:
        """Why the session stopped, if it did."""
        return self._stopped

    def record_items(self, items: Iterable[ResponseItem]) -> None:
        """Append items to the conversation history."""
        self._history.extend(items)

    def history_snapshot(self) -> list[ResponseItem]:
        """A copy of the history."""
        return list(self._history)

    def history_len(self) -> int:
        """Number of items in the history."""
        return len(self._history)

    def replace_history(self, items: Sequence[ResponseItem]) -> None:
        """Swap the whole history (compaction, resume)."""
        self._history = list(items)

    def add_approved_command(self, argv: Sequence[str]) -> None:
        """Remember a command the user approved for the rest of the session."""
        self._approved_commands.add(tuple(argv))

    def approved_commands(self) -> frozenset[tuple[str, ...]]:
        """Commands approved for the session."""
        return frozenset(self._approved_commands)

    def update_token_info(self, usage: TokenUsage, context_window: int | None) -> TokenUsageInfo:
        """Add one request's usage; returns the new cumulative info."""
        if self._token_info is None:
            info = TokenUsageInfo(
                total_token_usage=usage, last_token_usage=usage, model_context_window=context_window
            )
        else:
            info = self._token_info.appended(usage)
            info.model_context_window = context_window
        self._token_info = info
        return info

    def set_token_info(self, info: TokenUsageInfo | None) -> None:
        """Restore usage (resume)."""
        self._token_info = info

    def token_info(self) -> TokenUsageInfo | None:
        """Cumulative token usage so far."""
        return self._token_info

    def set_rate_limits(self, snapshot: RateLimitSnapshot) -> None:
        """Store the latest rate-limit snapshot."""
        self._rate_limits = snapshot

    def rate_limits(self) -> RateLimitSnapshot | None:
        """The latest rate-limit snapshot."""
        return self._rate_limits

    # ---- thread goal ------------------------------------------------------------------------
    def thread_goal(self) -> ThreadGoal | None:
        """The thread's goal, if it has one."""
        return self._goal.goal()

    def create_thread_goal(
        self, thread_id: str, objective: str, token_budget: int | None, *, now: float, wall: int
    ) -> ThreadGoal:
        """Start a goal, counted from the usage recorded so far; raises GoalError."""
        return self._goal.create(
            thread_id, objective, token_budget, counted=self._counted_tokens(), now=now, wall=wall
        )

    def set_thread_goal_status(
        self, status: ThreadGoalStatus, *, now: float, wall: int
    ) -> ThreadGoal:
        """Change the goal's status; raises GoalError without a goal."""
        return self._goal.set_status(status, now=now, wall=wall)

    def edit_thread_goal(
        self, thread_id: str, change: GoalChange, *, now: float, wall: int
    ) -> ThreadGoal:
        """A client creates or changes the goal; raises GoalError."""
        return self._goal.edit(thread_id, change, counted=self._counted_tokens(), now=now, wall=wall)

    def clear_thread_goal(self) -> bool:
        """Drop the goal; False when there was none."""
        return self._goal.clear()

    def restore_thread_goal(self, goal: ThreadGoal) -> None:
        """Take the goal back from a rollout (after the token usage was restored)."""
        self._goal.restore(goal, counted=self._counted_tokens())

    def account_thread_goal(self, *, now: float, wall: int, turn_ended: bool = False) -> Accounting:
        """Charge the goal with the usage recorded since the last accounting."""
        result = self._goal.account(counted=self._counted_tokens(), now=now, wall=wall)
        if turn_ended:
            self._goal.pause_clock()
        return result

    def _counted_tokens(self) -> int:
        return counted_tokens(self._token_info.total_token_usage if self._token_info else None)
