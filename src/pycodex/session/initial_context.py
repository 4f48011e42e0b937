"""The items a conversation starts with, and what a resumed one must be told again."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pycodex.context.environment import ENV_OPEN, user_instructions_message
from pycodex.context.permissions import PERMISSIONS_OPEN
from pycodex.protocol.models import Message, ResponseItem

if TYPE_CHECKING:
    from pycodex.session.turn_context import TurnContext


def build_initial_context(tc: TurnContext, tools_text: str = "") -> list[ResponseItem]:
    """As Codex orders them: a developer message (permissions, then the configured developer
    instructions, then the deferred tool namespaces if any), user instructions (AGENTS.md),
    then the environment context."""
    developer = tc.permissions_context().message(tc.developer_instructions or "", tools_text)
    items: list[ResponseItem] = [developer]
    if tc.user_instructions:
        items.append(user_instructions_message(tc.user_instructions))
    items.append(tc.environment_context().message())
    return items


def build_resume_updates(tc: TurnContext, history: Sequence[ResponseItem]) -> list[ResponseItem]:
    """The context messages a resumed history lacks: the permissions and the environment, each
    when its last telling differs from now (or is in an older format, or missing)."""
    items: list[ResponseItem] = []
    permissions = tc.permissions_context().render()
    if _last_text(history, "developer", PERMISSIONS_OPEN) != permissions:
        items.append(tc.permissions_context().message())
    env = tc.environment_context().render()
    last_env = _last_text(history, "user", ENV_OPEN)
    if last_env is None or _without_date(last_env) != _without_date(env):
        items.append(tc.environment_context().message())
    return items


def _last_text(history: Sequence[ResponseItem], role: str, opening: str) -> str | None:
    for item in reversed(history):
        if isinstance(item, Message) and item.role == role:
            for part in item.content:
                text = getattr(part, "text", None)
                if isinstance(text, str) and text.startswith(opening):
                    return text
    return None


def _without_date(text: str) -> str:
    # A new day alone is no reason to tell the model again.
    return "\n".join(line for line in text.splitlines() if "<current_date>" not in line)
