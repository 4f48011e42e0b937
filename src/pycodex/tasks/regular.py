"""The Regular task: sample the model, run its tool calls, repeat until it answers."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pycodex.context.history import normalize_history
from pycodex.protocol.base import trusted_factory
from pycodex.protocol.events import (
    AgentMessage,
    AgentMessageDelta,
    AgentReasoning,
    AgentReasoningDelta,
    AgentReasoningRawContent,
    AgentReasoningRawContentDelta,
    AgentReasoningSectionBreak,
    CodexErrorInfo,
    ErrorEvent,
    StreamError,
    TaskStarted,
    TurnDiff,
    WebSearchBegin,
    WebSearchEnd,
)
from pycodex.protocol.models import (
    CALL_TYPES,
    Message,
    Reasoning,
    ResponseItem,
    WebSearchAction,
    WebSearchCall,
)
from pycodex.tasks.prompt import build_prompt

if TYPE_CHECKING:
    from pycodex.model.prompt import Prompt
    from pycodex.model.retry import Attempts
    from pycodex.protocol.usage import TokenUsage
    from pycodex.rollout.items import RolloutItem
    from pycodex.session.session import Session
    from pycodex.session.turn_context import TurnContext


@dataclass
class SamplingResult:
    """What one model request produced."""

    items: list[ResponseItem] = field(default_factory=list)
    usage: TokenUsage | None = None

    def calls(self) -> list[ResponseItem]:
        """The tool calls, in the order the model made them."""
        return [i for i in self.items if isinstance(i, CALL_TYPES)]


class TurnFailed(Exception):
    """The turn cannot go on; the message is what the user sees."""

    def __init__(self, message: str, info: CodexErrorInfo | None = None) -> None:
        super().__init__(message)
        self.info = info


async def run_regular_task(
    session: Session, tc: TurnContext, sub_id: str, input_items: list[ResponseItem]
) -> None:
    """Run one user turn to its end (its last agent message is kept in the turn's state)."""
    if not input_items:
        return
    await session.send_event(sub_id, TaskStarted(model_context_window=tc.context_window))
    await session.record_user_input(sub_id, input_items)
    await run_sampling_loop(session, tc, sub_id)


async def run_sampling_loop(session: Session, tc: TurnContext, sub_id: str) -> None:
    """Request, execute calls, repeat; stops when the model makes no tool call and no input
    is waiting (input that arrives until then is folded into this turn)."""
    from pycodex.tasks.compact import maybe_auto_compact
    from pycodex.tools.router import ToolRouter

    router = ToolRouter.for_turn(session, tc)
    while True:
        await session.account_thread_goal(sub_id)
        pending = session.take_pending_input()
        if pending:
            await session.record_user_input(sub_id, pending)
        try:
            result = await sample_with_retries(session, tc, sub_id, router.specs())
        except TurnFailed as e:
            await session.send_event(sub_id, ErrorEvent(message=str(e), codex_error_info=e.info))
            if session.try_finish(sub_id):
                return
            continue  # input arrived during the failed request: it deserves an answer
        await session.record_conversation_items(result.items)
        for item in result.items:
            if isinstance(item, Message) and item.role == "assistant":
                session.note_agent_message(item.text())
        calls = result.calls()
        if calls:
            outputs = await router.run_calls(sub_id, calls)
            await session.record_conversation_items(outputs)
        tracker = session.diff_tracker()
        if tracker is not None and calls:
            diff = await asyncio.to_thread(tracker.unified_diff)
            if diff:
                await session.send_event(sub_id, TurnDiff(unified_diff=diff))
        outcome = await maybe_auto_compact(session, tc, sub_id)
        if outcome == "failed" and session.try_finish(sub_id):
            return
        if outcome == "compacted":
            continue
        if not calls and session.try_finish(sub_id):
            break
    await session.services.notifier.agent_turn_complete(sub_id, [], session.last_agent_message())


async def sample_with_retries(
    session: Session,
    tc: TurnContext,
    sub_id: str,
    tools: list[dict[str, Any]],
    prompt: Prompt | None = None,
    *,
    hide_answer: bool = False,
) -> SamplingResult:
    """One model request, retried on stream failures with `stream_error` events; `hide_answer`
    keeps its text out of the events (a compaction's summary is for the model only)."""
    from pycodex.model.client import backoff
    from pycodex.model.errors import ModelError, RetryableStreamError
    from pycodex.model.retry import Attempts

    loop = asyncio.get_running_loop()
    tries = Attempts(loop.time())  # counts the HTTP-level retries too, for the messages
    max_retries = tc.client.provider.stream_max_retries
    attempt = 0
    while True:
        try:
            return await sample_once(session, tc, sub_id, tools, prompt, tries, hide_answer=hide_answer)
        except RetryableStreamError as e:
            if attempt >= max_retries:
                raise TurnFailed(tries.gave_up(loop.time(), str(e)), _info(e)) from e
            attempt += 1
            delay = e.retry_after if e.retry_after is not None else backoff(attempt)
            text = tries.retrying(loop.time(), f"stream error: {e}", attempt, max_retries, delay)
            await session.send_event(sub_id, StreamError(message=text, codex_error_info=_info(e)))
            await asyncio.sleep(delay)
        except ModelError as e:
            raise TurnFailed(str(e), _info(e)) from e


def _info(e: Exception) -> CodexErrorInfo | None:
    info = getattr(e, "error_info", None)
    return info if isinstance(info, CodexErrorInfo) else None


# The per-delta events, built from our own typed values without validation.
_text_delta = trusted_factory(AgentMessageDelta, "type", "delta")
_reasoning_delta = trusted_factory(AgentReasoningDelta, "type", "delta")


async def sample_once(
    session: Session,
    tc: TurnContext,
    sub_id: str,
    tools: list[dict[str, Any]],
    prompt: Prompt | None = None,
    tries: Attempts | None = None,
    *,
    hide_answer: bool = False,
) -> SamplingResult:
    """Stream one response, turning its deltas and items into events."""
    from pycodex.model import events as rev
    from pycodex.model.retry import Attempts

    if prompt is None:
        history = normalize_history(session.history_snapshot())
        prompt = build_prompt(tc, history, tools)
    await session.persist([turn_context_item(tc)])
    result = SamplingResult()
    show_raw = tc.show_raw_agent_reasoning
    show_answer = not (tc.is_review_mode or hide_answer)
    emit = session.send_event_nowait
    text_delta = _text_delta
    searches = _WebSearches()
    async for ev in tc.client.stream(prompt):
        if isinstance(ev, rev.OutputTextDelta):
            if show_answer:
                emit(sub_id, text_delta("agent_message_delta", ev.delta))
        elif isinstance(ev, rev.ReasoningSummaryDelta):
            emit(sub_id, _reasoning_delta("agent_reasoning_delta", ev.delta))
        elif isinstance(ev, rev.ReasoningSummaryPartAdded):
            emit(sub_id, AgentReasoningSectionBreak())
        elif isinstance(ev, rev.ReasoningContentDelta):
            if show_raw:
                emit(sub_id, AgentReasoningRawContentDelta(delta=ev.delta))
        elif isinstance(ev, rev.OutputItemAdded):
            if isinstance(ev.item, WebSearchCall):
                await session.send_event(sub_id, WebSearchBegin(call_id=searches.begin(ev.item)))
        elif isinstance(ev, rev.OutputItemDone):
            result.items.append(ev.item)
            if isinstance(ev.item, WebSearchCall):
                await session.send_event(sub_id, searches.end(ev.item))
            else:
                await _emit_item_events(session, sub_id, ev.item, show_raw, show_answer)
        elif isinstance(ev, rev.RateLimits):
            await session.update_rate_limits(sub_id, ev.snapshot)
        elif isinstance(ev, rev.Retrying):
            now = asyncio.get_running_loop().time()
            tries = tries or Attempts(now)
            text = tries.retrying(now, f"request error: {ev.error}", ev.retry, ev.max_retries, ev.delay)
            await session.send_event(sub_id, StreamError(message=text))
        elif isinstance(ev, rev.Completed):
            result.usage = ev.usage
            await session.update_token_usage(sub_id, tc, ev.usage)
            return result
    raise _stream_closed()


def turn_context_item(tc: TurnContext) -> RolloutItem:
    """The rollout line recording one request's settings."""
    from pycodex.protocol.rollout import TurnContextItem
    from pycodex.rollout.items import RolloutItem

    return RolloutItem.turn_context(
        TurnContextItem(
            cwd=tc.cwd,
            approval_policy=tc.approval_policy,
            sandbox_policy=tc.sandbox_policy,
            model=tc.model,
            effort=tc.effort,
            summary=tc.summary,
        )
    )


def _stream_closed() -> Exception:
    from pycodex.model.errors import RetryableStreamError

    return RetryableStreamError(
        "stream disconnected before completion: stream closed before response.completed", None
    )


async def _emit_item_events(
    session: Session, sub_id: str, item: ResponseItem, show_raw: bool, show_answer: bool
) -> None:
    if isinstance(item, Message) and item.role == "assistant":
        if show_answer:
            await session.send_event(sub_id, AgentMessage(message=item.text()))
    elif isinstance(item, Reasoning):
        for part in item.summary:
            await session.send_event(sub_id, AgentReasoning(text=part.text))
        if show_raw and item.content:
            for c in item.content:
                await session.send_event(sub_id, AgentReasoningRawContent(text=c.text))


class _WebSearches:
    """The ids of one response's hosted web searches, for their begin and end events."""

    def __init__(self) -> None:
        self._unnamed: list[str] = []  # ids made up for searches announced without one

    def begin(self, item: WebSearchCall) -> str:
        """The call id of a search the server announced."""
        if item.id:
            return item.id
        call_id = _made_up_search_id()
        self._unnamed.append(call_id)
        return call_id

    def end(self, item: WebSearchCall) -> WebSearchEnd:
        """The event for a finished search, with the same call id as its begin."""
        call_id = item.id or (self._unnamed.pop(0) if self._unnamed else _made_up_search_id())
        action = item.action or WebSearchAction()
        return WebSearchEnd(call_id=call_id, query=action.detail(), action=action)


def _made_up_search_id() -> str:
    # Codex makes one up the same way when the server sends a search without an id.
    return f"ws_{uuid.uuid4()}"
