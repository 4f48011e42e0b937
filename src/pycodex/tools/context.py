"""What a tool handler gets, and how it answers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from pycodex.protocol.models import ResponseItem
from pycodex.protocol.text import loads_untrusted

if TYPE_CHECKING:
    from pycodex.session.session import Session
    from pycodex.session.turn_context import TurnContext

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


async def run_to_completion(fn: Callable[..., T], *args: Any) -> T:
    """Run blocking work in a thread that a cancel cannot cut short (a patch commit): the
    cancel waits until the work has finished or rolled back, then goes on."""
    work = asyncio.ensure_future(asyncio.to_thread(fn, *args))
    cancelled = False
    while True:
        try:
            await asyncio.wait([work])
            break
        except asyncio.CancelledError:
            cancelled = True
    if cancelled:
        work.exception()  # the turn is gone: its outcome has nobody left to read it
        raise asyncio.CancelledError
    return work.result()


class RespondToModel(Exception):
    """The call failed; the message goes back to the model and the turn goes on."""


def answer_now_unless_someone_can_answer(inv: ToolInvocation, answer: str) -> None:
    """Where nobody can answer the user's part of a call (exec, batch), end it now with `answer`."""
    if not inv.tc.can_ask_user:
        raise RespondToModel(answer)


def decline_unless_someone_can_answer(inv: ToolInvocation, what: str, reason: str | None) -> None:
    """Where nobody can answer an approval (exec, batch), decline now instead of waiting."""
    why = f" ({reason})" if reason else ""
    answer_now_unless_someone_can_answer(
        inv,
        f"{what} rejected: it needs the user's approval{why}, and nobody can approve requests in "
        f"this non-interactive run (approval policy {inv.tc.approval_policy.value}), so it was not "
        "run. Do what you can within the sandbox, or finish and say what needs approval.",
    )


@dataclass
class ToolInvocation:
    """One tool call of the running turn."""

    session: Session
    tc: TurnContext
    sub_id: str
    call_id: str
    name: str
    payload: str
    item: ResponseItem


@dataclass
class ToolOutput:
    """The text the model reads back (or, for a call whose answer is not text, its item)."""

    text: str
    success: bool = True
    item: ResponseItem | None = None  # e.g. a tool_search_output; replaces the text answer


class ToolHandler(Protocol):
    """Runs one kind of tool call."""

    async def handle(self, inv: ToolInvocation) -> ToolOutput:
        """Run the call."""
        ...

    def parallel_safe(self, inv: ToolInvocation) -> bool:
        """Whether the call may run alongside others of the same response."""
        ...


def parse_args(model: type[M], payload: str) -> M:
    """Validate JSON arguments; invalid input is told to the model, not raised."""
    try:
        data: Any = loads_untrusted(payload or "{}")
    except json.JSONDecodeError as e:
        raise RespondToModel(f"failed to parse function arguments: {e}") from e
    if not isinstance(data, dict):
        raise RespondToModel("failed to parse function arguments: expected a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'arguments'}: {err['msg']}" for err in e.errors()
        )
        raise RespondToModel(f"failed to parse function arguments: {problems}") from e
