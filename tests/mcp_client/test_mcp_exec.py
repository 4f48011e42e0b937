"""pycodex exec with a real MCP server (the test server over stdio) and the scripted model:
tools reach the model as Codex 0.169 offers them, calls are answered as Codex answers them,
every failure gets a clear answer and a clear event, and the turn goes on."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import run_exec, write_config
from tests.mcp_client.helpers import (
    LONG_NAME,
    call,
    developer_texts,
    done,
    masked,
    outputs,
    search,
    stdio_table,
)

NS = "mcp__t"
HEADER = "Wall time: T seconds\nOutput:"


def _run(tmp_path: Path, turns: list[Any], table: str, *args: str, extra: str = "") -> tuple[Any, Any]:
    ws = tmp_path / "ws"
    ws.mkdir(parents=True, exist_ok=True)
    with ScriptedModelServer(turns) as srv:
        write_config(tmp_path / "home", srv.base_url, extra=extra + "\n" + table)
        run = run_exec(tmp_path / "home", ws, *(args or ("--dangerously-bypass-approvals-and-sandbox",)),
                       "go", timeout=90)
        return run, srv.requests


def test_deferred_namespace_found_by_tool_search_and_called(tmp_path: Path) -> None:
    turns = [search({"query": "echo message", "limit": 2}, "s1"), call(NS, "echo", {"message": "hi"}, "c1"),
             call(NS, "add", {"a": 1, "b": 2}, "c2"), done()]
    run, requests = _run(tmp_path, turns, stdio_table("t"))
    assert run.code == 0, run.stderr
    first = requests[0].body
    # The namespace is listed for the model (first line of the server's instructions) and the
    # tools stay deferred: only tool_search is offered for them.
    assert "<tools>\nDeferred tool namespaces:\n- mcp__t: Test tools for pycodex.\n</tools>" in developer_texts(first)
    assert any(t.get("type") == "tool_search" for t in first["tools"])
    assert not any(str(t.get("name", "")).startswith("mcp__") for t in first["tools"])
    found = next(i for i in requests[1].body["input"] if i["type"] == "tool_search_output")["tools"]
    assert found[0]["type"] == "namespace" and found[0]["name"] == NS
    assert found[0]["description"] == "Test tools for pycodex.\nSecond line of instructions."
    echo = next(t for t in found[0]["tools"] if t["name"] == "echo")
    assert echo == {"type": "function", "name": "echo", "description": "Echo back the message.",
                    "strict": False, "defer_loading": True,
                    "parameters": {"type": "object", "properties": {"message": {"type": "string"}},
                                   "required": ["message"]}}
    answers = outputs(requests[-1].body)
    assert masked(answers["c1"]) == [{"type": "input_text", "text": HEADER},
                                     {"type": "input_text", "text": "echo: hi"}]
    assert masked(answers["c2"]) == HEADER + '\n{"result":3}'
    # The call keeps its namespace in the history sent back.
    sent = [i for i in requests[-1].body["input"] if i["type"] == "function_call"]
    assert [(i.get("namespace"), i["name"]) for i in sent] == [(NS, "echo"), (NS, "add")]
    items = run.items("mcp_tool_call")
    assert [(i["server"], i["tool"], i["arguments"], i["status"]) for i in items] == [
        ("t", "echo", {"message": "hi"}, "completed"), ("t", "add", {"a": 1, "b": 2}, "completed")]
    assert items[0]["result"] == {"content": [{"type": "text", "text": "echo: hi"}], "structured_content": None}
    assert items[1]["result"]["structured_content"] == {"result": 3}


def test_every_failure_gets_an_answer_and_an_event(tmp_path: Path) -> None:
    """Bad input tried: arguments that are not JSON, arguments that are an array, an unknown
    tool, an unknown server, a call that outlives tool_timeout_sec, a 1 MB result, a server that
    crashes mid-call (restarted on the next call), and crashes again (not restarted twice)."""
    turns = [call(NS, "echo", "{not json", "bad"), call(NS, "echo", [1, 2], "arr"),
             call(NS, "nosuch", {}, "unk"), call("mcp__ghost", "echo", {}, "ghost"),
             call(NS, "nap", {"seconds": 30}, "slow"), call(NS, "big", {"n": 1_000_000}, "big"),
             call(NS, "crash", {}, "crash1"), call(NS, "echo", {"message": "back"}, "after"),
             call(NS, "crash", {}, "crash2"), call(NS, "echo", {"message": "gone"}, "gone"), done()]
    started = time.monotonic()
    run, requests = _run(tmp_path, turns, stdio_table("t", extra="tool_timeout_sec = 1"))
    assert run.code == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert time.monotonic() - started < 60  # the 30 s nap was cut at 1 s
    answers = {k: masked(v) for k, v in outputs(requests[-1].body).items()}

    def said(call_id: str) -> str:
        out = answers[call_id]
        return out if isinstance(out, str) else "\n".join(p.get("text", "") for p in out)

    assert "failed to parse tool call arguments" in said("bad")
    assert "MCP tool arguments must be a JSON object, got an array" in said("arr")
    assert said("unk") == "unsupported call: mcp__tnosuch (MCP server `t` has no tool `nosuch`)"
    assert said("ghost") == "unsupported call: mcp__ghostecho (no MCP server `ghost` is running)"
    assert "tool call timed out after 1 s (tool_timeout_sec of MCP server `t`)" in said("slow")
    big = said("big")
    assert 40_000 < len(big) < 50_000 and "tokens truncated…" in big
    assert "MCP server `t` exited during the call; it will be restarted for the next call" in said("crash1")
    assert said("after").endswith("echo: back")
    assert "it is not restarted again" in said("crash2")
    assert "already restarted once" in said("gone")
    items = {i["tool"] + ":" + json.dumps(i["arguments"]): i for i in run.items("mcp_tool_call")}
    failed = [i for i in run.items("mcp_tool_call") if i["status"] == "failed"]
    assert len(failed) == 8 and all(i["error"]["message"] for i in failed)
    assert items['echo:"{not json"']["error"]["message"].startswith("failed to parse tool call arguments")
    assert items["echo:{}"]["server"] == "ghost" and items["nosuch:{}"]["server"] == "t"
    assert items['big:{"n": 1000000}']["status"] == "completed"
    assert len(items['big:{"n": 1000000}']["result"]["content"][0]["text"]) == 1_000_000  # events keep it all
    assert run.items("agent_message")[-1]["text"] == "done"


def test_flat_tools_for_families_without_namespaces(tmp_path: Path) -> None:
    """A classic model family gets flat `mcp__<server>__<tool>` functions, sorted, names of at
    most 64 characters (the 70-character tool shortened with a hash) and callable."""
    long_flat = None
    with ScriptedModelServer([done()]) as srv:
        write_config(tmp_path / "home", srv.base_url, extra='[tools]\nsurface = "classic"\n' + stdio_table("t"))
        (tmp_path / "ws").mkdir()
        run = run_exec(tmp_path / "home", tmp_path / "ws", "--dangerously-bypass-approvals-and-sandbox", "go")
        names = [str(t.get("name")) for t in srv.requests[0].body["tools"]]
    assert run.code == 0, run.stderr
    mcp = [n for n in names if n.startswith("mcp__")]
    assert mcp == sorted(mcp) and len(mcp) == 9 and all(len(n) <= 64 for n in mcp)
    assert "mcp__t__echo" in mcp and names[-len(mcp):] == mcp  # after the built-in tools
    long_flat = next(n for n in mcp if n.startswith("mcp__t__a_tool_whose"))
    assert len(long_flat) == 64
    assert not any("Deferred tool namespaces" in t for t in developer_texts(srv.requests[0].body))
    run2, requests = _run(tmp_path / "again", [call(None, long_flat, {}, "c1"), done()], stdio_table("t"),
                          extra='[tools]\nsurface = "classic"\n')
    assert run2.code == 0, run2.stderr
    assert masked(outputs(requests[-1].body)["c1"])[1] == {"type": "input_text", "text": "long name works"}
    [item] = run2.items("mcp_tool_call")
    assert item["tool"] == LONG_NAME and item["status"] == "completed"


def test_startup_failures_are_reported_once_and_the_session_goes_on(tmp_path: Path) -> None:
    """Bad input tried: a server whose command does not exist, one that exits at once after
    writing to stderr, and one that never answers (startup_timeout_sec = 1)."""
    tables = (stdio_table("t") + stdio_table("missing", command="/nonexistent/mcp-server", args=[])
              + stdio_table("dies", command="sh", args=["-c", "echo it broke >&2; exit 3"])
              + stdio_table("mute", command="sleep", args=["60"], extra="startup_timeout_sec = 1"))
    started = time.monotonic()
    run, requests = _run(tmp_path, [call(NS, "echo", {"message": "still here"}, "c1"), done()], tables)
    assert run.code == 0, run.stderr
    assert time.monotonic() - started < 30
    errors = [e["message"] for e in run.events() if e["type"] == "error"] + [
        i["message"] for i in run.items("error")]
    assert sorted(errors) == [
        "MCP server `dies` failed to start: Connection closed (stderr: it broke); check `command` "
        "under [mcp_servers.dies] or set `enabled = false`",
        "MCP server `missing` failed to start: command '/nonexistent/mcp-server' not found; check "
        "`command` under [mcp_servers.missing] or set `enabled = false`",
        "MCP server `mute` did not start within 1 s; raise `startup_timeout_sec` under "
        "[mcp_servers.mute] or set `enabled = false`",
    ]
    assert "- mcp__t: Test tools for pycodex." in developer_texts(requests[0].body)[-1]
    assert "mcp__mute" not in json.dumps(requests[0].body)
    assert masked(outputs(requests[-1].body)["c1"])[1]["text"] == "echo: still here"
    assert "Traceback" not in run.stderr


def test_a_required_server_that_fails_stops_the_start(tmp_path: Path) -> None:
    """Bad input tried: a `required` server whose command does not exist."""
    table = stdio_table("needed", command="/nonexistent/mcp-server", args=[], extra="required = true")
    run, requests = _run(tmp_path, [done()], table)
    assert run.code == 1 and requests == []
    assert run.stderr.strip().splitlines() == [
        "Error: MCP server `needed` failed to start: command '/nonexistent/mcp-server' not found; "
        "check `command` under [mcp_servers.needed] or set `enabled = false` (it is required)"]


def test_disabled_server_and_tool_filters(tmp_path: Path) -> None:
    tables = (stdio_table("t", extra='enabled_tools = ["echo", "add", "wipe"]\ndisabled_tools = ["add"]')
              + stdio_table("off", extra="enabled = false"))
    turns = [search({"query": "echo add wipe numbers delete", "limit": 10}, "s1"), done()]
    run, requests = _run(tmp_path, turns, tables)
    assert run.code == 0, run.stderr
    found = next(i for i in requests[1].body["input"] if i["type"] == "tool_search_output")["tools"]
    assert [(ns["name"], sorted(t["name"] for t in ns["tools"])) for ns in found] == [(NS, ["echo", "wipe"])]
    assert "mcp__off" not in json.dumps(requests[0].body)


def test_approval_of_tools_not_marked_read_only(tmp_path: Path) -> None:
    """A destructive tool under approval `never` (without full access) is refused with Codex's
    message; under `on-request`, exec (nobody to ask) declines it at once; a read-only tool
    runs either way."""
    turns = [call(NS, "wipe", {}, "w"), call(NS, "echo", {"message": "ro"}, "e"), done()]
    run, requests = _run(tmp_path / "never", turns, stdio_table("t"), "--sandbox", "workspace-write")
    assert run.code == 0, run.stderr
    answers = outputs(requests[-1].body)
    assert answers["w"][1]["text"] == "MCP tool call requires approval, but approval policy is never"
    assert answers["e"][1]["text"] == "echo: ro"
    items = run.items("mcp_tool_call")
    assert items[0]["error"] == {"message": "MCP tool call requires approval, but approval policy is never"}
    turns = [call(NS, "wipe", {}, "w"), done()]
    run, requests = _run(tmp_path / "ask", turns, stdio_table("t"), "--sandbox", "workspace-write",
                         "-c", 'approval_policy="on-request"')
    assert run.code == 0, run.stderr
    said = outputs(requests[-1].body)["w"][1]["text"]
    assert said.startswith("MCP tool call rejected: it needs the user's approval (may modify or delete data)")


def test_a_server_writing_lines_that_are_not_json_rpc_costs_one_line_each(tmp_path: Path) -> None:
    """Bad input tried: a server that writes a line that is not JSON and a reply whose result
    is not an object on its stdout before it starts speaking MCP. Each is one line on stderr
    naming the server (no traceback), and its tools still work."""
    import sys

    from tests.mcp_client.helpers import SERVER

    script = f"echo 'not json'; echo '{{\"jsonrpc\": \"2.0\", \"id\": 99, \"result\": 5}}'; exec {sys.executable} {SERVER}"
    table = stdio_table("t", command="sh", args=["-c", script])
    run, requests = _run(tmp_path, [call(NS, "echo", {"message": "fine"}, "c1"), done()], table)
    assert run.code == 0, run.stderr
    assert masked(outputs(requests[-1].body)["c1"])[1]["text"] == "echo: fine"
    assert "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines() == [
        "MCP server `t`: Failed to parse JSONRPC message from server: not JSON "
        "(expected ident at line 1 column 2)",
        "MCP server `t`: Failed to parse JSONRPC message from server: not a JSON-RPC request, "
        "notification or reply",
    ]
