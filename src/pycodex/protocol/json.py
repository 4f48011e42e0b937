"""The JSON adapters: one per wire format, each with Codex's rules for nulls."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import TypeAdapter


@cache
def _adapter(kind: str) -> TypeAdapter[Any]:
    # Built lazily: constructing validators for the big unions costs start-up time. Each kind
    # imports only its own module (the exec JSONL types alone cost ~10 ms to import, and only
    # `pycodex exec --json` uses them).
    module: Any
    if kind in ("thread_event", "thread_item"):
        from pycodex.protocol import exec_events as module
    elif kind in ("op", "submission"):
        from pycodex.protocol import ops as module
    elif kind == "response_item":
        from pycodex.protocol import models as module
    else:
        from pycodex.protocol import events as module
    names = {"event_msg": "EventMsg", "event": "Event", "op": "Op", "submission": "Submission",
             "response_item": "ResponseItem", "thread_event": "ThreadEvent", "thread_item": "ThreadItem"}
    return TypeAdapter(getattr(module, names[kind]))


def response_item_adapter() -> TypeAdapter[Any]:
    """Validator for one `ResponseItem`."""
    return _adapter("response_item")


@cache
def response_item_class_adapter(kind: object) -> TypeAdapter[Any] | None:
    """Validator for the one `ResponseItem` class whose `type` is `kind`; None when no class
    has that type. One class's validator is built in ~1 ms, the whole union's in ~5 ms, and a
    model's answer usually holds one or two kinds of item."""
    from typing import get_args

    from pycodex.protocol.models import ResponseItem

    for cls in get_args(get_args(ResponseItem)[0]):  # Annotated[A | B | ..., Field(...)]
        if cls.model_fields["type"].default == kind:
            return TypeAdapter(cls)
    return None


def event_msg_adapter() -> TypeAdapter[Any]:
    """Validator for one `EventMsg`."""
    return _adapter("event_msg")


def op_adapter() -> TypeAdapter[Any]:
    """Validator for one `Op`."""
    return _adapter("op")


def thread_event_adapter() -> TypeAdapter[Any]:
    """Validator for one exec JSONL line."""
    return _adapter("thread_event")


def submission_adapter() -> TypeAdapter[Any]:
    """Validator for one `Submission`."""
    return _adapter("submission")


def event_adapter() -> TypeAdapter[Any]:
    """Validator for one `Event`."""
    return _adapter("event")


def dump_response_item(item: Any) -> dict[str, Any]:
    """A model item as the Responses API takes it: absent fields are left out."""
    data: dict[str, Any] = item.model_dump(mode="json", exclude_none=True)
    return data


def dump_event_msg(msg: Any) -> dict[str, Any]:
    """An event payload as Codex writes it: absent options are left out."""
    data: dict[str, Any] = msg.model_dump(mode="json", exclude_none=True)
    return data


def dump_thread_event(ev: Any) -> str:
    """One exec JSONL line; nulls kept, as `codex exec --json` prints `exit_code: null`."""
    text: str = ev.model_dump_json(exclude_none=False)
    return text
