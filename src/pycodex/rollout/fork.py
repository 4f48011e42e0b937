"""Forking: a new thread from an existing one, cut before its N-th user message."""

from __future__ import annotations

from collections.abc import Sequence

from pycodex.context.environment import is_context_message
from pycodex.protocol.models import Message
from pycodex.rollout.items import RolloutItem


def _is_user_turn(item: RolloutItem) -> bool:
    p = item.payload
    return (
        item.type == "response_item"
        and isinstance(p, Message)
        and p.role == "user"
        and not is_context_message(p.text())
    )


def fork_items(items: Sequence[RolloutItem], nth_user_message: int) -> list[RolloutItem]:
    """Items before the N-th (0-based) user message; all items if there are fewer."""
    seen = 0
    for i, item in enumerate(items):
        if _is_user_turn(item):
            if seen == nth_user_message:
                return list(items[:i])
            seen += 1
    return list(items)
