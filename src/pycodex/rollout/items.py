"""RolloutItem: one line's type and payload."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from pycodex.protocol.rollout import CompactedItem, SessionMeta, TurnContextItem


@dataclass(slots=True)
class RolloutItem:
    """A typed rollout entry: `type` is the line type, `payload` its pydantic model."""

    type: str
    payload: Any

    @classmethod
    def from_response_item(cls, item: Any) -> RolloutItem:
        """A model item."""
        return cls("response_item", item)

    @classmethod
    def from_event(cls, msg: Any) -> RolloutItem:
        """An event."""
        return cls("event_msg", msg)

    @classmethod
    def session_meta(cls, meta: SessionMeta) -> RolloutItem:
        """The first line of a file."""
        return cls("session_meta", meta)

    @classmethod
    def turn_context(cls, ctx: TurnContextItem) -> RolloutItem:
        """The settings of one model request."""
        return cls("turn_context", ctx)

    @classmethod
    def compacted(cls, summary: str, replacement: list[Any] | None = None) -> RolloutItem:
        """A compaction: the summary and the history that replaced the old one."""
        hist = [i.model_dump(mode="json", exclude_none=True) for i in replacement] if replacement else None
        return cls("compacted", CompactedItem(message=summary, replacement_history=hist))

    def payload_type(self) -> str | None:
        """The payload's own `type`, if it has one."""
        return getattr(self.payload, "type", None)

    def to_line(self, now: dt.datetime | None = None, ordinal: int | None = None) -> str:
        """The JSON line (with trailing newline); `ordinal` numbers it as Codex numbers its own."""
        now = now or dt.datetime.now(dt.UTC)
        ts = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
        payload = self.payload.model_dump(mode="json", exclude_none=True)
        line: dict[str, Any] = {"timestamp": ts}
        if ordinal is not None:
            line["ordinal"] = ordinal
        line["type"] = self.type
        line["payload"] = payload
        return json.dumps(line, ensure_ascii=False) + "\n"
