"""Pure compaction policy: when to compact and what the compacted history looks like."""

from __future__ import annotations

from collections.abc import Sequence

from pycodex.context.environment import is_context_message
from pycodex.protocol.models import Message, ResponseItem, user_message

SUMMARY_PREFIX = (
    "An earlier part of this conversation was summarised to save context. The user's own "
    "messages so far are repeated first; the summary of the work done follows. Continue from "
    "there without redoing finished work."
)
USER_MESSAGES_MAX_BYTES = 80_000


def collect_user_messages(items: Sequence[ResponseItem]) -> list[str]:
    """The texts the user typed (not the context messages we generated)."""
    out: list[str] = []
    for item in items:
        if isinstance(item, Message) and item.role == "user":
            text = item.text()
            if not is_context_message(text) and not text.startswith(SUMMARY_PREFIX):
                out.append(text)
    return out


def build_compacted_history(
    initial_context: Sequence[ResponseItem], user_messages: Sequence[str], summary: str
) -> list[ResponseItem]:
    """Initial context + one bridge message carrying the user's words and the summary."""
    joined = "\n\n".join(user_messages) or "(none)"
    joined = _middle_truncate(joined, USER_MESSAGES_MAX_BYTES)
    bridge = (
        f"{SUMMARY_PREFIX}\n\n<user_messages>\n{joined}\n</user_messages>\n\n"
        f"<summary>\n{summary or '(no summary available)'}\n</summary>"
    )
    return [*initial_context, user_message(bridge)]


def should_compact(tokens_in_window: int, limit: int | None) -> bool:
    """Whether the conversation has reached the auto-compaction limit."""
    return limit is not None and tokens_in_window >= limit


def _middle_truncate(text: str, max_bytes: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    half = max_bytes // 2
    head = data[:half].decode("utf-8", errors="ignore")
    tail = data[-half:].decode("utf-8", errors="ignore")
    omitted = len(data) - len(head.encode()) - len(tail.encode())
    return f"{head}\n…{omitted // 4} tokens truncated…\n{tail}"
