"""Rollout lines decoded and validated in one step, in pydantic's Rust core.

A resumed session reads every line of its rollout: tens of thousands for a long one. Decoding
each with json.loads and then validating the Python objects costs ~10 µs a line here; when the
line's type can be read off its first bytes, one `validate_json` of the whole line against a
model of that line type does both at ~2.7 µs. A line this cannot take (a type it does not
know, a payload that does not validate, a line written in another key order, not UTF-8) is
left to the reader's general path, which decides exactly as before.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import TypeAdapter, ValidationError, create_model

from pycodex.protocol.base import WireModel
from pycodex.rollout.items import RolloutItem

_TYPE_KEY = b'"type"'
# The line types read here (the session_meta line is read once, by the general path).
FAST_KINDS = frozenset({"response_item", "event_msg", "turn_context"})


def line_kind(raw: bytes) -> str | None:
    """The line's `type` when it is the first `"type"` key of the line (Codex and pycodex write
    `{"timestamp": ..., "type": ..., "payload": ...}`); None when it cannot be read off."""
    at = raw.find(_TYPE_KEY)
    if at < 0:
        return None
    i = at + len(_TYPE_KEY)
    n = len(raw)
    while i < n and raw[i] in b" \t:":
        i += 1
    if i >= n or raw[i] != 0x22:  # a quote
        return None
    end = raw.find(b'"', i + 1)
    if end < 0:
        return None
    kind = raw[i + 1 : end].decode("ascii", "replace")
    return kind if kind in FAST_KINDS else None


@cache
def _adapter(kind: str) -> TypeAdapter[Any]:
    payload: Any
    if kind == "response_item":
        from pycodex.protocol.models import ResponseItem as payload
    elif kind == "event_msg":
        from pycodex.protocol.events import EventMsg as payload
    else:
        from pycodex.protocol.rollout import TurnContextItem as payload
    line = create_model(f"RolloutLine_{kind}", __base__=WireModel, type=(str, ...), payload=(payload, ...))
    return TypeAdapter(line)


def decode_line(raw: bytes) -> RolloutItem | None:
    """The line as a RolloutItem, or None when the general path must decide."""
    kind = line_kind(raw)
    if kind is None:
        return None
    try:
        line = _adapter(kind).validate_json(raw)
    except ValidationError:
        return None
    if line.type != kind:  # the first "type" key was not the line's own
        return None
    return RolloutItem(kind, line.payload)
