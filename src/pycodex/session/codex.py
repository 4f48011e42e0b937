"""The Codex handle: a submission queue in, an event queue out, and the loop between."""

from __future__ import annotations

import asyncio
import itertools
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pycodex.protocol import ops
from pycodex.protocol.events import (
    ConversationPath,
    ErrorEvent,
    Event,
    GetHistoryEntryResponse,
    McpListToolsResponse,
    ShutdownComplete,
    TaskComplete,
    WarningEvent,
)
from pycodex.protocol.models import ResponseItem
from pycodex.protocol.policies import ReviewDecision
from pycodex.session.event_channel import EventChannel
from pycodex.session.session import Session, SessionStopped
from pycodex.state import TaskKind

if TYPE_CHECKING:
    from pycodex.config.config import Config
    from pycodex.protocol.events import ReviewRequest
    from pycodex.rollout.reader import LoadedRollout
    from pycodex.session.turn_context import TurnContext

log = logging.getLogger(__name__)

SUBMISSION_CHANNEL_CAPACITY = 64


@dataclass
class InitialHistory:
    """How a conversation starts: new, resumed from a rollout, or forked from one."""

    kind: str = "new"  # "new" | "resumed" | "forked"
    rollout: LoadedRollout | None = None
    rollout_path: Path | None = None
    forked_from: str | None = None


class Codex:
    """Submit ops, read events. One per conversation."""

    def __init__(self, conversation_id: str) -> None:
        self.conversation_id = conversation_id
        self._ids = itertools.count()
        self._tx_sub: asyncio.Queue[ops.Submission] = asyncio.Queue(SUBMISSION_CHANNEL_CAPACITY)
        self._rx_event: EventChannel[Event] = EventChannel()
        self._loop_task: asyncio.Task[None] | None = None
        self.session: Session | None = None
        self.initial_turn_context: TurnContext | None = None
        self.rollout_path: Path | None = None

    @classmethod
    async def spawn(cls, config: Config, initial: InitialHistory | None = None) -> Codex:
        """Start a session and its submission loop; `session_configured` is the first event."""
        from pycodex.session.bootstrap import bootstrap_session

        initial = initial or InitialHistory()
        conversation_id = _conversation_id(initial)
        codex = cls(conversation_id)
        session, tc, configured, startup_errors = await bootstrap_session(
            config, conversation_id, initial, codex._rx_event
        )
        codex.session = session
        codex.initial_turn_context = tc
        codex.rollout_path = configured.rollout_path
        # Envelopes of events built here: not validated again (see Session.send_event).
        codex._rx_event.put_nowait(Event.model_construct(id="", msg=configured))
        # Problems the session starts despite (an MCP server that did not start): a warning,
        # which `exec --json` shows as an `error` item, not a failed turn.
        for err in startup_errors:
            codex._rx_event.put_nowait(Event.model_construct(id="", msg=WarningEvent(message=err)))
        codex._loop_task = asyncio.get_running_loop().create_task(
            submission_loop(session, config, tc, codex._tx_sub), name="submission-loop"
        )
        return codex

    async def submit(self, op: ops.Op) -> str:
        """Queue an op; returns its submission id."""
        sub_id: str = str(next(self._ids))
        # `op` is a typed op already: the envelope is not validated again (that would build
        # the validator of every op's union at the first submission).
        await self._tx_sub.put(ops.Submission.model_construct(id=sub_id, op=op))
        return sub_id

    async def submit_with_id(self, sub: ops.Submission) -> None:
        """Queue a submission with a caller-chosen id."""
        await self._tx_sub.put(sub)

    async def next_event(self) -> Event:
        """The next event from the agent."""
        return await self._rx_event.get()

    def next_event_nowait(self) -> Event | None:
        """An event that is already waiting, or None."""
        try:
            return self._rx_event.get_nowait()
        except asyncio.QueueEmpty:
            return None

    def loop_finished(self) -> bool:
        """Whether the submission loop has ended (after shutdown)."""
        return self._loop_task is not None and self._loop_task.done()


def _conversation_id(initial: InitialHistory) -> str:
    if initial.kind == "resumed" and initial.rollout and initial.rollout.meta:
        return initial.rollout.meta.id
    return _uuid7()


def _uuid7() -> str:
    """A time-ordered UUID (v7), as Codex uses for thread ids."""
    import os
    import time

    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


