"""`request_user_input`: the model asks the user a few questions and waits for the answers.

Codex offers the tool to gpt-5.5 but, by default, answers every call outside its Plan mode with
"request_user_input is unavailable in Default mode". pycodex has no collaboration modes; it
behaves as Codex does with its `default_mode_request_user_input` feature: the questions go to
the client (a `request_user_input` event) and the answers (a `user_input_answer` op) come back
to the model as Codex's JSON. Where nobody can answer, the call returns at once and says so.
"""

from __future__ import annotations

import json

from pydantic import Field

from pycodex.protocol.base import WireModel
from pycodex.protocol.events import RequestUserInputQuestion
from pycodex.protocol.ops import RequestUserInputResponse
from pycodex.tools.context import (
    RespondToModel,
    ToolInvocation,
    ToolOutput,
    answer_now_unless_someone_can_answer,
    parse_args,
)

NO_USER = (
    "request_user_input got no answers: no user is available to answer questions in this run. "
    "Go on without them: choose sensible defaults, and say in your final message which you chose."
)
# Codex's texts for these cases.
NEEDS_OPTIONS = "request_user_input requires non-empty options for every question"
CANCELLED = "request_user_input was cancelled before receiving a response"


class RequestUserInputArgs(WireModel):
    """The tool's arguments."""

    questions: list[RequestUserInputQuestion] = Field(min_length=1)


def validate_questions(questions: list[RequestUserInputQuestion]) -> None:
    """Refuse questions no client can show or answer (no choices, ambiguous ids)."""
    if any(not q.options for q in questions):
        raise RespondToModel(NEEDS_OPTIONS)
    seen: set[str] = set()
    for q in questions:
        if q.id in seen:
            raise RespondToModel(
                f"request_user_input needs a distinct id for every question: {q.id!r} is used twice"
            )
        seen.add(q.id)


def answers_text(response: RequestUserInputResponse | None) -> ToolOutput:
    """What the model reads back: the answers as Codex's JSON, or why there are none."""
    if response is None:
        return ToolOutput(CANCELLED, success=False)
    if not response.answers:
        return ToolOutput(NO_USER, success=False)
    # Compact and unescaped, as Codex serialises it.
    return ToolOutput(
        json.dumps(response.model_dump(mode="json"), separators=(",", ":"), ensure_ascii=False)
    )


class RequestUserInputHandler:
    """Sends the questions to the client and waits for its `user_input_answer`."""

    async def handle(self, inv: ToolInvocation) -> ToolOutput:
        """Ask, wait, and hand the answers to the model."""
        args = parse_args(RequestUserInputArgs, inv.payload)
        validate_questions(args.questions)
        answer_now_unless_someone_can_answer(inv, NO_USER)
        # As Codex does: every question also takes a free-text answer besides its options.
        questions = [q.model_copy(update={"isOther": True}) for q in args.questions]
        response = await inv.session.request_user_input(inv.sub_id, inv.call_id, questions)
        return answers_text(response)

    def parallel_safe(self, inv: ToolInvocation) -> bool:
        """One question at a time: the turn waits for the person."""
        return False
