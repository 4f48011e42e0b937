"""`pycodex exec --json` end to end: a real process against the scripted server."""

from __future__ import annotations

import json
from pathlib import Path

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import input_texts, run_exec, write_config


def test_plain_answer(tmp_path: Path) -> None:
    with ScriptedModelServer([sc.turn(sc.message("Hello from the mock."), sc.completed())]) as srv:
        write_config(tmp_path / "home", srv.base_url)
        run = run_exec(tmp_path / "home", tmp_path, "say hi")
    assert run.code == 0, run.stderr
    ev = run.events()
    assert [e["type"] for e in ev] == ["thread.started", "turn.started", "item.completed", "turn.completed"]
    assert ev[2]["item"] == {"id": "item_0", "type": "agent_message", "text": "Hello from the mock."}
    body = srv.requests[0].body
    assert body["model"] == "gpt-5.5" and body["stream"] is True
    texts = input_texts(body)
    assert texts[-1] == "say hi" and any("<environment_context>" in t for t in texts)
    names = [t.get("name") for t in body["tools"]]
    assert names[:2] == ["exec_command", "write_stdin"] and "apply_patch" in names


def test_prompt_from_stdin_and_output_last_message(tmp_path: Path) -> None:
    out = tmp_path / "last.txt"
    with ScriptedModelServer([sc.turn(sc.message("from stdin ok"), sc.completed())]) as srv:
        write_config(tmp_path / "home", srv.base_url)
        run = run_exec(tmp_path / "home", tmp_path, "-o", str(out), "-", stdin="the prompt\n")
    assert run.code == 0, run.stderr
    assert input_texts(srv.requests[0].body)[-1] == "the prompt\n"
    assert out.read_text() == "from stdin ok"


def test_twenty_thousand_deltas(tmp_path: Path) -> None:
    text = "".join(f"w{i} " for i in range(20_000))
    with ScriptedModelServer([sc.turn(sc.text_deltas([f"w{i} " for i in range(20_000)]), sc.completed())]) as srv:
        write_config(tmp_path / "home", srv.base_url)
        run = run_exec(tmp_path / "home", tmp_path, "stream a lot")
    assert run.code == 0, run.stderr
    assert run.items("agent_message")[0]["text"] == text


def test_reasoning_summary_item(tmp_path: Path) -> None:
    with ScriptedModelServer([sc.turn(sc.reasoning("**Plan** think first"), sc.message("done"), sc.completed())]) as srv:
        write_config(tmp_path / "home", srv.base_url)
        run = run_exec(tmp_path / "home", tmp_path, "think")
    assert run.items("reasoning")[0]["text"] == "**Plan** think first"


def test_http_400_is_error_turn_failed_exit_1(tmp_path: Path) -> None:
    """Bad input tried: the server rejects the request with HTTP 400."""
    body = json.dumps({"error": {"message": "mock: bad request", "type": "invalid_request_error"}})
    with ScriptedModelServer([sc.http_error(400, body)]) as srv:
        write_config(tmp_path / "home", srv.base_url)
        run = run_exec(tmp_path / "home", tmp_path, "x")
    assert run.code == 1
    ev = run.events()
    errors = [e for e in ev if e["type"] == "error"]
    assert errors and "mock: bad request" in errors[0]["message"]
    assert ev[-1]["type"] == "turn.failed" and "mock: bad request" in ev[-1]["error"]["message"]


def test_stream_dropped_retries_with_stream_error_then_fails(tmp_path: Path) -> None:
    """Bad input tried: the stream closes before response.completed, three times."""
    dropped = [sc.drop_after(sc.turn(sc.text_deltas(["partial "])), 1) for _ in range(3)]
    with ScriptedModelServer(dropped) as srv:
        write_config(tmp_path / "home", srv.base_url, stream_max_retries=2)
        run = run_exec(tmp_path / "home", tmp_path, "x")
    assert run.code == 1
    assert len(srv.requests) == 3
    msgs = [e["message"] for e in run.events() if e["type"] == "error"]
    assert sum("retrying 1/2" in m for m in msgs) == 1 and sum("retrying 2/2" in m for m in msgs) == 1
    assert "stream disconnected before completion" in msgs[-1]


