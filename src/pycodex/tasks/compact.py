"""Compaction: summarise the conversation and continue from the summary."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pycodex.context.compaction import (
    build_compacted_history,
    collect_user_messages,
    should_compact,
)
from pycodex.context.history import normalize_history
from pycodex.context.prompts import load_prompt
from pycodex.protocol.events import AgentMessage, ContextCompacted, ErrorEvent, TaskStarted
from pycodex.protocol.models import Message, user_message

if TYPE_CHECKING:
    from pycodex.session.session import Session
    from pycodex.session.turn_context import TurnContext

CompactOutcome = Literal["not_needed", "compacted", "failed"]


async def run_compact_task(session: Session, tc: TurnContext, sub_id: str) -> None:
    """The Compact task (Op::Compact with no turn running)."""
    from pycodex.tasks.regular import run_sampling_loop

    await session.send_event(sub_id, TaskStarted(model_context_window=tc.context_window))
    if await compact_history(session, tc, sub_id):
        # Asked for: told it is done (an automatic one mid-turn is silent, as in Codex's exec).
        await session.send_event(sub_id, AgentMessage(message="Compact task completed"))
    if not session.try_finish(sub_id):
        # The user wrote while the history was being summarised: the turn goes on with it.
        await run_sampling_loop(session, tc, sub_id)


async def compact_history(session: Session, tc: TurnContext, sub_id: str) -> bool:
    """Ask the model for a summary and replace the history with it; False on failure."""
    from pycodex.model.prompt import Prompt
    from pycodex.rollout.recorder import RolloutItem
    from pycodex.session.initial_context import build_initial_context
    from pycodex.tasks.regular import TurnFailed, sample_with_retries

    history = session.history_snapshot()
    prompt_text = tc.compact_prompt or load_prompt("compact.md")
    request = [*normalize_history(history), user_message(prompt_text)]

    try:
        prompt = Prompt(input=request, tools=[], instructions=tc.base_instructions)
        result = await sample_with_retries(session, tc, sub_id, [], prompt, hide_answer=True)
    except TurnFailed as e:
        await session.send_event(sub_id, ErrorEvent(message=str(e)))
        return False
    summary = ""
    for item in result.items:
        if isinstance(item, Message) and item.role == "assistant":
            summary = item.text()
    new_history = build_compacted_history(
        build_initial_context(tc), collect_user_messages(history), summary
    )
    await session.replace_history(new_history)
    await session.persist([RolloutItem.compacted(summary, new_history)])
    await session.send_event(sub_id, ContextCompacted())
    return True


async def maybe_auto_compact(session: Session, tc: TurnContext, sub_id: str) -> CompactOutcome:
    """Compact when the last request filled the window up to the limit."""
    last = session.last_token_usage()
    if last is None or not should_compact(last.tokens_in_context_window(), tc.auto_compact_token_limit):
        session.set_auto_compacted(False)
        return "not_needed"
    if session.auto_compacted():
        await session.send_event(
            sub_id,
            ErrorEvent(
                message=(
                    "Conversation is still above the token limit after automatic summarization "
                    f"(limit {tc.auto_compact_token_limit}, current "
                    f"{last.tokens_in_context_window()}). Please start a new session or trim "
                    "your input."
                )
            ),
        )
        return "failed"
    if not await compact_history(session, tc, sub_id):
        return "failed"
    session.set_auto_compacted(True)
    return "compacted"
