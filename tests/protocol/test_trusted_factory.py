"""trusted_factory: the per-delta constructor gives the same models as model_construct."""

from __future__ import annotations

import pytest

from pycodex.protocol.base import trusted_factory
from pycodex.protocol.events import AgentMessageDelta, Event, TaskStarted
from pycodex.protocol.json import dump_event_msg


def test_same_model_json_and_fields_as_model_construct() -> None:
    delta = trusted_factory(AgentMessageDelta, "type", "delta")
    event = trusted_factory(Event, "id", "msg")
    fast = event("3", delta("agent_message_delta", "hé"))
    slow = Event.model_construct(id="3", msg=AgentMessageDelta.model_construct(delta="hé"))
    assert fast == slow and dump_event_msg(fast.msg) == dump_event_msg(slow.msg) and fast.model_dump() == slow.model_dump()
    assert fast.model_fields_set == slow.model_fields_set
    fast.msg.delta = "changed"  # assignment works and touches no other instance
    assert delta("agent_message_delta", "x").delta == "x"


def test_wrong_fields_are_refused() -> None:
    """Bad input tried: a factory naming a field the model lacks, and one missing a field."""
    with pytest.raises(TypeError, match="AgentMessageDelta has fields"):
        trusted_factory(AgentMessageDelta, "type", "text")
    with pytest.raises(TypeError, match="TaskStarted has fields"):
        trusted_factory(TaskStarted, "type")
