"""Building the request a turn sends: instructions, history and tools."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pycodex.protocol.models import ResponseItem

if TYPE_CHECKING:
    from pycodex.model.prompt import Prompt
    from pycodex.session.turn_context import TurnContext


def build_prompt(
    tc: TurnContext, history: Sequence[ResponseItem], tools: list[dict[str, Any]]
) -> Prompt:
    """The prompt for one model request of this turn."""
    from pycodex.model.prompt import Prompt

    return Prompt(
        input=list(history),
        tools=tools,
        instructions=tc.base_instructions,
        output_schema=tc.final_output_json_schema,
        parallel_tool_calls=True,
    )