async def submission_loop(
    session: Session, config: Config, tc: TurnContext, rx: asyncio.Queue[ops.Submission]
) -> None:
    """Handle submissions until Shutdown."""
    from pycodex.session.turn_builder import apply_override, turn_context_for_user_turn

    while True:
        sub = await rx.get()
        op = sub.op
        try:
            if isinstance(op, ops.Interrupt):
                await session.interrupt()
            elif isinstance(op, ops.UserInput | ops.UserTurn) and session.stopped_reason():
                session.send_event_nowait(
                    sub.id, ErrorEvent(message=f"session stopped: {session.stopped_reason()}")
                )
                session.send_event_nowait(sub.id, TaskComplete(last_agent_message=None))
            elif isinstance(op, ops.UserInput | ops.UserTurn):
                if isinstance(op, ops.UserTurn):
                    tc = await turn_context_for_user_turn(session, config, tc, op, sub.id)
                await _start_or_inject(session, tc, sub.id, op.items)
            elif isinstance(op, ops.OverrideTurnContext):
                tc = await apply_override(session, config, tc, op, sub.id)
            elif isinstance(op, ops.ExecApproval | ops.PatchApproval):
                if op.decision is ReviewDecision.ABORT:
                    await session.interrupt()
                else:
                    session.notify_approval(op.id, op.decision)
            elif isinstance(op, ops.UserInputAnswer):
                session.notify_user_input(op.id, op.response)
            elif isinstance(op, ops.SetThreadGoal | ops.ClearThreadGoal):
                await _change_goal(session, sub.id, op)
            elif isinstance(op, ops.AddToHistory):
                history = session.services.prompt_history
                if history is not None:
                    await history.append(session.conversation_id, op.text)
            elif isinstance(op, ops.GetHistoryEntryRequest):
                history = session.services.prompt_history
                entry = await history.lookup(op.log_id, op.offset) if history else None
                await session.send_event(
                    sub.id, GetHistoryEntryResponse(offset=op.offset, log_id=op.log_id, entry=entry)
                )
            elif isinstance(op, ops.GetPath):
                recorder = session.services.rollout
                if recorder is not None:
                    await recorder.flush()
                    await session.send_event(
                        sub.id,
                        ConversationPath(conversation_id=session.conversation_id, path=recorder.path),
                    )
            elif isinstance(op, ops.ListMcpTools):
                mgr = session.services.mcp_manager
                tools = await mgr.list_tools_json() if mgr is not None else {}
                auth = mgr.auth_statuses() if mgr is not None else {}
                await session.send_event(sub.id, McpListToolsResponse(tools=tools, auth_statuses=auth))
            elif isinstance(op, ops.ListCustomPrompts):
                from pycodex.protocol.events import ListCustomPromptsResponse

                await session.send_event(sub.id, ListCustomPromptsResponse(custom_prompts=[]))
            elif isinstance(op, ops.Compact):
                await _compact(session, tc, sub.id)
            elif isinstance(op, ops.Review):
                await _review(session, tc, sub.id, op.review_request)
            elif isinstance(op, ops.Shutdown):
                await session.shutdown()
                session.send_event_nowait(sub.id, ShutdownComplete())
                return
        except SessionStopped:
            await session.shutdown()
            session.send_event_nowait(sub.id, ShutdownComplete())
            return
        except Exception as e:  # one bad op must not end the conversation
            log.exception("op %s failed", type(op).__name__)
            session.send_event_nowait(sub.id, ErrorEvent(message=f"{type(op).__name__} failed: {e}"))


async def _start_or_inject(
    session: Session, tc: TurnContext, sub_id: str, items: Sequence[object]
) -> None:
    from pycodex.session.input import input_items_to_message
    from pycodex.tasks.regular import run_regular_task

    message = await asyncio.to_thread(input_items_to_message, items, tc.cwd)
    response_items: list[ResponseItem] = [message]
    if session.inject_input(response_items):
        return

    async def runner(s: Session, t: TurnContext, sid: str) -> None:
        return await run_regular_task(s, t, sid, response_items)

    await session.spawn_task(tc, sub_id, TaskKind.REGULAR, runner)


async def _compact(session: Session, tc: TurnContext, sub_id: str) -> None:
    from pycodex.context.prompts import load_prompt
    from pycodex.protocol.models import user_message
    from pycodex.tasks.compact import run_compact_task

    if session.inject_input([user_message(load_prompt("compact.md"))]):
        return
    await session.spawn_task(tc, sub_id, TaskKind.COMPACT, run_compact_task)


async def _review(session: Session, tc: TurnContext, sub_id: str, request: ReviewRequest) -> None:
    """Start a Review task (replacing a running turn, as Codex does) once its target checks out;
    a target that does not gets one error and no task, no model request."""
    from pycodex.protocol.events import CodexErrorInfo
    from pycodex.tasks.review import run_review_task
    from pycodex.tasks.review_target import ReviewTargetError, resolve_review

    if session.stopped_reason():
        session.send_event_nowait(sub_id, ErrorEvent(message=f"session stopped: {session.stopped_reason()}"))
        return
    try:
        review = await resolve_review(request, tc.cwd)
    except ReviewTargetError as e:
        await session.send_event(
            sub_id, ErrorEvent(message=f"cannot review: {e}", codex_error_info=CodexErrorInfo.BAD_REQUEST)
        )
        return

    async def runner(s: Session, t: TurnContext, sid: str) -> None:
        await run_review_task(s, t, sid, review)

    await session.spawn_task(tc, sub_id, TaskKind.REVIEW, runner)


async def _change_goal(session: Session, sub_id: str, op: ops.SetThreadGoal | ops.ClearThreadGoal) -> None:
    """A client's goal change; a refused one is answered with an error event saying why."""
    from pycodex.state.goals import GoalChange, GoalError

    if isinstance(op, ops.ClearThreadGoal):
        await session.clear_thread_goal(sub_id)
        return
    budget = op.token_budget
    change = GoalChange(
        objective=op.objective, status=op.status,
        token_budget=budget.tokens if budget else None, budget_given=budget is not None,
    )
    try:
        await session.edit_thread_goal(sub_id, change)
    except GoalError as e:
        session.send_event_nowait(sub_id, ErrorEvent(message=str(e)))
