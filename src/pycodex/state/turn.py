"""Turn-scoped state: the running task(s) of a turn and what belongs to that turn only.

A turn's life, as `TurnSlot` enforces it (no method awaits, so each step is atomic on the
session's event loop):

    start ──► running ──► finishing ──► gone          (task_complete)
                 └───────────────────────► gone       (turn_aborted)

Input submitted while a task is running is queued in its `TurnState`. A task may enter
`finishing` only when no input is queued (otherwise it folds the input into the turn), and a
finishing turn accepts no more input: what arrives then starts the next turn. An abort takes
the running tasks and hands back queued input, so nothing submitted is ever dropped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import TYPE_CHECKING

from pycodex.protocol.models import ResponseItem
from pycodex.protocol.ops import RequestUserInputResponse
from pycodex.protocol.policies import ReviewDecision

if TYPE_CHECKING:
    from pycodex.context.diff_tracker import TurnDiffTracker


class TaskKind(StrEnum):
    REGULAR = "regular"
    REVIEW = "review"
    COMPACT = "compact"


@dataclass
class RunningTask:
    """A task the session runs for one submission: its kind, cancel handle and phase."""

    sub_id: str
    kind: TaskKind
    handle: asyncio.Task[None]
    finishing: bool = False


class FinishStatus(Enum):
    """What `TurnSlot.begin_finish` decided."""

    FINISHING = "finishing"  # the task may report task_complete
    INPUT_PENDING = "input_pending"  # input arrived: the task must take it and go on
    GONE = "gone"  # the task was aborted meanwhile; the abort reported it


class TurnState:
    """Everything that belongs to one turn; created with the turn, dropped at its end."""

    def __init__(self, diff_tracker: TurnDiffTracker | None = None) -> None:
        self.diff_tracker = diff_tracker
        self.last_agent_message: str | None = None
        # Set by an automatic compaction until the next model response: a second one in a row
        # means the history cannot get under the limit.
        self.auto_compacted = False
        self._pending_input: list[ResponseItem] = []
        self._pending_approvals: dict[str, asyncio.Future[ReviewDecision]] = {}
        # request_user_input waiters by turn id; None means the turn ended unanswered.
        self._pending_user_input: dict[str, asyncio.Future[RequestUserInputResponse | None]] = {}

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

    # -- request_user_input
    def insert_pending_user_input(self, key: str) -> asyncio.Future[RequestUserInputResponse | None]:
        """Register a waiter for the user's answers; a previous waiter on the key gets none."""
        old = self._pending_user_input.pop(key, None)
        if old is not None and not old.done():
            old.set_result(None)
        fut: asyncio.Future[RequestUserInputResponse | None] = (
            asyncio.get_running_loop().create_future()
        )
        self._pending_user_input[key] = fut
        return fut

    def resolve_pending_user_input(self, key: str, response: RequestUserInputResponse) -> bool:
        """Deliver the user's answers; False when no question waits on the key."""
        fut = self._pending_user_input.pop(key, None)
        if fut is None or fut.done():
            return False
        fut.set_result(response)
        return True

    def clear_pending(self) -> list[ResponseItem]:
        """Turn cleanup: waiting approvals resolve as denied, waiting questions as unanswered;
        returns the queued input."""
        for fut in self._pending_approvals.values():
            if not fut.done():
                fut.set_result(ReviewDecision.DENIED)
        self._pending_approvals.clear()
        for question in self._pending_user_input.values():
            if not question.done():
                question.set_result(None)
        self._pending_user_input.clear()
        return self.take_pending_input()


@dataclass
class ActiveTurn:
    """The running turn: its tasks keyed by submission id, and its TurnState."""

    turn_state: TurnState
    tasks: dict[str, RunningTask] = field(default_factory=dict)

    def add_task(self, task: RunningTask) -> None:
        """Register a task of this turn."""
        self.tasks[task.sub_id] = task

    def remove_task(self, sub_id: str) -> bool:
        """Drop a finished task; True when the turn has no tasks left."""
        self.tasks.pop(sub_id, None)
        return not self.tasks

    def accepts_input(self) -> bool:
        """A turn takes input while some task runs and none is finishing."""
        return bool(self.tasks) and not any(t.finishing for t in self.tasks.values())


@dataclass
class TakenTurn:
    """What an abort took out of the turn slot."""

    aborted: list[RunningTask]  # were running: cancel them, report turn_aborted
    finishing: list[RunningTask]  # already reporting task_complete: let them end
    leftover_input: list[ResponseItem]  # queued, never sent to the model


class TurnSlot:
    """Holds the session's one ActiveTurn (or none) behind a small, atomic API."""

    def __init__(self) -> None:
        self._turn: ActiveTurn | None = None

    def start(self, task: RunningTask, state: TurnState) -> None:
        """Install a fresh ActiveTurn (and its TurnState) for a task."""
        assert self._turn is None or not self._turn.tasks, "a turn is already running"
        turn = ActiveTurn(turn_state=state)
        turn.add_task(task)
        self._turn = turn

    def is_running(self) -> bool:
        """Whether a turn with at least one task is active."""
        return self._turn is not None and bool(self._turn.tasks)

    def turn_state(self) -> TurnState | None:
        """The active turn's state, if any."""
        return self._turn.turn_state if self._turn else None

    def tasks(self) -> Iterator[RunningTask]:
        """The active turn's tasks (running and finishing)."""
        return iter(list(self._turn.tasks.values()) if self._turn else [])

    def inject_input(self, items: list[ResponseItem]) -> bool:
        """Queue input into the running turn; False when no turn takes input."""
        if self._turn is None or not self._turn.accepts_input():
            return False
        self._turn.turn_state.push_pending_input(items)
        return True

    def take_pending_input(self) -> list[ResponseItem]:
        """Drain the running turn's queued input."""
        return self._turn.turn_state.take_pending_input() if self._turn else []

    def begin_finish(self, sub_id: str) -> FinishStatus:
        """A task is done: it may finish only if no input waits for it."""
        if self._turn is None or sub_id not in self._turn.tasks:
            return FinishStatus.GONE
        if self._turn.turn_state.has_pending_input():
            return FinishStatus.INPUT_PENDING
        self._turn.tasks[sub_id].finishing = True
        return FinishStatus.FINISHING

    def finish_task(self, sub_id: str) -> bool:
        """A finishing task reported completion; drops the turn when it was the last task."""
        if self._turn is None or sub_id not in self._turn.tasks:
            return False
        if self._turn.remove_task(sub_id):
            self._turn.turn_state.clear_pending()  # nothing can be queued: finishing took none
            self._turn = None
        return True

    def take_all(self) -> TakenTurn:
        """Abort path: take the running tasks, deny approvals, hand back queued input."""
        if self._turn is None:
            return TakenTurn([], [], [])
        leftover = self._turn.turn_state.clear_pending()
        aborted = [t for t in self._turn.tasks.values() if not t.finishing]
        for t in aborted:
            self._turn.remove_task(t.sub_id)
        finishing = list(self._turn.tasks.values())
        if not finishing:
            self._turn = None
        return TakenTurn(aborted, finishing, leftover)