def test_stream_dropped_once_then_succeeds(tmp_path: Path) -> None:
    turns = [sc.drop_after(sc.turn(sc.text_deltas(["a"])), 1), sc.turn(sc.message("recovered"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        write_config(tmp_path / "home", srv.base_url, stream_max_retries=3)
        run = run_exec(tmp_path / "home", tmp_path, "x")
    assert run.code == 0, run.stderr
    assert run.items("agent_message")[-1]["text"] == "recovered"


def test_malformed_sse_data_is_a_clear_error(tmp_path: Path) -> None:
    """Bad input tried: `data:` lines that are not JSON."""
    with ScriptedModelServer([sc.malformed(), sc.malformed()]) as srv:
        write_config(tmp_path / "home", srv.base_url)
        run = run_exec(tmp_path / "home", tmp_path, "x")
    assert run.code == 1
    failed = run.events()[-1]
    assert failed["type"] == "turn.failed" and failed["error"]["message"]


def test_missing_api_key_is_one_clear_line(tmp_path: Path) -> None:
    """Bad input tried: the provider's env_key is not set."""
    write_config(tmp_path / "home", "http://127.0.0.1:9/v1")
    run = run_exec(tmp_path / "home", tmp_path, "x", env={"MOCK_API_KEY": ""})
    assert run.code == 1
    assert "MOCK_API_KEY" in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_not_a_git_repo_without_flag_is_refused(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    write_config(tmp_path / "home", "http://127.0.0.1:9/v1")
    proc = subprocess.run(
        [sys.executable, "-m", "pycodex.cli.main", "exec", "-C", str(tmp_path), "hi"],
        capture_output=True, text=True, env={**os.environ, "PYCODEX_HOME": str(tmp_path / "home"), "MOCK_API_KEY": "k"},
        check=False,
    )
    assert proc.returncode == 1 and "--skip-git-repo-check" in proc.stderr


def test_invalid_tool_arguments_and_unknown_tool_are_told_to_the_model(tmp_path: Path) -> None:
    """Bad input tried: arguments that are not JSON, and a tool that was never offered."""
    turns = [
        sc.turn(sc.function_call("exec_command", "{not json", "c1"),
                sc.function_call("shell", {"command": ["ls"]}, "c2"), sc.completed()),
        sc.turn(sc.message("ok, giving up"), sc.completed()),
    ]
    with ScriptedModelServer(turns) as srv:
        write_config(tmp_path / "home", srv.base_url)
        run = run_exec(tmp_path / "home", tmp_path, "x")
    assert run.code == 0, run.stderr
    outputs = {i["call_id"]: i["output"] for i in srv.requests[1].body["input"]
               if i["type"] == "function_call_output"}
    assert outputs["c1"].startswith("failed to parse function arguments")
    assert outputs["c2"] == "unsupported call: shell"


def test_rate_limit_headers_reach_token_count(tmp_path: Path) -> None:
    from pycodex.rollout.reader import load_rollout

    turn = sc.turn(sc.message("hi"), sc.completed(), headers=sc.rate_limit_headers(primary_used=42.5, primary_window=300))
    with ScriptedModelServer([turn]) as srv:
        write_config(tmp_path / "home", srv.base_url)
        run = run_exec(tmp_path / "home", tmp_path, "x")
    assert run.code == 0, run.stderr
    rollouts = list((tmp_path / "home" / "sessions").rglob("rollout-*.jsonl"))
    counts = [i.payload for i in load_rollout(rollouts[0]).items
              if i.type == "event_msg" and i.payload.type == "token_count"]
    assert any(c.rate_limits and c.rate_limits.primary and c.rate_limits.primary.used_percent == 42.5 for c in counts)


def test_output_schema_and_image_reach_the_request(tmp_path: Path) -> None:
    import base64

    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    (tmp_path / "schema.json").write_text(json.dumps(schema))
    (tmp_path / "pic.png").write_bytes(base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="))
    with ScriptedModelServer([sc.turn(sc.message('{"ok": true}'), sc.completed())]) as srv:
        write_config(tmp_path / "home", srv.base_url)
        run = run_exec(tmp_path / "home", tmp_path, "--output-schema", str(tmp_path / "schema.json"),
                       "-i", str(tmp_path / "pic.png"), "answer in json")
    assert run.code == 0, run.stderr
    body = srv.requests[0].body
    assert body["text"]["format"] == {"type": "json_schema", "name": "codex_output_schema", "strict": True, "schema": schema}
    last = body["input"][-1]["content"]
    assert last[0]["type"] == "input_image" and last[0]["image_url"].startswith("data:image/png;base64,")
    assert last[1] == {"type": "input_text", "text": "answer in json"}
    assert run.items("agent_message")[0]["text"] == '{"ok": true}'


def test_unreadable_output_schema_is_a_clear_error(tmp_path: Path) -> None:
    """Bad input tried: --output-schema pointing at a file that is not JSON."""
    (tmp_path / "bad.json").write_text("{not json")
    write_config(tmp_path / "home", "http://127.0.0.1:9/v1")
    run = run_exec(tmp_path / "home", tmp_path, "--output-schema", str(tmp_path / "bad.json"), "x")
    assert run.code == 1 and "cannot read output schema" in run.stderr
