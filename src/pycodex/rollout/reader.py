"""Reading rollouts back: tolerant of torn tails and of lines from newer Codex versions."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pycodex.context.compaction import build_compacted_history, collect_user_messages
from pycodex.protocol.goals import ThreadGoal
from pycodex.protocol.json import event_msg_adapter, response_item_adapter
from pycodex.protocol.models import Message, ResponseItem
from pycodex.protocol.rollout import CompactedItem, SessionMeta, TurnContextItem
from pycodex.protocol.text import loads_untrusted
from pycodex.protocol.usage import TokenUsageInfo
from pycodex.rollout.items import RolloutItem


@dataclass
class LoadedRollout:
    """A rollout file's content."""

    path: Path
    meta: SessionMeta | None
    items: list[RolloutItem] = field(default_factory=list)
    skipped: int = 0
    torn_tail: bool = False


def parse_line(obj: Any) -> RolloutItem | None:
    """One decoded line → a RolloutItem, or None when we do not know it."""
    if not isinstance(obj, dict):
        return None
    kind, payload = obj.get("type"), obj.get("payload")
    try:
        if kind == "session_meta":
            return RolloutItem(kind, SessionMeta.model_validate(payload))
        if kind == "response_item":
            return RolloutItem(kind, response_item_adapter().validate_python(payload))
        if kind == "event_msg":
            return RolloutItem(kind, event_msg_adapter().validate_python(payload))
        if kind == "turn_context":
            return RolloutItem(kind, TurnContextItem.model_validate(payload))
        if kind == "compacted":
            return RolloutItem(kind, CompactedItem.model_validate(payload))
    except ValidationError:
        return None
    return None


def load_rollout(path: Path) -> LoadedRollout:
    """Read a rollout; unknown and torn lines are skipped and counted, never fatal."""
    from pycodex.rollout.fast_lines import decode_line

    out = LoadedRollout(path=path, meta=None)
    # Tens of thousands of new objects, none of them garbage: the cyclic collector would
    # scan the growing list again and again (half the load time of a 50,000-line file).
    paused = gc.isenabled()
    gc.disable()
    try:
        _read_lines(path, out, decode_line)
    finally:
        if paused:
            gc.enable()
    return out


READ_CHUNK = 1 << 20  # the file is read a megabyte at a time, never whole


def _lines(path: Path) -> Iterator[bytes]:
    """The file's lines, each with its newline (the last one may lack it)."""
    # Big reads, not a line-buffered file: each read lets go of the GIL, and a reader that
    # lets go and takes it back every few kilobytes keeps the event loop's thread from getting
    # it at all (a loop stalled for 0.3 s while a 20 MB rollout was read in a worker).
    tail = b""
    with path.open("rb", buffering=0) as f:
        while chunk := f.read(READ_CHUNK):
            lines = (tail + chunk).split(b"\n")
            tail = lines.pop()
            for line in lines:
                yield line + b"\n"
    if tail:
        yield tail


def _read_lines(path: Path, out: LoadedRollout, decode_line: Callable[[bytes], RolloutItem | None]) -> None:
    for raw in _lines(path):
        if not raw.endswith(b"\n"):
            out.torn_tail = True  # a crash mid-write left a partial line
        item = decode_line(raw)  # most lines: decoded and validated in one step
        if item is None:
            if not raw.strip():
                continue
            try:
                obj = loads_untrusted(raw)
            except ValueError:  # not JSON, or not UTF-8
                out.skipped += 1
                continue
            item = parse_line(obj)
        if item is None:
            out.skipped += 1
            continue
        if item.type == "session_meta":
            if out.meta is None:
                out.meta = item.payload
            continue
        out.items.append(item)


def reconstruct_history(
    items: Sequence[RolloutItem], initial_context: Sequence[ResponseItem]
) -> list[ResponseItem]:
    """Replay response items, applying compactions as live compaction would."""
    history: list[ResponseItem] = []
    for item in items:
        if item.type == "response_item":
            history.append(item.payload)
        elif item.type == "compacted":
            c: CompactedItem = item.payload
            if c.replacement_history:
                adapter = response_item_adapter()
                history = [adapter.validate_python(x) for x in c.replacement_history]
            else:
                history = build_compacted_history(
                    initial_context, collect_user_messages(history), c.message
                )
    return history


def last_token_usage(items: Sequence[RolloutItem]) -> TokenUsageInfo | None:
    """Cumulative usage from the last token_count event."""
    for item in reversed(items):
        if item.type == "event_msg" and item.payload.type == "token_count" and item.payload.info:
            info: TokenUsageInfo = item.payload.info
            return info
    return None


def last_thread_goal(items: Sequence[RolloutItem], thread_id: str) -> ThreadGoal | None:
    """The thread's goal as last recorded (None once cleared); a fork's copied lines name its
    parent, not it."""
    for item in reversed(items):
        p = item.payload
        if item.type != "event_msg" or getattr(p, "thread_id", None) != thread_id:
            continue
        if p.type == "thread_goal_cleared":
            return None
        if p.type == "thread_goal_updated":
            goal: ThreadGoal = p.goal
            return goal
    return None


def last_turn_context(items: Sequence[RolloutItem]) -> TurnContextItem | None:
    """The settings of the last recorded model request."""
    for item in reversed(items):
        if item.type == "turn_context":
            ctx: TurnContextItem = item.payload
            return ctx
    return None


def user_messages(items: Sequence[RolloutItem]) -> list[str]:
    """The user's own messages, in order."""
    return collect_user_messages(
        [i.payload for i in items if i.type == "response_item" and isinstance(i.payload, Message)]
    )
