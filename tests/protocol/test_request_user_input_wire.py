"""request_user_input on the wire: Codex's event and op JSON, read and written unchanged."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from pycodex.protocol import events, ops
from pycodex.protocol.json import dump_event_msg, event_adapter, submission_adapter

# The shapes Codex's protocol crate reads and writes (names from its RequestUserInputEvent and
# Op::UserInputAnswer); `options` is left out when absent, the camelCase flags are always written.
CODEX_EVENT = {"id": "7", "msg": {
    "type": "request_user_input", "call_id": "call_1", "turn_id": "7",
    "questions": [
        {"id": "color", "header": "Color", "question": "Which?", "isOther": True, "isSecret": False,
         "options": [{"label": "Red", "description": "warm"}]},
        {"id": "name", "header": "Name", "question": "Your name?", "isOther": False, "isSecret": True},
    ]}}
CODEX_OP = {"id": "8", "op": {"type": "user_input_answer", "id": "7",
                              "response": {"answers": {"color": {"answers": ["Red", "user_note: darker"]}}}}}


def test_codex_event_round_trips() -> None:
    event = event_adapter().validate_python(CODEX_EVENT)
    assert isinstance(event.msg, events.RequestUserInputEvent)
    assert event.msg.questions[1].isSecret and event.msg.questions[1].options is None
    assert {"id": event.id, "msg": dump_event_msg(event.msg)} == CODEX_EVENT


def test_codex_op_round_trips_and_the_older_tag_is_read() -> None:
    sub = submission_adapter().validate_python(CODEX_OP)
    assert isinstance(sub.op, ops.UserInputAnswer)
    assert sub.op.response.answers["color"].answers == ["Red", "user_note: darker"]
    assert json.loads(sub.model_dump_json()) == CODEX_OP
    older = {**CODEX_OP, "op": {**CODEX_OP["op"], "type": "request_user_input_response"}}
    assert isinstance(submission_adapter().validate_python(older).op, ops.UserInputAnswer)


def test_an_event_from_an_older_codex_without_turn_id_is_read() -> None:
    """Bad input tried: an event without `turn_id` (Codex reads it as empty)."""
    msg = {k: v for k, v in CODEX_EVENT["msg"].items() if k != "turn_id"}  # type: ignore[union-attr]
    assert event_adapter().validate_python({"id": "7", "msg": msg}).msg.turn_id == ""


@pytest.mark.parametrize("response", [{"answers": {"color": "Red"}}, {"answers": ["Red"]}, {}])
def test_a_malformed_answer_op_is_refused(response: object) -> None:
    """Bad input tried: answers that are a bare string, a list instead of a map, and none at all."""
    with pytest.raises(ValidationError) as refused:
        submission_adapter().validate_python({"id": "8", "op": {"type": "user_input_answer", "id": "7",
                                                                "response": response}})
    # Refused for its answers, not for an unknown op type.
    assert all("response" in [str(part) for part in err["loc"]] for err in refused.value.errors())
