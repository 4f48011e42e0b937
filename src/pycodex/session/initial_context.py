"""The items a fresh conversation starts with."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pycodex.context.environment import user_instructions_message
from pycodex.protocol.models import ResponseItem

if TYPE_CHECKING:
    from pycodex.session.turn_context import TurnContext


def build_initial_context(tc: TurnContext) -> list[ResponseItem]:
    """As Codex orders them: a developer message (permissions, then the configured developer
    instructions), user instructions (AGENTS.md), then the environment context."""
    items: list[ResponseItem] = [tc.permissions_context().message(tc.developer_instructions or "")]
    if tc.user_instructions:
        items.append(user_instructions_message(tc.user_instructions))
    items.append(tc.environment_context().message())
    return items
