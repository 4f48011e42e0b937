"""The thread goal's ledger: one goal per thread, its status, and the usage counted against it.

Pure bookkeeping: the caller passes the clock and the session's cumulative token counts, so
every rule here is testable without a session. The rules and messages are Codex 0.169's:
- one goal at a time; a new one may replace only a `complete` goal;
- usage counts from the first response after the goal was created, as
  (input - cached input) + output tokens; `active` and `budgetLimited` goals accrue
  (a budget-limited goal still shows what the wrap-up costs), the others do not;
- an `active` goal whose tokens reach its budget becomes `budgetLimited`.
"""

from __future__ import annotations

from dataclasses import dataclass

from pycodex.protocol.goals import ThreadGoal, ThreadGoalStatus
from pycodex.protocol.usage import TokenUsage

OBJECTIVE_MAX_CHARS = 4000

NO_GOAL = "cannot update goal because this thread has no goal"
UNFINISHED_GOAL = (
    "cannot create a new goal because this thread has an unfinished goal; "
    "complete the existing goal first"
)
BUDGET_NOT_POSITIVE = "goal budgets must be positive when provided"
OBJECTIVE_EMPTY = "goal objective must not be empty"
OBJECTIVE_TOO_LONG = f"goal objective must be at most {OBJECTIVE_MAX_CHARS} characters"

_ACCRUING = frozenset({ThreadGoalStatus.ACTIVE, ThreadGoalStatus.BUDGET_LIMITED})


class GoalError(Exception):
    """A goal change that cannot be made; the message is meant for the model."""


def counted_tokens(total: TokenUsage | None) -> int:
    """The session's tokens as goals count them: cached input is free."""
    if total is None:
        return 0
    return total.input_tokens - total.cached_input_tokens + total.output_tokens


def _checked_objective(objective: str) -> str:
    objective = objective.strip()
    if not objective:
        raise GoalError(OBJECTIVE_EMPTY)
    if len(objective) > OBJECTIVE_MAX_CHARS:
        raise GoalError(OBJECTIVE_TOO_LONG)
    return objective


@dataclass(frozen=True)
class GoalChange:
    """A client's change to the goal: each field given is set, the others are kept."""

    objective: str | None = None
    status: ThreadGoalStatus | None = None
    token_budget: int | None = None
    budget_given: bool = False  # distinguishes "no budget" (None, given) from "unchanged"


@dataclass(frozen=True)
class Accounting:
    """What one accounting step did to the goal."""

    goal: ThreadGoal | None = None  # set when the goal changed
    budget_reached: bool = False  # the goal just became budget-limited


