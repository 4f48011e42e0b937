"""What the session index keeps of a rollout, folded one decoded line at a time (pure)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pycodex.context.environment import is_context_message

FIRST_MESSAGE_CHARS = 500


@dataclass
class RolloutSummary:
    """The index row of one file, plus the message texts of the lines folded since `texts` was reset."""

    thread_id: str | None = None
    cwd: str | None = None
    created: str | None = None
    model: str | None = None
    provider: str | None = None
    first_user_message: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    texts: list[str] = field(default_factory=list)

    def fold_raw(self, raw: bytes) -> None:
        """Fold one raw line; lines that are not JSON objects are ignored."""
        try:
            line = json.loads(raw)
        except ValueError:  # also UnicodeDecodeError: not UTF-8
            return
        if isinstance(line, dict):
            self.fold(line)

    def fold(self, line: dict[str, Any]) -> None:
        """Fold one decoded line into the summary."""
        kind, p = line.get("type"), line.get("payload")
        if not isinstance(p, dict):
            return
        if kind == "session_meta" and self.thread_id is None:
            self.thread_id = _str(p.get("id"))
            self.cwd, self.created = _str(p.get("cwd")), _str(p.get("timestamp"))
            self.provider, self.model = _str(p.get("model_provider")), _str(p.get("model"))
        elif kind == "turn_context":
            self.model = _str(p.get("model")) or self.model
        elif kind == "event_msg" and p.get("type") == "token_count" and isinstance(p.get("info"), dict):
            total = p["info"].get("total_token_usage") or {}
            self.input_tokens = _int(total.get("input_tokens"))
            self.output_tokens = _int(total.get("output_tokens"))
        elif kind == "response_item" and p.get("type") == "message":
            content = p.get("content")
            content = content if isinstance(content, list) else []
            text = "".join(str(c.get("text", "")) for c in content if isinstance(c, dict))
            if p.get("role") == "user" and not is_context_message(text):
                self.first_user_message = self.first_user_message or text[:FIRST_MESSAGE_CHARS]
                self.texts.append(text)
            elif p.get("role") == "assistant":
                self.texts.append(text)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int:
    return value if isinstance(value, int) else 0
