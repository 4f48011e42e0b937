"""Goal events and tool_search items in the shapes the real Codex 0.169 writes them: they parse,
dump back as Codex sends them, and keep their pairing through history normalisation."""

from __future__ import annotations

from pycodex.context.environment import is_context_message
from pycodex.context.history import normalize_history
from pycodex.protocol.goals import ThreadGoalStatus, ThreadGoalUpdated
from pycodex.protocol.json import (
    dump_event_msg,
    dump_response_item,
    event_msg_adapter,
    response_item_adapter,
)
from pycodex.protocol.models import ToolSearchCall, ToolSearchOutput, user_message
from pycodex.rollout.fork import fork_items
from pycodex.rollout.items import RolloutItem

# Payloads from a rollout the real Codex 0.169 wrote (its internal passthrough field included).
CODEX_CALL = {"type": "tool_search_call", "id": "tsc_s1", "call_id": "s1", "status": "completed",
              "execution": "client", "arguments": {"query": "calendar create", "limit": 3},
              "internal_chat_message_metadata_passthrough": {"turn_id": "t"}}
CODEX_OUTPUT = {"type": "tool_search_output", "id": "tso_01a22ac9", "call_id": "s1",
                "status": "completed", "execution": "client", "tools": [
                    {"type": "namespace", "name": "multi_agent_v1", "description": "d",
                     "tools": [{"type": "function", "name": "spawn_agent", "defer_loading": True}]}]}
GOAL = {"threadId": "01a22ac6", "objective": "ship it", "status": "budgetLimited",
        "tokenBudget": 2500, "tokensUsed": 2930, "timeUsedSeconds": 0, "createdAt": 1796014046,
        "updatedAt": 1796014047}


def test_tool_search_items_round_trip() -> None:
    call = response_item_adapter().validate_python(CODEX_CALL)
    output = response_item_adapter().validate_python(CODEX_OUTPUT)
    assert isinstance(call, ToolSearchCall) and isinstance(output, ToolSearchOutput)
    sent = {k: v for k, v in CODEX_CALL.items() if k != "internal_chat_message_metadata_passthrough"}
    assert dump_response_item(call) == sent
    assert dump_response_item(output) == CODEX_OUTPUT


def test_thread_goal_updated_round_trips_in_codex_camel_case() -> None:
    payload = {"type": "thread_goal_updated", "threadId": "01a22ac6", "turnId": "0", "goal": GOAL}
    msg = event_msg_adapter().validate_python(payload)
    assert isinstance(msg, ThreadGoalUpdated) and msg.goal.status is ThreadGoalStatus.BUDGET_LIMITED
    assert dump_event_msg(msg) == payload
    no_budget = {**GOAL, "status": "active"}
    del no_budget["tokenBudget"]
    msg = event_msg_adapter().validate_python({**payload, "goal": no_budget})
    assert "tokenBudget" not in dump_event_msg(msg)["goal"]  # absent, as Codex writes it


def test_history_pairs_tool_search_items_and_fills_a_missing_answer() -> None:
    call = ToolSearchCall(call_id="s1", arguments={"query": "x"})
    lost = ToolSearchCall(call_id="s2", arguments={"query": "y"})
    answer = ToolSearchOutput(call_id="s1", tools=[])
    later = user_message("next")
    history = normalize_history([call, later, answer, lost])
    assert history[:2] == [call, answer]  # the answer moves back to its call
    assert history[2] == later
    assert history[3] == lost and history[4] == ToolSearchOutput(call_id="s2", tools=[])


def test_goal_notes_are_not_user_turns() -> None:
    note = user_message('<codex_internal_context source="goal">\nbudget spent\n</codex_internal_context>')
    assert is_context_message(note.text())
    items = [RolloutItem.from_response_item(user_message("first")),
             RolloutItem.from_response_item(note),
             RolloutItem.from_response_item(user_message("second"))]
    assert fork_items(items, 1) == items[:2]  # the note is not counted as the user's second message