class GoalLedger:
    """The goal and the marks its usage is measured from."""

    def __init__(self) -> None:
        self._goal: ThreadGoal | None = None
        self._token_mark = 0  # counted_tokens at the last accounting
        self._clock: float | None = None  # monotonic time of the last accounting in a turn
        self._seconds = 0.0  # time_used_seconds, unrounded

    def goal(self) -> ThreadGoal | None:
        """A copy of the goal, if there is one."""
        return self._goal.model_copy() if self._goal else None

    def create(
        self, thread_id: str, objective: str, token_budget: int | None, *,
        counted: int, now: float, wall: int,
    ) -> ThreadGoal:
        """Start a new active goal; raises GoalError when Codex would refuse."""
        objective = _checked_objective(objective)
        if token_budget is not None and token_budget <= 0:
            raise GoalError(BUDGET_NOT_POSITIVE)
        if self._goal is not None and self._goal.status is not ThreadGoalStatus.COMPLETE:
            raise GoalError(UNFINISHED_GOAL)
        self._goal = ThreadGoal(
            thread_id=thread_id, objective=objective, status=ThreadGoalStatus.ACTIVE,
            token_budget=token_budget, created_at=wall, updated_at=wall,
        )
        # The response that asked for the goal is not charged to it.
        self._token_mark, self._clock, self._seconds = counted, now, 0.0
        return self._goal.model_copy()

    def set_status(self, status: ThreadGoalStatus, *, now: float, wall: int) -> ThreadGoal:
        """Change the goal's status; raises GoalError when there is no goal."""
        if self._goal is None:
            raise GoalError(NO_GOAL)
        self._add_time(now)
        self._goal = self._goal.model_copy(
            update={"status": status, "updated_at": wall, "time_used_seconds": int(self._seconds)}
        )
        return self._goal.model_copy()

    # ---- changes a client makes (Codex's thread/goal/set and thread/goal/clear) --------------
    def edit(
        self, thread_id: str, change: GoalChange, *, counted: int, now: float, wall: int,
    ) -> ThreadGoal:
        """Create the goal (an objective is needed) or change the one there is; usage so far
        is kept. Raises GoalError on a change Codex refuses."""
        objective = _checked_objective(change.objective) if change.objective is not None else None
        if change.budget_given and change.token_budget is not None and change.token_budget <= 0:
            raise GoalError(BUDGET_NOT_POSITIVE)
        if self._goal is None:
            if objective is None:
                raise GoalError(NO_GOAL)
            self._goal = ThreadGoal(
                thread_id=thread_id, objective=objective,
                status=change.status or ThreadGoalStatus.ACTIVE,
                token_budget=change.token_budget, created_at=wall, updated_at=wall,
            )
            self._token_mark, self._clock, self._seconds = counted, now, 0.0
            return self._goal.model_copy()
        self._add_time(now)
        goal = self._goal
        update: dict[str, object] = {"updated_at": wall, "time_used_seconds": int(self._seconds)}
        if objective is not None:
            update["objective"] = objective
        if change.budget_given:
            update["token_budget"] = change.token_budget
        if change.status is not None:
            update["status"] = change.status
        goal = goal.model_copy(update=update)
        # A budget already spent stops an active goal at once.
        if goal.status is ThreadGoalStatus.ACTIVE and goal.remaining_tokens() == 0:
            goal = goal.model_copy(update={"status": ThreadGoalStatus.BUDGET_LIMITED})
        self._goal = goal
        return goal.model_copy()

    def clear(self) -> bool:
        """Drop the goal; False when there was none."""
        had = self._goal is not None
        self._goal, self._clock, self._seconds = None, None, 0.0
        return had

    def restore(self, goal: ThreadGoal, *, counted: int) -> None:
        """Take the goal back from a rollout; usage already recorded is not counted again."""
        self._goal = goal.model_copy()
        self._token_mark, self._clock = counted, None
        self._seconds = float(goal.time_used_seconds)

    def account(self, *, counted: int, now: float, wall: int) -> Accounting:
        """Charge the goal with the tokens and time spent since the last accounting."""
        delta, self._token_mark = counted - self._token_mark, counted
        goal = self._goal
        if goal is None or goal.status not in _ACCRUING:
            self._clock = now
            return Accounting()
        before = int(self._seconds)
        self._add_time(now)
        tokens = goal.tokens_used + max(delta, 0)
        status = goal.status
        reached = (
            status is ThreadGoalStatus.ACTIVE
            and goal.token_budget is not None
            and tokens >= goal.token_budget
        )
        if reached:
            status = ThreadGoalStatus.BUDGET_LIMITED
        if tokens == goal.tokens_used and int(self._seconds) == before and not reached:
            return Accounting()
        self._goal = goal.model_copy(update={
            "tokens_used": tokens, "time_used_seconds": int(self._seconds),
            "status": status, "updated_at": wall,
        })
        return Accounting(goal=self._goal.model_copy(), budget_reached=reached)

    def pause_clock(self) -> None:
        """The turn ended: time between turns is not spent on the goal."""
        self._clock = None

    def _add_time(self, now: float) -> None:
        if self._clock is not None and self._goal is not None and self._goal.status in _ACCRUING:
            self._seconds += max(now - self._clock, 0.0)
        self._clock = now
