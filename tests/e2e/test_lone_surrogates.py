"""Bad input: JSON escapes of lone UTF-16 surrogates (`\\ud800` with no partner), which Python
decodes into text no UTF-8 writer takes. From the model's stream, a tool call's arguments, an
app-server client or a rollout file, they become U+FFFD and the session goes on; before, the
next rollout write failed the turn with an internal UnicodeEncodeError."""

from __future__ import annotations

import json
from pathlib import Path

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.app_server.harness import RawClient, setup_home
from tests.e2e.helpers import input_texts, run_exec, write_config

_LONE = "\\ud800"  # as the JSON text spells it


def _raw(event: dict[str, object]) -> dict[str, object]:
    return sc.raw(json.dumps(event).replace("@LONE@", _LONE))


def test_a_lone_surrogate_in_the_model_stream_becomes_a_replacement_character(tmp_path: Path) -> None:
    item = {"type": "message", "id": "m1", "role": "assistant",
            "content": [{"type": "output_text", "text": "bad @LONE@ text"}]}
    answer = sc.turn(_raw({"type": "response.output_text.delta", "delta": "bad @LONE@"}),
                     _raw({"type": "response.output_item.done", "output_index": 0, "item": item}),
                     sc.completed())
    home, ws = tmp_path / "home", tmp_path / "ws"
    ws.mkdir()
    with ScriptedModelServer([answer, sc.turn(sc.message("second"), sc.completed())]) as srv:
        write_config(home, srv.base_url)
        first = run_exec(home, ws, "hi")
        assert first.code == 0, first.stderr
        assert [m["text"] for m in first.items("agent_message")] == ["bad \ufffd text"]
        thread_id = first.events()[0]["thread_id"]
        again = run_exec(home, ws, "resume", thread_id, "and again")  # the rollout reads back
        assert again.code == 0, again.stderr
        assert "bad \ufffd text" in input_texts(srv.requests[1].body_json)
    rollout = next((home / "sessions").rglob("*.jsonl"))
    rollout.read_bytes().decode("utf-8")  # valid UTF-8 throughout


def test_a_lone_surrogate_in_tool_arguments_is_a_command_not_a_crash(tmp_path: Path) -> None:
    args = json.dumps({"cmd": "echo @LONE@-ok"}).replace("@LONE@", _LONE)
    call = sc.function_call("exec_command", args, "c1")
    home, ws = tmp_path / "home", tmp_path / "ws"
    ws.mkdir()
    with ScriptedModelServer([sc.turn(call, sc.completed()), sc.turn(sc.message("done"), sc.completed())]) as srv:
        write_config(home, srv.base_url)
        run = run_exec(home, ws, "--dangerously-bypass-approvals-and-sandbox", "go")
        assert run.code == 0, run.stderr
        output = input_texts(srv.requests[1].body_json)[-1]
    assert "\ufffd-ok" in output
    assert [m["text"] for m in run.items("agent_message")] == ["done"]


def test_a_lone_surrogate_from_an_app_server_client_is_read_not_fatal(tmp_path: Path) -> None:
    with ScriptedModelServer([sc.turn(sc.message("answered"), sc.completed())]) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        c = RawClient(home, ws)
        try:
            c.initialize()
            thread = c.request("thread/start", {"cwd": str(ws)})["result"]["thread"]
            line = json.dumps({"id": "t1", "method": "turn/start", "params": {
                "threadId": thread["id"], "input": [{"type": "text", "text": "hi @LONE@"}]}})
            c.write_line(line.replace("@LONE@", _LONE))
            completed = c.notification("turn/completed")
            c.write_line(b"\xff\xfe{")  # and a line that is not UTF-8 at all
            bad = c.wait_for(lambda m: m.get("error", {}).get("code") == -32700)
        finally:
            c.close_stdin()
            assert c.wait() == 0
        assert "hi \ufffd" in input_texts(srv.requests[0].body_json)
    assert completed["params"]["turn"]["status"] == "completed"
    assert bad["error"]["message"].startswith("parse error: not UTF-8")
    assert "Traceback" not in c.stderr()
