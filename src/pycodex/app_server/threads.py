"""A loaded thread: its conversation, the task pumping its events to the client, its turns."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pycodex.app_server import wire as w
from pycodex.app_server.connection import ClientGone, Connection
from pycodex.app_server.jsonrpc import INVALID_REQUEST, RpcError
from pycodex.app_server.mapping import ApprovalAsk, EventMapper, Notify, Out, UserInputAsk
from pycodex.app_server.params import TurnStartParams
from pycodex.app_server.review import Refused, ReviewStarts, review_turn
from pycodex.app_server.settings import apply_turn_overrides, input_items
from pycodex.protocol import events as ev
from pycodex.protocol import ops
from pycodex.protocol.goals import (
    ThreadGoal,
    ThreadGoalCleared,
    ThreadGoalStatus,
    ThreadGoalUpdated,
)
from pycodex.protocol.inputs import InputItem, TextInput
from pycodex.protocol.policies import ReviewDecision
from pycodex.session.conversation import Conversation
from pycodex.session.turn_settings import TurnSettings

log = logging.getLogger(__name__)

# The client's answer to an approval request → pycodex's decision. Anything else declines.
_DECISIONS = {
    "accept": ReviewDecision.APPROVED,
    "acceptForSession": ReviewDecision.APPROVED_FOR_SESSION,
    "decline": ReviewDecision.DENIED,
    "cancel": ReviewDecision.ABORT,
}


def decision_of(result: Any) -> ReviewDecision:
    """The decision in an approval answer; a missing or unknown one is a decline."""
    decision = result.get("decision") if isinstance(result, dict) else None
    if isinstance(decision, str):
        return _DECISIONS.get(decision, ReviewDecision.DENIED)
    if isinstance(decision, dict) and "acceptWithExecpolicyAmendment" in decision:
        return ReviewDecision.APPROVED  # no exec-policy file in pycodex: approved this once
    return ReviewDecision.DENIED


def answers_of(result: Any) -> ops.RequestUserInputResponse:
    """The answers in a requestUserInput result; anything malformed counts as no answer."""
    answers = result.get("answers") if isinstance(result, dict) else None
    if not isinstance(answers, dict):
        return ops.RequestUserInputResponse(answers={})
    try:
        return ops.RequestUserInputResponse.model_validate({"answers": answers})
    except ValueError:
        log.warning("malformed requestUserInput answer: %.200r", result)
        return ops.RequestUserInputResponse(answers={})


def now_ms() -> int:
    """Wall-clock milliseconds."""
    return time.time_ns() // 1_000_000


@dataclass
class ThreadInfo:
    """What a Thread object shows that the session does not change."""

    id: str
    cwd: str
    created_at: int
    model_provider: str
    path: str | None
    ephemeral: bool
    originator: str
    source: str
    preview: str = ""
    forked_from_id: str | None = None
    name: str | None = None


class ThreadHandle:
    """One loaded thread: turns are started, steered and interrupted here, one at a time."""

    def __init__(self, conv: Conversation, info: ThreadInfo, settings: TurnSettings,
                 conn: Connection, turns_before: int = 0) -> None:
        self.conv = conv
        self.info = info
        self.settings = settings
        self.conn = conn
        self.mapper = EventMapper(info.id, now_ms, turns_started=turns_before)
        self._subs = itertools.count(1)
        self._lock = asyncio.Lock()
        self._asks: set[asyncio.Task[None]] = set()
        self._pump: asyncio.Task[None] | None = None
        self.closed = False
        self.goal: ThreadGoal | None = None  # as the session's events left it
        # Goal changes this server submitted, by submission id: answered by their event.
        self._goal_waiters: dict[str, asyncio.Future[tuple[ev.EventMsg, bool]]] = {}
        self.reviews = ReviewStarts()  # review/start requests waiting for their verdict

    @property
    def id(self) -> str:
        """The thread id (the session id)."""
        return self.info.id

    def start_pump(self) -> None:
        """Start forwarding the session's events to the client."""
        self._pump = asyncio.get_running_loop().create_task(self._run_pump(), name=f"pump-{self.id}")

    def active_turn_id(self) -> str | None:
        """The running turn, or the one submitted and about to start."""
        if self.mapper.turn is not None:
            return self.mapper.turn.id
        return self.mapper.pending_turn()

    def status(self) -> w.ThreadStatus:
        """Idle, or active while a turn runs."""
        return w.ThreadStatus(type="active" if self.active_turn_id() else "idle", active_flags=[])

    def thread(self, turns: list[w.Turn] | None = None) -> w.Thread:
        """The thread as the wire shows it."""
        i = self.info
        now = int(time.time())
        return w.Thread(
            id=i.id, session_id=i.id, forked_from_id=i.forked_from_id, preview=i.preview,
            ephemeral=i.ephemeral, model_provider=i.model_provider, model=self.settings.model,
            reasoning_effort=self.settings.effort.value if self.settings.effort else None,
            created_at=i.created_at, updated_at=now, recency_at=now, status=self.status(),
            path=i.path, cwd=str(self.settings.cwd), cli_version=_version(), originator=i.originator,
            source=i.source, name=i.name, turns=turns or [],
        )

    # ---- turns ---------------------------------------------------------------------------
    async def start_turn(self, p: TurnStartParams) -> tuple[w.Turn, Callable[[], Awaitable[None]]]:
        """Start a turn (or join the running one); returns it, and the submit to run once the
        client has the reply (so `turn/started` never precedes it)."""
        async with self._lock:
            running = self.active_turn_id()
            settings = apply_turn_overrides(self.settings, p)
            items = input_items(p.input, settings.cwd)
            # As in Codex, a turn's settings stay for the later turns even when its input only
            # joins the running one (a policy tightened mid-turn must not be dropped).
            self.settings = settings
            if running is not None:
                return w.Turn(id=running, status="inProgress"), self._submitter(ops.UserInput(items=items))
            op = ops.UserTurn(
                items=items, cwd=settings.cwd, approval_policy=settings.approval_policy,
                sandbox_policy=settings.sandbox_policy, model=settings.model, effort=settings.effort,
                summary=settings.summary, final_output_json_schema=p.output_schema,
            )
            sub = self._sub_id()
            turn_id = self.mapper.reserve_turn(sub)
            return w.Turn(id=turn_id, status="inProgress"), self._submitter(op, sub)

    def _sub_id(self) -> str:
        return f"app-{next(self._subs)}"

    def _submitter(self, op: ops.Op, sub: str | None = None) -> Callable[[], Awaitable[None]]:
        sub_id = sub or self._sub_id()

        async def submit() -> None:
            await self.conv.submit_with_id(sub_id, op)
        return submit

    async def start_compact(self) -> Callable[[], Awaitable[None]]:
        """Compact the history in a turn of its own (or fold the request into the running one)."""
        async with self._lock:
            if self.active_turn_id() is not None:
                return self._submitter(ops.Compact())
            sub = self._sub_id()
            self.mapper.reserve_turn(sub)
            return self._submitter(ops.Compact(), sub)

    async def steer(self, expected: str, items: list[InputItem]) -> str:
        """Add input to the running turn."""
        async with self._lock:
            running = self.active_turn_id()
            if running != expected:
                raise _not_active(expected, running)
            await self.conv.submit_with_id(self._sub_id(), ops.UserInput(items=items))
            return expected

    async def interrupt(self, turn_id: str) -> None:
        """Interrupt the running turn: its commands are killed, it ends `interrupted`."""
        async with self._lock:
            running = self.active_turn_id()
            if running != turn_id:
                raise _not_active(turn_id, running)
            await self.conv.submit_with_id(self._sub_id(), ops.Interrupt())

    # ---- reviews ---------------------------------------------------------------------------
    async def start_review(self, target: ev.ReviewTarget) -> tuple[w.Turn, Callable[[], Awaitable[None]]]:
        """Submit a review (a running turn is replaced, as Codex does) and wait for the session
        to accept its target; returns its turn and what to run once the client has the reply.
        A refused target raises the session's reason as an invalid request."""
        if self.closed or self.conv.finished():
            raise RpcError(INVALID_REQUEST, f"thread {self.id} is shutting down")
        async with self._lock:
            sub = self._sub_id()
            turn_id = self.mapper.reserve_turn(sub)
            pending = self.reviews.expect(sub)
            await self.conv.submit_with_id(sub, ops.Review(review_request=ev.ReviewRequest(target=target)))
        # Not under the lock: the pump may need it (a goal turn) before it reaches our events.
        outcome = await pending.outcome
        if isinstance(outcome, Refused):
            self.mapper.release_turn(sub)
            raise RpcError(INVALID_REQUEST, outcome.message)

        async def replied() -> None:
            pending.replied.set()
        return review_turn(turn_id, outcome.hint), replied

    # ---- goals -----------------------------------------------------------------------------
    async def change_goal(self, op: ops.SetThreadGoal | ops.ClearThreadGoal) -> tuple[ev.EventMsg, bool]:
        """Submit a goal change and wait for its answer: the updated/cleared event or an error
        event, and whether the thread had a goal just before."""
        if self.closed or self.conv.finished():
            raise RpcError(INVALID_REQUEST, f"thread {self.id} is shutting down")
        sub = self._sub_id()
        fut: asyncio.Future[tuple[ev.EventMsg, bool]] = asyncio.get_running_loop().create_future()
        self._goal_waiters[sub] = fut
        try:
            await self.conv.submit_with_id(sub, op)
            return await fut
        finally:
            self._goal_waiters.pop(sub, None)

    async def continue_goal(self) -> None:
        """An active goal on an idle thread gets a turn of its own (Codex's continuation)."""
        from pycodex.app_server.goals import continuation_note

        async with self._lock:
            goal = self.goal
            if (goal is None or goal.status is not ThreadGoalStatus.ACTIVE or self.closed
                    or self.conv.finished() or self.active_turn_id() is not None):
                return
            s = self.settings
            op = ops.UserTurn(
                items=[TextInput(text=continuation_note(goal))], cwd=s.cwd,
                approval_policy=s.approval_policy, sandbox_policy=s.sandbox_policy, model=s.model,
                effort=s.effort, summary=s.summary,
            )
            sub = self._sub_id()
            self.mapper.reserve_turn(sub)
            await self.conv.submit_with_id(sub, op)

    async def _after_turn(self, status: str) -> None:
        goal = self.goal
        if goal is None or goal.status is not ThreadGoalStatus.ACTIVE:
            return
        if status == "completed":
            await self.continue_goal()
        elif status == "failed" and not self.conv.finished():
            # As Codex: a failed turn stops the goal instead of retrying it turn after turn.
            await self.conv.submit_with_id(self._sub_id(), ops.SetThreadGoal(status=ThreadGoalStatus.BLOCKED))

    def _goal_event(self, event: ev.Event) -> bool:
        """Keep the goal current; True when the event answers a change this server asked for
        (the handler replies, then notifies)."""
        msg = event.msg
        before = self.goal
        if isinstance(msg, ThreadGoalUpdated):
            self.goal = msg.goal
        elif isinstance(msg, ThreadGoalCleared):
            self.goal = None
        elif not isinstance(msg, ev.ErrorEvent):
            return False
        waiter = self._goal_waiters.get(event.id)
        if waiter is None:
            return False
        if not waiter.done():
            waiter.set_result((msg, before is not None))
        return True

    # ---- events --------------------------------------------------------------------------
    async def _run_pump(self) -> None:
        try:
            while True:
                event = await self.conv.next_event()
                if isinstance(event.msg, ev.ShutdownComplete):
                    return
                if self._goal_event(event):
                    continue
                held = await self.reviews.take(event)
                for one in [event] if held is None else held:
                    await self._map(one)
        except Exception:  # the pump must not die silently: the client would wait forever
            log.exception("thread %s: event pump failed", self.id)
        finally:
            self.reviews.fail_all(f"thread {self.id} has shut down")
            for fut in self._goal_waiters.values():
                if not fut.done():
                    fut.set_exception(RpcError(INVALID_REQUEST, f"thread {self.id} has shut down"))

    async def _map(self, event: ev.Event) -> None:
        outs = self.mapper.map(event)
        await self._send(outs)
        for out in outs:
            if isinstance(out, Notify) and out.method == "turn/completed":
                await self._after_turn(out.params["turn"]["status"])

    async def _send(self, outs: list[Out]) -> None:
        for out in outs:
            if isinstance(out, Notify):
                await self.conn.notify(out.method, out.params)
            else:
                ask = self._ask(out) if isinstance(out, ApprovalAsk) else self._ask_user(out)
                task = asyncio.get_running_loop().create_task(ask)
                self._asks.add(task)
                task.add_done_callback(self._asks.discard)

    async def _ask(self, ask: ApprovalAsk) -> None:
        try:
            response = await self.conn.request(ask.method, ask.params)
            decision = decision_of(response.result) if response.error is None else ReviewDecision.DENIED
            if response.error is None:
                await self.conn.notify("serverRequest/resolved", {"threadId": self.id, "requestId": response.id})
        except ClientGone:
            decision = ReviewDecision.DENIED  # nobody is left to say yes
        approved = decision in (ReviewDecision.APPROVED, ReviewDecision.APPROVED_FOR_SESSION)
        await self._send(self.mapper.approval_answered(ask.call_id, approved))
        op_type = ops.ExecApproval if ask.kind == "exec" else ops.PatchApproval
        if not self.conv.finished():
            await self.conv.submit_with_id(self._sub_id(), op_type(id=ask.event_id, decision=decision))

    async def _ask_user(self, ask: UserInputAsk) -> None:
        """The model's questions go to the client; a missing, failed or malformed answer (or a
        client that is gone) is no answer, and the model is told nobody could answer."""
        response = ops.RequestUserInputResponse(answers={})
        try:
            answer = await self.conn.request(ask.method, ask.params)
            await self.conn.notify("serverRequest/resolved", {"threadId": self.id, "requestId": answer.id})
            if answer.error is None:
                response = answers_of(answer.result)
        except ClientGone:
            pass
        await self._send(self.mapper.user_input_answered())
        if not self.conv.finished():
            await self.conv.submit_with_id(self._sub_id(), ops.UserInputAnswer(id=ask.event_id, response=response))

    # ---- end -----------------------------------------------------------------------------
    async def close(self) -> None:
        """Abort the running turn, kill its processes, flush the rollout; wait for all of it."""
        if self.closed:
            return
        self.closed = True
        self.reviews.fail_all(f"thread {self.id} is shutting down")  # the pump must not wait
        if not self.conv.finished():
            await self.conv.submit_with_id(self._sub_id(), ops.Shutdown())
        if self._pump is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        for task in list(self._asks):
            task.cancel()


def _not_active(expected: str, running: str | None) -> RpcError:
    if running is None:
        return RpcError(INVALID_REQUEST, f"no active turn (expected `{expected}`)")
    return RpcError(INVALID_REQUEST, f"expected active turn id `{expected}` but found `{running}`")


def _version() -> str:
    from pycodex import __version__

    return __version__
