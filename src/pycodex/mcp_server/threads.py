"""One loaded thread: a tool call submits a turn, streams its events and waits for its end.

Only the library's Op/Event API is used (`Conversation.submit_with_id` / `next_event`). A thread
runs one call at a time; a second call on the same thread waits for the first. A call the client
cancels interrupts its turn, and the turn's remaining events are read in the background so the
next call starts clean.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from pycodex.mcp_server import wire
from pycodex.protocol import events as ev
from pycodex.protocol import ops
from pycodex.protocol.inputs import TextInput
from pycodex.session.conversation import Conversation
from pycodex.session.turn_settings import TurnSettings

log = logging.getLogger(__name__)


class Peer(Protocol):
    """The MCP client, as a thread needs it."""

    async def notify(self, method: str, params: dict[str, Any]) -> None:
        """Send a notification (never raises)."""

    async def request(self, method: str, params: dict[str, Any]) -> Any:
        """Send a request and return the client's result; raises if it answered an error."""


@dataclass(frozen=True)
class TurnOutcome:
    """How a turn ended: the final message, or what went wrong."""

    text: str
    is_error: bool = False


class ThreadRun:
    """A loaded thread; `run_turn` is its only way in."""

    def __init__(self, conv: Conversation, settings: TurnSettings) -> None:
        self.conv = conv
        self.settings = settings
        self._lock = asyncio.Lock()
        self._background: set[asyncio.Task[None]] = set()

    @property
    def id(self) -> str:
        """The thread id."""
        return self.conv.id

    async def run_turn(self, prompt: str, peer: Peer, request_id: str | int) -> TurnOutcome:
        """Submit `prompt` as a turn, stream its events to `peer`, return how it ended."""
        await self._lock.acquire()
        # As in Codex, the turn's events carry the tool call's request id (ids are unique
        # among a connection's calls in flight, and a thread runs one call at a time).
        sub = str(request_id)
        follow = _Follow(self, peer, request_id, sub)
        handed_over = False
        try:
            s = self.settings
            await self.conv.submit_with_id(sub, ops.UserTurn(
                items=[TextInput(text=prompt)], cwd=s.cwd, approval_policy=s.approval_policy,
                sandbox_policy=s.sandbox_policy, model=s.model, effort=s.effort, summary=s.summary,
            ))
            follow.submitted = True
            return await follow.run()
        except asyncio.CancelledError:
            if follow.submitted and not follow.ended:
                # The client gave up on the call: stop the turn, read it to its end, then let
                # the next call in.
                self._spawn(self._finish_aborted(sub))
                handed_over = True
            raise
        finally:
            follow.cancel_asks()
            if not handed_over:
                self._lock.release()

    async def _finish_aborted(self, sub: str) -> None:
        try:
            if self.conv.finished():
                return
            await self.conv.submit_with_id(f"{sub}-interrupt", ops.Interrupt())
            while True:
                event = await self.conv.next_event()
                if isinstance(event.msg, ev.ShutdownComplete) or (
                    event.id == sub and isinstance(event.msg, ev.TaskComplete | ev.TurnAborted)
                ):
                    return
        finally:
            self._lock.release()

    def _spawn(self, coro: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def close(self) -> None:
        """Stop the background work; the caller then shuts the conversation down."""
        for task in list(self._background):
            task.cancel()
        for task in list(self._background):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


class _Follow:
    """One call's view of its turn: forwards events, asks approvals, notes the end."""

    def __init__(self, thread: ThreadRun, peer: Peer, request_id: str | int, sub: str) -> None:
        self.thread = thread
        self.peer = peer
        self.request_id = request_id
        self.sub = sub
        self.submitted = False
        self.ended = False
        self._asks: set[asyncio.Task[None]] = set()

    async def run(self) -> TurnOutcome:
        conv = self.thread.conv
        error: str | None = None
        while True:
            event = await conv.next_event()
            msg = event.msg
            if isinstance(msg, ev.ShutdownComplete):
                self.ended = True
                return TurnOutcome("the conversation was shut down before the turn ended", True)
            mine = event.id == self.sub
            if mine and isinstance(msg, ev.TaskComplete | ev.TurnAborted):
                self.ended = True  # noted before the notification: a cancel there must not wait
            await self.peer.notify(wire.EVENT_METHOD, wire.event_params(event, self.request_id, conv.id))
            if isinstance(msg, ev.ExecApprovalRequest | ev.ApplyPatchApprovalRequest):
                self._ask(event.id, msg)
            elif isinstance(msg, ev.RequestUserInputEvent):
                # Nobody can type an answer through a tool call: the model is told so.
                await conv.submit(ops.UserInputAnswer(id=event.id, response=ops.RequestUserInputResponse(answers={})))
            elif isinstance(msg, ev.ErrorEvent):
                error = msg.message
            elif mine and isinstance(msg, ev.TaskComplete):
                if error is not None:
                    return TurnOutcome(error, True)
                return TurnOutcome(msg.last_agent_message or "")
            elif mine and isinstance(msg, ev.TurnAborted):
                return TurnOutcome(error or f"the turn was aborted ({msg.reason.value})", True)

    def _ask(self, event_id: str, req: ev.ExecApprovalRequest | ev.ApplyPatchApprovalRequest) -> None:
        task = asyncio.get_running_loop().create_task(self._ask_client(event_id, req))
        self._asks.add(task)
        task.add_done_callback(self._asks.discard)

    async def _ask_client(self, event_id: str, req: ev.ExecApprovalRequest | ev.ApplyPatchApprovalRequest) -> None:
        conv = self.thread.conv
        where = {"event_id": event_id, "thread_id": conv.id, "tool_call_id": str(self.request_id)}
        if isinstance(req, ev.ExecApprovalRequest):
            params = wire.exec_elicitation(req, **where)
        else:
            params = wire.patch_elicitation(req, **where)
        try:
            answer = await self.peer.request(wire.ELICIT_METHOD, params)
        except Exception as e:  # an error, or no answer at all: denied
            log.warning("approval request %s got no usable answer (%s): denied", req.call_id, e)
            answer = None
        decision = wire.decision_of(answer)
        if conv.finished():
            return
        if isinstance(req, ev.ExecApprovalRequest):
            await conv.submit(ops.ExecApproval(id=event_id, decision=decision))
        else:
            await conv.submit(ops.PatchApproval(id=event_id, decision=decision))

    def cancel_asks(self) -> None:
        """Questions still open when the turn ended are withdrawn."""
        for task in list(self._asks):
            task.cancel()
