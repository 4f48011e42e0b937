"""Turn-scoped state: the running task(s) of a turn and what belongs to that turn only."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pycodex.protocol.models import ResponseItem
from pycodex.protocol.policies import ReviewDecision


class TaskKind(StrEnum):
    REGULAR = "regular"
    REVIEW = "review"
    COMPACT = "compact"


@dataclass
class RunningTask:
    """A task the session runs for one submission: its kind and its cancel handle."""

    sub_id: str
    kind: TaskKind
    handle: asyncio.Task[Any]
    turn_context: Any = None


class TurnState:
    """Pending input, approval waiters and bookkeeping of one turn; dropped at its end."""

    def __init__(self) -> None:
        self._pending_input: list[ResponseItem] = []
        self._pending_approvals: dict[str, asyncio.Future[ReviewDecision]] = {}
        self._bookkeeping: dict[str, Any] = {}

    # -- user input submitted while the turn runs
    def push_pending_input(self, items: list[ResponseItem]) -> None:
        """Queue input for the next model request of this turn."""
        self._pending_input.extend(items)

    def take_pending_input(self) -> list[ResponseItem]:
        """Drain the queued input."""
        items, self._pending_input = self._pending_input, []
        return items

    def has_pending_input(self) -> bool:
        """Whether input is waiting for the next request."""
        return bool(self._pending_input)

    # -- approvals
    def insert_pending_approval(self, key: str) -> asyncio.Future[ReviewDecision]:
        """Register a waiter for an approval; a previous waiter on the key is denied."""
        old = self._pending_approvals.pop(key, None)
        if old is not None and not old.done():
            old.set_result(ReviewDecision.DENIED)
        fut: asyncio.Future[ReviewDecision] = asyncio.get_running_loop().create_future()
        self._pending_approvals[key] = fut
        return fut

    def resolve_pending_approval(self, key: str, decision: ReviewDecision) -> bool:
        """Answer a waiting approval; False when nobody waits on the key."""
        fut = self._pending_approvals.pop(key, None)
        if fut is None or fut.done():
            return False
        fut.set_result(decision)
        return True

    def remove_pending_approval(self, key: str) -> None:
        """Forget a waiter (its caller gave up)."""
        self._pending_approvals.pop(key, None)

    # -- bookkeeping for the turn's tools (diff tracker, plan item, ...)
    def get(self, key: str) -> Any:
        """A turn-scoped value by name."""
        return self._bookkeeping.get(key)

    def set(self, key: str, value: Any) -> None:
        """Store a turn-scoped value by name."""
        self._bookkeeping[key] = value

    def clear_pending(self) -> None:
        """End of turn: waiting approvals resolve as denied, queued input is dropped."""
        for fut in self._pending_approvals.values():
            if not fut.done():
                fut.set_result(ReviewDecision.DENIED)
        self._pending_approvals.clear()
        self._pending_input.clear()


@dataclass
class ActiveTurn:
    """The running turn: its tasks keyed by submission id, and its TurnState."""

    tasks: dict[str, RunningTask] = field(default_factory=dict)
    turn_state: TurnState = field(default_factory=TurnState)

    def add_task(self, task: RunningTask) -> None:
        """Register a task of this turn."""
        self.tasks[task.sub_id] = task

    def remove_task(self, sub_id: str) -> bool:
        """Drop a finished task; True when the turn has no tasks left."""
        self.tasks.pop(sub_id, None)
        return not self.tasks

    def drain_tasks(self) -> list[RunningTask]:
        """Take every task out of the turn."""
        tasks = list(self.tasks.values())
        self.tasks.clear()
        return tasks


class TurnSlot:
    """Holds the session's one ActiveTurn (or none) behind a small API."""

    def __init__(self) -> None:
        self._turn: ActiveTurn | None = None

    def start(self, task: RunningTask) -> TurnState:
        """Install a fresh ActiveTurn for a task; returns its new TurnState."""
        turn = ActiveTurn()
        turn.add_task(task)
        self._turn = turn
        return turn.turn_state

    def is_running(self) -> bool:
        """Whether a turn with at least one task is active."""
        return self._turn is not None and bool(self._turn.tasks)

    def turn_state(self) -> TurnState | None:
        """The active turn's state, if any."""
        return self._turn.turn_state if self._turn else None

    def running_tasks(self) -> Iterator[RunningTask]:
        """The active turn's tasks."""
        return iter(list(self._turn.tasks.values()) if self._turn else [])

    def inject_input(self, items: list[ResponseItem]) -> bool:
        """Queue input into the running turn; False when no turn runs."""
        if not self.is_running():
            return False
        assert self._turn is not None
        self._turn.turn_state.push_pending_input(items)
        return True

    def take_pending_input(self) -> list[ResponseItem]:
        """Drain the running turn's queued input."""
        return self._turn.turn_state.take_pending_input() if self._turn else []

    def finish_task(self, sub_id: str) -> bool:
        """A task ended normally; drops the turn (and its state) when it was the last.

        Returns whether the task was still registered (an aborted one is not).
        """
        if self._turn is None or sub_id not in self._turn.tasks:
            return False
        if self._turn.remove_task(sub_id):
            self._turn.turn_state.clear_pending()
            self._turn = None
        return True

    def take_all(self) -> list[RunningTask]:
        """Abort path: clear the turn's pending state, drop it, return its tasks."""
        if self._turn is None:
            return []
        self._turn.turn_state.clear_pending()
        tasks = self._turn.drain_tasks()
        self._turn = None
        return tasks
