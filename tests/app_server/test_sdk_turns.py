"""OpenAI's Python SDK (openai-codex 0.163.0) drives `pycodex app-server`: runs, streams,
approvals and per-turn overrides, every message checked against Codex's v2 schema."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.app_server.harness import require_sdk, sdk_config, setup_home, tapped
from tests.app_server.schema import V2Schema
from tests.e2e.helpers import input_texts

require_sdk()
from openai_codex import AsyncCodex, Codex  # noqa: E402
from openai_codex.api import ApprovalMode, Sandbox  # noqa: E402
from openai_codex.client import CodexClient  # noqa: E402

NO_TMP = {"sandbox_workspace_write": {"exclude_slash_tmp": True, "exclude_tmpdir_env_var": True}}


def _kinds(items: list[Any]) -> list[str]:
    return [i.root.type for i in items]


def _command_turns(text: str = "the answer is 42") -> list[sc.Turn]:
    return [
        sc.turn(sc.reasoning("thinking it over"),
                sc.function_call("exec_command", {"cmd": "echo hi > out.txt; echo done"}, "c1"),
                sc.completed(input_tokens=100, output_tokens=5)),
        sc.turn(sc.text_deltas(text, 4), sc.completed(input_tokens=120, output_tokens=7)),
    ]


def test_sync_client_runs_a_command_and_answers(tmp_path: Path, v2schema: V2Schema) -> None:
    tap = tmp_path / "tap"
    turns = [*_command_turns(), sc.turn(sc.message("again"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        with Codex(sdk_config(home, ws, tap)) as codex:
            assert codex.metadata.serverInfo is not None and codex.metadata.serverInfo.name == "pycodex"
            thread = codex.thread_start(model="gpt-5.5", cwd=str(ws), sandbox=Sandbox.full_access,
                                        approval_mode=ApprovalMode.deny_all)
            result = thread.run("write out.txt, then answer")
            second = thread.run("once more")
    assert result.status.value == "completed"
    assert result.final_response == "the answer is 42"
    assert _kinds(result.items) == ["userMessage", "reasoning", "commandExecution", "agentMessage"]
    command = result.items[2].root
    assert command.exit_code == 0 and command.aggregated_output == "done\n"
    assert command.command == "/bin/bash -lc 'echo hi > out.txt; echo done'"
    assert (ws / "out.txt").read_text() == "hi\n"
    assert result.usage is not None and result.usage.total.input_tokens == 220
    assert result.items[1].root.summary == ["thinking it over"]
    assert second.final_response == "again"
    # The thread keeps its history: the second request carries the first turn's prompt.
    assert "write out.txt, then answer" in input_texts(srv.requests[2].body_json)
    assert srv.requests[0].headers["originator"] == "codex_python_sdk"
    sent, received = tapped(tap)
    assert v2schema.check_all(sent, received) > 20


def test_async_client_runs_a_turn(tmp_path: Path, v2schema: V2Schema) -> None:
    tap = tmp_path / "tap"

    async def main() -> Any:
        async with AsyncCodex(sdk_config(home, ws, tap)) as codex:
            thread = await codex.thread_start(cwd=str(ws), sandbox=Sandbox.full_access,
                                              approval_mode=ApprovalMode.deny_all)
            return await thread.run("write out.txt, then answer")

    with ScriptedModelServer(_command_turns("async answer")) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        result = asyncio.run(main())
    assert result.final_response == "async answer"
    assert _kinds(result.items) == ["userMessage", "reasoning", "commandExecution", "agentMessage"]
    sent, received = tapped(tap)
    v2schema.check_all(sent, received)


def test_streaming_a_turn_yields_deltas_in_order(tmp_path: Path, v2schema: V2Schema) -> None:
    tap = tmp_path / "tap"
    with ScriptedModelServer(_command_turns("streamed in four parts")) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        with Codex(sdk_config(home, ws, tap)) as codex:
            thread = codex.thread_start(cwd=str(ws), sandbox=Sandbox.full_access,
                                        approval_mode=ApprovalMode.deny_all)
            events = list(thread.turn("stream it").stream())
    methods = [e.method for e in events]
    assert methods[0] == "thread/status/changed" or methods[0] == "turn/started"
    assert methods[-1] == "turn/completed"
    deltas = [e.payload.delta for e in events if e.method == "item/agentMessage/delta"]
    assert deltas == ["strea", "med i", "n fou", "r parts"] or "".join(deltas) == "streamed in four parts"
    assert len(deltas) == 4
    output = [e.payload.delta for e in events if e.method == "item/commandExecution/outputDelta"]
    assert "".join(output) == "done\n"
    reasoning = [e.payload.delta for e in events if e.method == "item/reasoning/summaryTextDelta"]
    assert "".join(reasoning) == "thinking it over"
    started = [e.payload.item.root.type for e in events if e.method == "item/started"]
    assert started == ["userMessage", "reasoning", "commandExecution", "agentMessage"]
    # Each item starts before its deltas and completes after them.
    first_delta = methods.index("item/agentMessage/delta")
    completes = [i for i, e in enumerate(events) if e.method == "item/completed"
                 and e.payload.item.root.type == "agentMessage"]
    assert completes and completes[0] > first_delta
    assert any(e.method == "thread/tokenUsage/updated" for e in events)
    sent, received = tapped(tap)
    v2schema.check_all(sent, received)


def test_approvals_through_the_sdk_handler_accepted_and_declined(tmp_path: Path, v2schema: V2Schema) -> None:
    tap = tmp_path / "tap"
    outside = tmp_path / "outside"
    outside.mkdir()

    def escalated(name: str, call_id: str) -> list[dict[str, Any]]:
        return sc.function_call("exec_command", {"cmd": f"touch {outside}/{name}",
                                                 "sandbox_permissions": "require_escalated",
                                                 "justification": "write outside"}, call_id)

    patch = f"*** Begin Patch\n*** Add File: {outside}/patched.txt\n+x\n*** End Patch\n"
    turns = [
        sc.turn(escalated("approved.txt", "c1"), sc.completed()),
        sc.turn(escalated("declined.txt", "c2"), sc.completed()),
        sc.turn(sc.custom_tool_call("apply_patch", patch, "p1"), sc.completed()),
        sc.turn(sc.message("done"), sc.completed()),
    ]
    answers = iter([{"decision": "accept"}, {"decision": "decline"}, {"decision": "decline"}])
    asked: list[tuple[str, dict[str, Any] | None]] = []

    def handler(method: str, params: dict[str, Any] | None) -> dict[str, Any]:
        asked.append((method, params))
        return next(answers)

    with ScriptedModelServer(turns) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        with CodexClient(sdk_config(home, ws, tap), approval_handler=handler) as client:
            client.initialize()
            # /tmp is no writable root here, so `outside` (under it) is outside the sandbox.
            started = client.thread_start({"cwd": str(ws), "approvalPolicy": "on-request",
                                           "sandbox": "workspace-write", "config": NO_TMP})
            turn = client.turn_start(started.thread.id, "try things")
            done = client.wait_for_turn_completed(turn.turn.id)
    assert done.turn.status.value == "completed"
    assert [m for m, _ in asked] == ["item/commandExecution/requestApproval"] * 2 + ["item/fileChange/requestApproval"]
    first = asked[0][1]
    assert first is not None and first["itemId"] == "c1" and first["reason"] == "write outside"
    assert first["command"] == f"/bin/bash -lc 'touch {outside}/approved.txt'"
    assert first["threadId"] == started.thread.id and first["turnId"] == turn.turn.id
    assert (outside / "approved.txt").exists()
    assert not (outside / "declined.txt").exists() and not (outside / "patched.txt").exists()
    sent, received = tapped(tap)
    v2schema.check_all(sent, received)
    completed = {m["params"]["item"]["id"]: m["params"]["item"]["status"] for m in received
                 if m.get("method") == "item/completed" and "status" in m["params"]["item"]}
    assert completed == {"c1": "completed", "c2": "declined", "p1": "declined"}
    # The model was told each refusal.
    outputs = [o for r in srv.requests[2:] for o in input_texts(r.body_json)]
    assert any("reject" in o.lower() or "denied" in o.lower() or "declined" in o.lower() for o in outputs)


def test_garbage_approval_answer_counts_as_decline(tmp_path: Path) -> None:
    """Bad input from the client: an approval answered with garbage (no decision, an
    unknown decision) is a decline, and the turn goes on."""
    outside = tmp_path / "outside"
    outside.mkdir()
    call = {"cmd": f"touch {outside}/x", "sandbox_permissions": "require_escalated", "justification": "j"}
    turns = [sc.turn(sc.function_call("exec_command", call, "c1"), sc.completed()),
             sc.turn(sc.function_call("exec_command", call, "c2"), sc.completed()),
             sc.turn(sc.message("went on"), sc.completed())]
    answers = iter([{"nonsense": True}, {"decision": "maybe"}])
    with ScriptedModelServer(turns) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        with CodexClient(sdk_config(home, ws, tmp_path / "tap"),
                         approval_handler=lambda _m, _p: next(answers)) as client:
            client.initialize()
            started = client.thread_start({"cwd": str(ws), "approvalPolicy": "on-request",
                                           "sandbox": "workspace-write"})
            turn = client.turn_start(started.thread.id, "try")
            done = client.wait_for_turn_completed(turn.turn.id)
    assert done.turn.status.value == "completed"
    assert not (outside / "x").exists()


def test_per_turn_overrides_reach_the_model_and_the_command(tmp_path: Path, v2schema: V2Schema) -> None:
    tap = tmp_path / "tap"
    other = tmp_path / "other"
    other.mkdir()
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"],
              "additionalProperties": False}
    turns = [
        sc.turn(sc.function_call("exec_command", {"cmd": "pwd"}, "c1"), sc.completed()),
        sc.turn(sc.message('{"answer": "yes"}'), sc.completed()),
        sc.turn(sc.message("later"), sc.completed()),
    ]
    with ScriptedModelServer(turns) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        with Codex(sdk_config(home, ws, tap)) as codex:
            thread = codex.thread_start(cwd=str(ws), sandbox=Sandbox.read_only,
                                        approval_mode=ApprovalMode.deny_all)
            result = thread.run("where am I?", cwd=str(other), model="gpt-5.4", effort="high",
                                output_schema=schema, sandbox=Sandbox.full_access)
            later = thread.run("and now?")
    assert json.loads(result.final_response or "") == {"answer": "yes"}
    command = result.items[1].root
    assert command.aggregated_output.strip() == str(other)
    body = srv.requests[0].body_json
    assert body["model"] == "gpt-5.4"
    assert body["reasoning"]["effort"] == "high"
    assert body["text"]["format"]["schema"] == schema
    # Overrides stay for later turns (the schema is for one turn only).
    later_body = srv.requests[2].body_json
    assert later_body["model"] == "gpt-5.4" and "format" not in later_body.get("text", {})
    assert later.final_response == "later"
    sent, received = tapped(tap)
    v2schema.check_all(sent, received)


def test_a_failed_turn_reports_its_error(tmp_path: Path, v2schema: V2Schema) -> None:
    """The model answers an HTTP 400: an `error` notification, the turn completes `failed`
    with the message, and the SDK's run raises it."""
    tap = tmp_path / "tap"
    bad = sc.http_error(400, json.dumps({"error": {"message": "bad things", "type": "invalid_request_error"}}))
    with ScriptedModelServer([bad, sc.turn(sc.message("recovered"), sc.completed())]) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        with Codex(sdk_config(home, ws, tap)) as codex:
            thread = codex.thread_start(cwd=str(ws), approval_mode=ApprovalMode.deny_all)
            with pytest.raises(RuntimeError, match="bad things"):
                thread.run("fail please")
            assert thread.run("again").final_response == "recovered"
    sent, received = tapped(tap)
    v2schema.check_all(sent, received)
    errors = [m for m in received if m.get("method") == "error"]
    assert errors and errors[0]["params"]["willRetry"] is False
    failed = next(m for m in received if m.get("method") == "turn/completed")["params"]["turn"]
    assert failed["status"] == "failed" and "bad things" in failed["error"]["message"]
