"""Protocol types: Codex's wire names, round trips, and the published schema."""

from __future__ import annotations

import json
import typing
from pathlib import Path

import jsonschema
import pytest
from pydantic import TypeAdapter

from pycodex.protocol import events, exec_events, models, ops, policies
from pycodex.protocol.json import (
    dump_thread_event,
    event_adapter,
    response_item_adapter,
    submission_adapter,
)
from pycodex.protocol.schema import generate_schemas

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = Path("/work/shared/reference/codex-rollout-sample")


def _variants(union: object) -> list[type]:
    inner = typing.get_args(union)[0]
    return list(typing.get_args(inner))


def test_every_event_variant_has_a_distinct_snake_case_wire_name() -> None:
    names = [v.model_fields["type"].default for v in _variants(events.EventMsg)]
    assert len(names) == len(set(names))
    for required in (
        "session_configured", "task_started", "task_complete", "agent_message",
        "agent_message_delta", "agent_reasoning", "agent_reasoning_delta", "exec_command_begin",
        "exec_command_output_delta", "exec_command_end", "exec_approval_request",
        "apply_patch_approval_request", "patch_apply_begin", "patch_apply_end", "turn_diff",
        "token_count", "error", "stream_error", "turn_aborted", "plan_update",
        "background_event", "entered_review_mode", "exited_review_mode", "mcp_tool_call_begin",
        "mcp_tool_call_end", "shutdown_complete", "get_history_entry_response",
    ):
        assert required in names


def test_every_op_variant_is_present() -> None:
    names = {v.model_fields["type"].default for v in _variants(ops.Op)}
    assert {
        "user_input", "user_turn", "override_turn_context", "interrupt", "exec_approval",
        "patch_approval", "add_to_history", "get_history_entry_request", "compact", "review",
        "shutdown", "list_mcp_tools",
    } <= names


def test_submission_round_trip_uses_codex_json() -> None:
    raw = '{"id":"1","op":{"type":"user_input","items":[{"type":"text","text":"hi"}]}}'
    sub = submission_adapter().validate_json(raw)
    assert isinstance(sub.op, ops.UserInput)
    assert json.loads(sub.model_dump_json()) == json.loads(raw)


def test_event_round_trip_for_exec_begin() -> None:
    ev = events.Event(
        id="3", msg=events.ExecCommandBegin(call_id="c1", command=["ls"], cwd=Path("/w"))
    )
    back = event_adapter().validate_json(ev.model_dump_json())
    assert back == ev
    assert json.loads(ev.model_dump_json())["msg"]["type"] == "exec_command_begin"


def test_sandbox_policy_serialises_with_type_tag_and_kebab_case() -> None:
    adapter: TypeAdapter[policies.SandboxPolicy] = TypeAdapter(policies.SandboxPolicy)
    assert adapter.dump_python(policies.DangerFullAccess(), mode="json") == {"type": "danger-full-access"}
    ww = adapter.validate_python({"type": "workspace-write", "network_access": True})
    assert isinstance(ww, policies.WorkspaceWrite) and ww.network_access


def test_unknown_fields_from_newer_codex_are_ignored() -> None:
    """Bad input tried: extra fields Codex 0.169 adds (status, annotations, metadata)."""
    item = response_item_adapter().validate_python(
        {"type": "message", "status": "completed", "id": "m", "role": "assistant",
         "content": [{"type": "output_text", "text": "x", "annotations": []}],
         "internal_chat_message_metadata_passthrough": {"a": 1}}
    )
    assert isinstance(item, models.Message) and item.text() == "x"


def test_function_output_content_items_are_kept_unknown_ones_flattened() -> None:
    """An output stored as content items (as MCP answers are) stays a list; bad input tried: a
    list holding an item kind pycodex does not know, which becomes its text."""
    parts = [{"type": "input_text", "text": "a"}, {"type": "input_image", "image_url": "data:x"}]
    item = response_item_adapter().validate_python(
        {"type": "function_call_output", "call_id": "c", "output": parts})
    assert item.model_dump(mode="json", exclude_none=True)["output"] == parts and item.output_text() == "a"
    odd = response_item_adapter().validate_python(
        {"type": "function_call_output", "call_id": "c",
         "output": [{"type": "input_text", "text": "a"}, {"type": "input_audio", "text": "b"}]})
    assert odd.output == "ab"


@pytest.mark.skipif(not SAMPLES.exists(), reason="reference samples not present")
def test_codex_rollout_response_items_parse() -> None:
    parsed = 0
    for f in SAMPLES.glob("*.rollout.jsonl"):
        for line in f.read_text().splitlines():
            d = json.loads(line)
            if d["type"] == "response_item":
                response_item_adapter().validate_python(d["payload"])
                parsed += 1
    assert parsed > 10


def test_published_schema_is_up_to_date() -> None:
    for name, schema in generate_schemas().items():
        on_disk = json.loads((ROOT / "docs" / "schema" / name).read_text())
        assert on_disk == json.loads(json.dumps(schema)), (
            f"docs/schema/{name} is stale: run `python scripts/generate_schema.py`"
        )


@pytest.mark.skipif(not SAMPLES.exists(), reason="reference samples not present")
def test_codex_exec_jsonl_validates_against_published_schema() -> None:
    schema = generate_schemas()["exec-events.schema.json"]
    for f in SAMPLES.glob("*.exec-events.jsonl"):
        for line in f.read_text().splitlines():
            jsonschema.validate(json.loads(line), schema)


def test_thread_event_keeps_null_exit_code() -> None:
    line = dump_thread_event(
        exec_events.ItemStarted(
            item=exec_events.CommandExecutionItem(id="item_1", command="ls", status="in_progress")
        )
    )
    assert '"exit_code":null' in line
