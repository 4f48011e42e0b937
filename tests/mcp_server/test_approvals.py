"""Approvals as MCP elicitation: Codex's request fields, answers both ways, and any answer that
is not a clear yes — garbage, an error, nothing — counts as denied."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mcp_types as types

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.mcp_server.harness import RawServer, Recorder, connect, setup_home, text_of

# Anything not known to be safe is asked about; no sandbox, so an approved command really runs.
ASK = {"approval-policy": "untrusted", "sandbox": "danger-full-access"}


def _touch_turns(*names: str) -> list[sc.Turn]:
    calls = [sc.turn(sc.function_call("exec_command", {"cmd": f"touch {n}"}, f"c-{n}"), sc.completed())
             for n in names]
    return [*calls, sc.turn(sc.message("finished"), sc.completed())]


def _outputs(bodies: list[Any]) -> list[str]:
    kinds = ("function_call_output", "custom_tool_call_output")
    return [i["output"] for b in bodies for i in b["input"] if i.get("type") in kinds]


async def test_exec_approval_accepted_runs_and_declined_tells_the_model(tmp_path: Path) -> None:
    answers = iter([types.ElicitResult(action="accept"), types.ElicitResult(action="decline")])

    async def answer(params: dict[str, Any]) -> types.ElicitResult:
        return next(answers)

    rec = Recorder()
    with ScriptedModelServer(_touch_turns("yes.txt", "no.txt")) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        async with connect(home, ws, rec, answer) as client:
            result = await client.call_tool("codex", {"prompt": "touch two files", **ASK})
        bodies = [r.body_json for r in srv.requests]
    assert text_of(result) == "finished" and not result.is_error
    assert (ws / "yes.txt").exists() and not (ws / "no.txt").exists()
    assert "exec command rejected by user" in _outputs(bodies)[-1]
    # Codex's elicitation params: the MCP form fields, then what a client needs to show and route it.
    asked = rec.elicitations[0]
    assert asked["message"] == f"Allow pycodex to run `/bin/bash -lc 'touch yes.txt'` in `{ws}`?"
    assert asked["requestedSchema"] == {"type": "object", "properties": {}}
    request = rec.msgs("exec_approval_request")[0]
    assert request["call_id"] == "c-yes.txt"
    assert len(rec.elicitations) == 2


async def test_codex_style_answers_and_garbage(tmp_path: Path) -> None:
    """Bad input from the client: an unknown decision, a string instead of an object, an empty
    object and an error response are all denials; Codex's own `{"decision": "approved"}` runs."""
    names = ["approved.txt", "maybe.txt", "string.txt", "empty.txt", "error.txt"]
    with ScriptedModelServer(_touch_turns(*names)) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        server = RawServer(home, ws)
        server.initialize()
        call = server.request("tools/call", {"name": "codex", "arguments": {"prompt": "touch them", **ASK}})
        answers: list[dict[str, Any]] = [
            {"result": {"decision": "approved"}}, {"result": {"decision": "maybe"}},
            {"result": "approved"}, {"result": {}}, {"error": {"code": -32601, "message": "no elicitation here"}}]
        asked = []
        for reply in answers:
            req = server.wait(lambda m: m.get("method") == "elicitation/create")
            asked.append(req["params"])
            server.send({"id": req["id"], **reply})
        result = server.response(call)["result"]
        server.close_stdin()
        assert server.proc.wait(timeout=30) == 0
        bodies = [r.body_json for r in srv.requests]
    assert result["content"][0]["text"] == "finished"
    assert [n for n in names if (ws / n).exists()] == ["approved.txt"]
    assert sum("rejected by user" in o for o in _outputs(bodies[-1:])) == 4
    first = asked[0]
    thread_id = result["structuredContent"]["threadId"]
    assert first["codex_elicitation"] == "exec-approval" and first["threadId"] == thread_id
    assert first["codex_mcp_tool_call_id"] == str(call)
    assert first["codex_call_id"] == "c-approved.txt"
    assert first["codex_command"] == ["/bin/bash", "-lc", "touch approved.txt"]
    assert first["codex_cwd"] == str(ws) and isinstance(first["codex_parsed_cmd"], list)
    assert first["codex_event_id"]
    assert first["requestedSchema"] == {"type": "object", "properties": {}}
    # The events the client saw carry the same ids.
    events = [m["params"] for m in server.received if m.get("method") == "codex/event"]
    approval = next(e for e in events if e["msg"]["type"] == "exec_approval_request")
    assert approval["id"] == first["codex_event_id"] and approval["_meta"] == {"requestId": call,
                                                                                 "threadId": thread_id}


async def test_a_client_without_elicitation_gets_denials(tmp_path: Path) -> None:
    """Bad input: the client cannot answer elicitation at all (the SDK answers with an error);
    the command is denied and the turn goes on."""
    with ScriptedModelServer(_touch_turns("x.txt")) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        async with connect(home, ws, Recorder()) as client:  # no elicitation callback
            result = await client.call_tool("codex", {"prompt": "touch", **ASK})
        bodies = [r.body_json for r in srv.requests]
    assert text_of(result) == "finished"
    assert not (ws / "x.txt").exists()
    assert "rejected by user" in _outputs(bodies)[-1]


async def test_patch_approval_elicitation(tmp_path: Path) -> None:
    patch = "*** Begin Patch\n*** Add File: made.txt\n+made by a patch\n*** End Patch\n"
    turns = [sc.turn(sc.custom_tool_call("apply_patch", patch, "p1"), sc.completed()),
             sc.turn(sc.custom_tool_call("apply_patch", patch.replace("made", "refused"), "p2"), sc.completed()),
             sc.turn(sc.message("patched"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        server = RawServer(home, ws)
        server.initialize()
        call = server.request("tools/call", {"name": "codex", "arguments": {
            "prompt": "patch", "approval-policy": "on-request", "sandbox": "read-only"}})
        asked = []
        for reply in [{"decision": "approved"}, {"decision": "denied"}]:
            req = server.wait(lambda m: m.get("method") == "elicitation/create")
            asked.append(req["params"])
            server.send({"id": req["id"], "result": reply})
        result = server.response(call)["result"]
        server.close_stdin()
        assert server.proc.wait(timeout=30) == 0
        bodies = [r.body_json for r in srv.requests]
    assert result["content"][0]["text"] == "patched"
    assert (ws / "made.txt").read_text() == "made by a patch\n"
    assert not (ws / "refused.txt").exists()
    first = asked[0]
    assert first["codex_elicitation"] == "patch-approval" and first["codex_call_id"] == "p1"
    assert first["message"].endswith("Allow pycodex to apply the proposed changes?")
    assert first["codex_changes"] == {str(ws / "made.txt"): {"type": "add", "content": "made by a patch\n"}}
    assert first["threadId"] == result["structuredContent"]["threadId"]
    outputs = _outputs(bodies[-1:])
    assert len(outputs) == 2 and "rejected" in outputs[1] and "rejected" not in outputs[0]
