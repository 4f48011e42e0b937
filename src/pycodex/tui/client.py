"""The UI's one way into an agent: submit an op, read the next event.

The app only ever talks to an `AgentClient`, so it can run against an in-process session
today and against an app-server connection later without changing the widgets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from pycodex.protocol import events as ev
from pycodex.protocol import ops

if TYPE_CHECKING:
    from pycodex.config.config import Config
    from pycodex.session.codex import InitialHistory
    from pycodex.session.conversation import Conversation


class AgentClient(Protocol):
    """What the UI needs from a conversation."""

    @property
    def thread_id(self) -> str:
        """The conversation's id (what `pycodex resume` takes)."""
        ...

    async def submit(self, op: ops.Op) -> str:
        """Queue an op; returns its submission id."""
        ...

    async def next_event(self) -> ev.Event:
        """Wait for the next event."""
        ...

    def next_event_nowait(self) -> ev.Event | None:
        """An event that is already waiting, or None."""
        ...


class InProcessClient:
    """A conversation running in this process, seen through the Op/Event API only."""

    def __init__(self, conversation: Conversation) -> None:
        self._conv = conversation
        self._first: ev.Event | None = ev.Event(id="", msg=conversation.configured)

    @property
    def thread_id(self) -> str:
        """The conversation's id."""
        return self._conv.id

    async def submit(self, op: ops.Op) -> str:
        """Queue an op; returns its submission id."""
        return await self._conv.submit(op)

    async def next_event(self) -> ev.Event:
        """The next event; `session_configured` comes first, as over any transport."""
        if self._first is not None:
            first, self._first = self._first, None
            return first
        return await self._conv.next_event()

    def next_event_nowait(self) -> ev.Event | None:
        """An event that is already waiting, or None."""
        if self._first is not None:
            first, self._first = self._first, None
            return first
        return self._conv.next_event_nowait()


async def start_in_process(config: Config, initial: InitialHistory | None) -> InProcessClient:
    """Start a new (or resumed) conversation in this process."""
    from pycodex.session.conversation import ConversationManager

    manager = ConversationManager()
    if initial is not None and initial.kind == "resumed" and initial.rollout_path is not None:
        conv = await manager.resume_conversation(config, initial.rollout_path)
    else:
        conv = await manager.new_conversation(config)
    return InProcessClient(conv)
