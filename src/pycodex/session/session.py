"""Session: the slim façade every task and tool goes through."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pycodex.context.diff_tracker import TurnDiffTracker
from pycodex.protocol.base import trusted_factory
from pycodex.protocol.events import (
    ApplyPatchApprovalRequest,
    ErrorEvent,
    Event,
    EventMsg,
    ExecApprovalRequest,
    FileChange,
    RequestUserInputEvent,
    RequestUserInputQuestion,
    TaskComplete,
    TokenCount,
    TurnAborted,
    TurnAbortReason,
    UserMessageEvent,
)
from pycodex.protocol.goals import (
    ThreadGoal,
    ThreadGoalCleared,
    ThreadGoalStatus,
    ThreadGoalUpdated,
)
from pycodex.protocol.models import Message, ResponseItem
from pycodex.protocol.ops import RequestUserInputResponse
from pycodex.protocol.policies import ReviewDecision
from pycodex.protocol.usage import RateLimitSnapshot, TokenUsage
from pycodex.state import (
    FinishStatus,
    RunningTask,
    SessionState,
    TaskKind,
    TurnSlot,
    TurnState,
)
from pycodex.state.goals import GoalChange

if TYPE_CHECKING:
    from pycodex.rollout.recorder import RolloutItem
    from pycodex.session.event_channel import EventChannel
    from pycodex.session.services import SessionServices
    from pycodex.session.turn_context import TurnContext

log = logging.getLogger(__name__)

TaskRunner = Callable[["Session", "TurnContext", str], Awaitable[None]]


class SessionStopped(Exception):
    """The session can no longer record its work (e.g. the rollout cannot be written)."""


_event = trusted_factory(Event, "id", "msg")  # the envelope of every delta


class Session:
    """Orchestrates tasks, approvals, interrupts and events; holds no loose state."""

    def __init__(
        self, conversation_id: str, services: SessionServices, tx_event: EventChannel[Event]
    ) -> None:
        self.conversation_id = conversation_id
        self.services = services
        self._tx_event = tx_event
        self._state = SessionState()
        self._turn = TurnSlot()
        self._internal_ids = itertools.count(1)

    # ---- events -------------------------------------------------------------------------
    async def send_event(self, sub_id: str, msg: EventMsg) -> None:
        """Persist the event if the rollout keeps it, then deliver it to the client."""
        from pycodex.rollout.recorder import RolloutItem

        await self.persist([RolloutItem.from_event(msg)])
        # `msg` is already a validated event: validating the envelope again would build the
        # whole EventMsg union's validator (~10 ms at start-up) for nothing.
        self._tx_event.put_nowait(Event.model_construct(id=sub_id, msg=msg))

    def send_event_nowait(self, sub_id: str, msg: EventMsg) -> None:
        """Deliver an event that is never persisted (deltas) without a round trip."""
        # Built without validation: this is the per-delta hot path and both parts are ours.
        self._tx_event.put_nowait(_event(sub_id, msg))

    async def persist(self, items: Sequence[RolloutItem]) -> None:
        """Append to the rollout; a write failure stops the session with a clear error."""
        recorder = self.services.rollout
        if recorder is None or not items:
            return
        from pycodex.rollout.recorder import RolloutWriteError

        try:
            await recorder.record(items)
        except RolloutWriteError as e:
            self._stop(str(e))
            raise SessionStopped(str(e)) from e

    def _stop(self, reason: str) -> None:
        """The session cannot record its work: say so once; later turns are refused."""
        if self._state.stopped_reason() is None:
            stopped = ErrorEvent(message=f"session stopped: {reason}")
            self._tx_event.put_nowait(Event.model_construct(id="", msg=stopped))
        self._state.mark_stopped(reason)

    def stopped_reason(self) -> str | None:
        """Why the session stopped recording (and refuses new turns), if it did."""
        return self._state.stopped_reason()

    def next_internal_sub_id(self) -> str:
        """An id for work the session starts by itself (auto-compaction)."""
        return f"auto-compact-{next(self._internal_ids)}"

    # ---- tasks --------------------------------------------------------------------------
    async def spawn_task(
        self, tc: TurnContext, sub_id: str, kind: TaskKind, runner: TaskRunner
    ) -> None:
        """Start a task for a submission, after any running one has ended (aborted)."""
        await self.abort_all_tasks(TurnAbortReason.REPLACED)
        # Registered before the task first runs (no await in between): it can never start
        # while another turn's task is still in the slot.
        handle = asyncio.get_running_loop().create_task(
            self._run_task(tc, sub_id, runner), name=f"task-{sub_id}"
        )
        self._turn.start(
            RunningTask(sub_id=sub_id, kind=kind, handle=handle),
            TurnState(diff_tracker=TurnDiffTracker(tc.cwd)),
        )

    async def _run_task(self, tc: TurnContext, sub_id: str, runner: TaskRunner) -> None:
        try:
            await runner(self, tc, sub_id)
        except asyncio.CancelledError:
            raise
        except SessionStopped:
            pass
        except Exception as e:  # a bug in a task must not kill the session loop
            log.exception("task %s failed", sub_id)
            await self._safe_event(sub_id, ErrorEvent(message=f"internal error: {e!r}"))
        await self._finish_task(sub_id)

    def try_finish(self, sub_id: str) -> bool:
        """A task has nothing more to do: True when it must stop, False when input arrived
        that it has to take first (the input is folded into the turn, never dropped)."""
        return self._turn.begin_finish(sub_id) is not FinishStatus.INPUT_PENDING

    async def _finish_task(self, sub_id: str) -> None:
        """Report task_complete, then release the turn (in that order: input that arrives
        meanwhile is refused by the finishing turn and starts the next one after this)."""
        while (status := self._turn.begin_finish(sub_id)) is FinishStatus.INPUT_PENDING:
            # Only a task that ended without taking its input gets here (a failed request):
            # the input stays in the conversation for the next turn.
            await self._record_unsent_input(sub_id, self._turn.take_pending_input())
        if status is FinishStatus.GONE:
            return  # aborted meanwhile: the abort reported it
        state = self._turn.turn_state()
        last = state.last_agent_message if state else None
        await self._account_thread_goal(sub_id, turn_ended=True)
        await self.flush_rollout()
        await self._safe_event(sub_id, TaskComplete(last_agent_message=last))
        self._turn.finish_task(sub_id)

    async def abort_all_tasks(self, reason: TurnAbortReason) -> None:
        """End the turn now: approvals denied, processes killed, each running task reported
        aborted once it has really stopped; queued input is kept in the conversation."""
        taken = self._turn.take_all()
        # Cancel before anything else awaits: a task must not run on (e.g. on an approval the
        # abort just resolved as denied) once it has been taken out of the turn.
        for task in taken.aborted:
            task.handle.cancel()
        if taken.aborted:
            await self.services.process_manager.kill_all()
            for task in taken.aborted:
                await _until_done(task.handle)
        if taken.leftover_input:
            sub_id = taken.aborted[0].sub_id if taken.aborted else ""
            await self._record_unsent_input(sub_id, taken.leftover_input)
        if taken.aborted:  # the turn is over: charge its goal, stop the goal's clock
            await self._account_thread_goal(taken.aborted[0].sub_id, turn_ended=True)
        for task in taken.aborted:
            await self._safe_event(task.sub_id, TurnAborted(reason=reason))
        for task in taken.finishing:  # they report task_complete themselves
            await _until_done(task.handle)
        if taken.aborted:
            await self.flush_rollout()

    async def _record_unsent_input(self, sub_id: str, items: list[ResponseItem]) -> None:
        try:
            await self.record_user_input(sub_id, items)
        except SessionStopped:
            pass

    async def interrupt(self) -> None:
        """Stop the running turn, as the user asked."""
        await self.abort_all_tasks(TurnAbortReason.INTERRUPTED)

    def has_running_task(self) -> bool:
        """Whether a turn is running."""
        return self._turn.is_running()

    async def wait_idle(self) -> None:
        """Wait until no task runs (used by shutdown and tests)."""
        while True:
            handles = [t.handle for t in self._turn.tasks()]
            if not handles:
                return
            await asyncio.wait(handles)

    # ---- input --------------------------------------------------------------------------
    def inject_input(self, items: list[ResponseItem]) -> bool:
        """Queue input for the running turn; False when no turn runs."""
        return self._turn.inject_input(items)

    def take_pending_input(self) -> list[ResponseItem]:
        """Input that arrived while the turn ran, for its next request."""
        return self._turn.take_pending_input()

    async def record_user_input(self, sub_id: str, items: Sequence[ResponseItem]) -> None:
        """Record user input into history and rollout, with its user_message events."""
        await self.record_conversation_items(items)
        for item in items:
            if isinstance(item, Message) and item.role == "user":
                images = [c.image_url for c in item.content if c.type == "input_image"]
                await self.send_event(
                    sub_id, UserMessageEvent(message=item.text(), images=images or None)
                )

    # ---- approvals ----------------------------------------------------------------------
    async def request_command_approval(
        self, sub_id: str, call_id: str, command: list[str], cwd: Path, reason: str | None
    ) -> ReviewDecision:
        """Ask the client whether a command may run; a dropped waiter means denied."""
        fut = self._approval_waiter(sub_id)
        if fut is None:
            return ReviewDecision.DENIED
        await self.send_event(
            sub_id, ExecApprovalRequest(call_id=call_id, command=command, cwd=cwd, reason=reason)
        )
        return await fut

    async def request_patch_approval(
        self,
        sub_id: str,
        call_id: str,
        changes: dict[Path, FileChange],
        reason: str | None,
        grant_root: Path | None,
    ) -> ReviewDecision:
        """Ask the client whether a patch may be applied."""
        fut = self._approval_waiter(sub_id)
        if fut is None:
            return ReviewDecision.DENIED
        await self.send_event(
            sub_id,
            ApplyPatchApprovalRequest(
                call_id=call_id, changes=changes, reason=reason, grant_root=grant_root
            ),
        )
        return await fut

    def _approval_waiter(self, sub_id: str) -> asyncio.Future[ReviewDecision] | None:
        state = self._turn.turn_state()
        return state.insert_pending_approval(sub_id) if state else None

    def notify_approval(self, sub_id: str, decision: ReviewDecision) -> None:
        """Deliver the client's answer to the waiting tool call."""
        state = self._turn.turn_state()
        if state is None or not state.resolve_pending_approval(sub_id, decision):
            log.warning("no pending approval for submission %s", sub_id)

    def add_approved_command(self, argv: Sequence[str]) -> None:
        """Approve a command for the rest of the session."""
        self._state.add_approved_command(argv)

    def approved_commands(self) -> frozenset[tuple[str, ...]]:
        """Commands approved for the session."""
        return self._state.approved_commands()

    # ---- questions to the user (request_user_input) --------------------------------------
    async def request_user_input(
        self, sub_id: str, call_id: str, questions: list[RequestUserInputQuestion]
    ) -> RequestUserInputResponse | None:
        """Ask the client the model's questions; None when the turn ends unanswered."""
        state = self._turn.turn_state()
        if state is None:
            return None
        fut = state.insert_pending_user_input(sub_id)
        await self.send_event(
            sub_id, RequestUserInputEvent(call_id=call_id, turn_id=sub_id, questions=questions)
        )
        return await fut

    def notify_user_input(self, sub_id: str, response: RequestUserInputResponse) -> None:
        """Deliver the client's answers to the waiting request_user_input call."""
        state = self._turn.turn_state()
        if state is None or not state.resolve_pending_user_input(sub_id, response):
            log.warning("no pending request_user_input for turn %s", sub_id)

    # ---- history ------------------------------------------------------------------------
    async def record_conversation_items(self, items: Sequence[ResponseItem]) -> None:
        """Add items to the history and the rollout (rollout first: durable before sent)."""
        from pycodex.rollout.recorder import RolloutItem

        await self.persist([RolloutItem.from_response_item(i) for i in items])
        self._state.record_items(items)

    def record_into_history_only(self, items: Sequence[ResponseItem]) -> None:
        """Rebuild history without persisting it again (resume)."""
        self._state.record_items(items)

    def history_snapshot(self) -> list[ResponseItem]:
        """A copy of the conversation history."""
        return self._state.history_snapshot()

    async def replace_history(self, items: Sequence[ResponseItem]) -> None:
        """Swap the history (compaction)."""
        self._state.replace_history(items)

    # ---- usage --------------------------------------------------------------------------
    async def update_token_usage(self, sub_id: str, tc: TurnContext, usage: TokenUsage | None) -> None:
        """Account one response's usage and tell the client."""
        if usage is not None:
            self._state.update_token_info(usage, tc.context_window)
        await self.send_token_count(sub_id)

    async def update_rate_limits(self, sub_id: str, snapshot: RateLimitSnapshot) -> None:
        """Store the latest rate limits and tell the client."""
        self._state.set_rate_limits(snapshot)
        await self.send_token_count(sub_id)

    async def send_token_count(self, sub_id: str) -> None:
        """Emit the current usage and limits."""
        await self.send_event(
            sub_id, TokenCount(info=self._state.token_info(), rate_limits=self._state.rate_limits())
        )

    def total_token_usage(self) -> TokenUsage | None:
        """Cumulative usage of the session."""
        info = self._state.token_info()
        return info.total_token_usage if info else None

    def last_token_usage(self) -> TokenUsage | None:
        """Usage of the latest request."""
        info = self._state.token_info()
        return info.last_token_usage if info else None

    def restore_token_info(self, info: Any) -> None:
        """Restore cumulative usage from a rollout."""
        self._state.set_token_info(info)

    # ---- turn-scoped values ---------------------------------------------------------------
    def diff_tracker(self) -> TurnDiffTracker | None:
        """The running turn's diff tracker."""
        state = self._turn.turn_state()
        return state.diff_tracker if state else None

    def note_agent_message(self, text: str) -> None:
        """The turn's latest assistant message (reported with task_complete)."""
        state = self._turn.turn_state()
        if state is not None:
            state.last_agent_message = text

    def last_agent_message(self) -> str | None:
        """The turn's latest assistant message so far."""
        state = self._turn.turn_state()
        return state.last_agent_message if state else None

    def auto_compacted(self) -> bool:
        """Whether the turn compacted automatically since the model last answered."""
        state = self._turn.turn_state()
        return state.auto_compacted if state else False

    def set_auto_compacted(self, value: bool) -> None:
        """Record whether the turn just compacted automatically."""
        state = self._turn.turn_state()
        if state is not None:
            state.auto_compacted = value

    # ---- thread goal --------------------------------------------------------------------
    def thread_goal(self) -> ThreadGoal | None:
        """The thread's goal, if it has one."""
        return self._state.thread_goal()

    async def create_thread_goal(
        self, sub_id: str, objective: str, token_budget: int | None
    ) -> ThreadGoal:
        """Start the thread's goal and announce it; raises GoalError when it cannot be."""
        goal = self._state.create_thread_goal(
            self.conversation_id, objective, token_budget, now=time.monotonic(), wall=int(time.time())
        )
        await self._goal_updated(sub_id, goal)
        return goal

    async def set_thread_goal_status(self, sub_id: str, status: ThreadGoalStatus) -> ThreadGoal:
        """Change the goal's status and announce it; raises GoalError without a goal."""
        goal = self._state.set_thread_goal_status(status, now=time.monotonic(), wall=int(time.time()))
        await self._goal_updated(sub_id, goal)
        return goal

    async def edit_thread_goal(self, sub_id: str, change: GoalChange) -> ThreadGoal:
        """A client creates or changes the goal (no turn of its own); raises GoalError."""
        goal = self._state.edit_thread_goal(
            self.conversation_id, change, now=time.monotonic(), wall=int(time.time())
        )
        await self.send_event(sub_id, ThreadGoalUpdated(thread_id=self.conversation_id, goal=goal))
        return goal

    async def clear_thread_goal(self, sub_id: str) -> bool:
        """A client removes the goal; answered with thread_goal_cleared either way (recorded
        only when there was a goal). Returns whether there was one."""
        event = ThreadGoalCleared(thread_id=self.conversation_id)
        if self._state.clear_thread_goal():
            await self.send_event(sub_id, event)
            return True
        self.send_event_nowait(sub_id, event)
        return False

    def restore_thread_goal(self, goal: ThreadGoal) -> None:
        """Take the goal back from a rollout (after its token usage was restored)."""
        self._state.restore_thread_goal(goal)

    async def account_thread_goal(self, sub_id: str) -> None:
        """Before a request: charge the goal with the previous one's usage; once its budget is
        spent the goal becomes budget-limited and the model is told so in this request."""
        await self._account_thread_goal(sub_id, turn_ended=False)

    async def _account_thread_goal(self, sub_id: str, *, turn_ended: bool) -> None:
        from pycodex.context.goal_prompts import budget_limit_note
        from pycodex.protocol.models import user_message

        result = self._state.account_thread_goal(
            now=time.monotonic(), wall=int(time.time()), turn_ended=turn_ended
        )
        if result.goal is None:
            return
        try:
            await self._goal_updated(sub_id, result.goal)
            if result.budget_reached and not turn_ended:
                await self.record_conversation_items([user_message(budget_limit_note(result.goal))])
        except SessionStopped:
            if not turn_ended:
                raise
            # At the turn's end the stop has been reported and the turn is over anyway.

    async def _goal_updated(self, sub_id: str, goal: ThreadGoal) -> None:
        await self.send_event(
            sub_id, ThreadGoalUpdated(thread_id=self.conversation_id, turn_id=sub_id or None, goal=goal)
        )

    # ---- lifecycle ----------------------------------------------------------------------
    async def flush_rollout(self) -> None:
        """Make the rollout durable (fsync) at a turn boundary and update the session index."""
        recorder = self.services.rollout
        if recorder is None:
            return
        from pycodex.rollout.recorder import RolloutWriteError

        try:
            await recorder.sync()
        except RolloutWriteError as e:
            # What the turn wrote may not be on disk: the client must hear it before task_complete,
            # and the session stops as it does when a write fails.
            self._stop(str(e))
            return
        store = self.services.session_store
        if store is not None:
            try:
                await asyncio.to_thread(store.upsert_from_rollout, recorder.path)
            except Exception as e:  # the index is a cache: never fatal
                log.warning("session index update failed: %s", e)

    async def shutdown(self) -> None:
        """Stop everything the session owns."""
        await self.abort_all_tasks(TurnAbortReason.INTERRUPTED)
        await self.services.process_manager.shutdown()
        if self.services.mcp_manager is not None:
            await self.services.mcp_manager.shutdown()
        if self.services.rollout is not None:
            await self.services.rollout.shutdown()
        if self.services.session_store is not None:
            self.services.session_store.close()
        await self.services.http.aclose()

    async def _safe_event(self, sub_id: str, msg: EventMsg) -> None:
        try:
            await self.send_event(sub_id, msg)
        except SessionStopped:
            self._tx_event.put_nowait(Event.model_construct(id=sub_id, msg=msg))


async def _until_done(handle: asyncio.Task[None]) -> None:
    """Wait for a task to really end (a patch commit finishes or rolls back first)."""
    if handle is asyncio.current_task():
        return
    while not handle.done():
        _, pending = await asyncio.wait([handle], timeout=5.0)
        if pending:
            log.warning("task %s still running after cancellation", handle.get_name())
            handle.cancel()
