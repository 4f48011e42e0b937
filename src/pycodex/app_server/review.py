"""review/start: a review submitted to a thread is answered once the session has accepted or
refused its target, and its first events reach the client only after that answer.

The session checks the target itself (a git repository, the branch, the commit, non-empty
instructions) before it starts the review task; a refusal is one `error` event for the
submission before any `task_started`. So the server submits `ops.Review`, holds the
submission's first events, and answers the request from them: a JSON-RPC error for a refusal,
or the turn (with the review's hint) once `entered_review_mode` arrives. The held events are
then mapped as usual, after the reply, so `turn/started` never precedes it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from pycodex.app_server import wire as w
from pycodex.protocol import events as ev


@dataclass(frozen=True)
class Refused:
    """The session would not review the target; `message` says why, in one line."""

    message: str


@dataclass(frozen=True)
class Started:
    """The review runs; `hint` names its target for the user."""

    hint: str


@dataclass
class PendingReview:
    """A submitted review waiting for its verdict, and the events held meanwhile."""

    outcome: asyncio.Future[Refused | Started]
    replied: asyncio.Event = field(default_factory=asyncio.Event)
    held: list[ev.Event] = field(default_factory=list)


class ReviewStarts:
    """The reviews of one thread whose review/start has not been answered yet."""

    def __init__(self) -> None:
        self._pending: dict[str, PendingReview] = {}

    def expect(self, sub_id: str) -> PendingReview:
        """Hold the events of submission `sub_id` until its verdict is known and replied."""
        fut: asyncio.Future[Refused | Started] = asyncio.get_running_loop().create_future()
        pending = self._pending[sub_id] = PendingReview(fut)
        return pending

    async def take(self, event: ev.Event) -> list[ev.Event] | None:
        """What the pump maps now: None when the event is no held review's (map it as usual),
        else the events to map (none while still held; a refusal's error is never mapped)."""
        pending = self._pending.get(event.id)
        if pending is None:
            return None
        msg = event.msg
        if isinstance(msg, ev.ErrorEvent) and not pending.held:
            del self._pending[event.id]
            _settle(pending, Refused(msg.message))
            return []
        pending.held.append(event)
        if isinstance(msg, ev.TaskStarted):
            return []
        # entered_review_mode names the target; anything else (the review ended at once)
        # still means it was accepted.
        hint = (msg.user_facing_hint or "") if isinstance(msg, ev.EnteredReviewMode) else ""
        _settle(pending, Started(hint))
        await pending.replied.wait()
        del self._pending[event.id]
        return pending.held

    def fail_all(self, message: str) -> None:
        """The thread has stopped: every waiting review/start gets an error, held events go."""
        for pending in self._pending.values():
            _settle(pending, Refused(message))
            pending.replied.set()
        self._pending.clear()


def _settle(pending: PendingReview, outcome: Refused | Started) -> None:
    if not pending.outcome.done():
        pending.outcome.set_result(outcome)


def review_turn(turn_id: str, hint: str) -> w.Turn:
    """The turn review/start answers with: in progress, its one item the hint as the user's
    message (as Codex answers)."""
    message = w.UserMessageItem(id=turn_id, content=[w.TextUserInput(text=hint)] if hint else [])
    return w.Turn(id=turn_id, status="inProgress", items=[message])
