"""The Review task: a reviewer runs in a history of its own, and the conversation keeps only
its result.

The reviewer gets our review instructions, the environment and the permissions, and the
request naming the target; nothing of the conversation so far. Its requests, tool calls and
outputs stay in that separate history (never in the conversation's history or rollout); it
runs commands under the same approval and sandbox rules as a regular turn. Its answer is parsed
into Codex's review JSON, announced in `exited_review_mode`, and recorded in the conversation
as a short summary (a user-action message) plus the rendered review as the assistant's message.

Input the user sends while the review runs is not given to the reviewer (Codex does not steer
a review either): it waits in the turn, and once the review has ended the turn goes on as a
regular one with it, the review's summary already in the conversation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TYPE_CHECKING

from pycodex.context.history import normalize_history
from pycodex.context.prompts import load_prompt
from pycodex.context.review_format import (
    parse_review_output,
    render_review_text,
    review_summary_message,
)
from pycodex.protocol.events import (
    AgentMessage,
    EnteredReviewMode,
    ErrorEvent,
    ExitedReviewMode,
    ReviewOutputEvent,
    TaskStarted,
)
from pycodex.protocol.models import Message, ResponseItem, assistant_message, user_message

if TYPE_CHECKING:
    from pycodex.session.session import Session
    from pycodex.session.turn_context import TurnContext
    from pycodex.tasks.review_target import ResolvedReview


async def run_review_task(
    session: Session, tc: TurnContext, sub_id: str, review: ResolvedReview
) -> None:
    """Run one review to its end; input that arrived meanwhile is answered after it."""
    from pycodex.tasks.regular import TurnFailed, run_sampling_loop

    await session.send_event(sub_id, TaskStarted(model_context_window=tc.context_window))
    announced = review.request
    await session.send_event(
        sub_id, EnteredReviewMode(target=announced.target, user_facing_hint=announced.user_facing_hint)
    )
    try:
        answer = await _review(session, review_turn_context(tc), sub_id, review.prompt)
    except asyncio.CancelledError:
        # Interrupted or replaced: the review still ends, with no result, before turn_aborted.
        await _to_the_end(_exit_review(session, sub_id, None, finished=False))
        raise
    except TurnFailed as e:
        await session.send_event(sub_id, ErrorEvent(message=str(e), codex_error_info=e.info))
        await _to_the_end(_exit_review(session, sub_id, None, finished=False))
    else:
        output = parse_review_output(answer) if answer is not None else None
        await _to_the_end(_exit_review(session, sub_id, output, finished=True))
    if not session.try_finish(sub_id):
        await run_sampling_loop(session, tc, sub_id)


def review_turn_context(tc: TurnContext) -> TurnContext:
    """The reviewer's settings: the turn's model, cwd, approval and sandbox, with our review
    instructions in place of the conversation's, and no AGENTS.md or developer text."""
    return tc.with_changes(
        is_review_mode=True,
        base_instructions=load_prompt("review.md"),
        user_instructions=None,
        developer_instructions=None,
        final_output_json_schema=None,
    )


async def _review(session: Session, rtc: TurnContext, sub_id: str, request: str) -> str | None:
    """The reviewer's loop over its own history; returns its last message (None if it wrote
    none). The turn's queued input is left alone for after the review."""
    from pycodex.model.prompt import Prompt
    from pycodex.session.initial_context import build_initial_context
    from pycodex.tasks.regular import sample_with_retries
    from pycodex.tools.router import ToolRouter

    router = ToolRouter.for_turn(session, rtc)
    history: list[ResponseItem] = [*build_initial_context(rtc), user_message(request)]
    last: str | None = None
    while True:
        prompt = Prompt(
            input=normalize_history(history),
            tools=router.specs(),
            instructions=rtc.base_instructions,
            parallel_tool_calls=True,
        )
        result = await sample_with_retries(session, rtc, sub_id, router.specs(), prompt)
        history.extend(result.items)
        for item in result.items:
            if isinstance(item, Message) and item.role == "assistant":
                last = item.text()
        calls = result.calls()
        if not calls:
            return last
        history.extend(await router.run_calls(sub_id, calls))


async def _exit_review(
    session: Session, sub_id: str, output: ReviewOutputEvent | None, *, finished: bool
) -> None:
    """Leave review mode (as Codex orders it): the summary into the conversation, then
    `exited_review_mode`, then the rendered review as the assistant's message."""
    summary = review_summary_message(output, finished=finished)
    await session.record_conversation_items([user_message(summary)])
    await session.send_event(sub_id, ExitedReviewMode(review_output=output))
    if finished:
        text = render_review_text(output)
        await session.record_conversation_items([assistant_message(text)])
        await session.send_event(sub_id, AgentMessage(message=text))
        session.note_agent_message(text)


async def _to_the_end(step: Awaitable[None]) -> None:
    """Run a step to completion even if the task is cancelled meanwhile (a review must end
    with exactly one `exited_review_mode`); the cancellation is raised once it is done."""
    inner = asyncio.ensure_future(step)
    try:
        await asyncio.shield(inner)
    except asyncio.CancelledError:
        await inner
        raise
