"""The same Codex-style `[mcp_servers]` table, unchanged, in Codex 0.169 and in pycodex against
the same scripted model: the same exec JSONL `mcp_tool_call` items, the same answers to the
model, the same deferred namespace found by tool_search."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import run_exec, write_config
from tests.interop.codex_bin import codex_binary, run_codex
from tests.mcp_client.helpers import SERVER, call, done, search

TABLE = f'''[mcp_servers.t]
command = {json.dumps(sys.executable)}
args = [{json.dumps(str(SERVER))}]
startup_timeout_sec = 20
tool_timeout_sec = 30
'''


def script() -> list[Any]:
    ns = "mcp__t"
    # Codex does not wait for its MCP servers before the first request (pycodex does), and a
    # request's tools are fixed when it is sent: a first, slow step gives the server time to be
    # up in both before the search.
    first = call(None, "get_goal", {}, "g0")
    first.events.insert(0, sc.delay(5000))
    return [first, search({"query": "echo back the message", "limit": 1}, "s1"),
            call(ns, "echo", {"message": "hi"}, "c1"), call(ns, "add", {"a": 2, "b": 40}, "c2"),
            call(ns, "big", {"n": 100}, "c3"), call(ns, "picture", {}, "c4"), done()]


def _items(stdout: str) -> list[dict[str, Any]]:
    out = []
    for line in stdout.splitlines():
        event = json.loads(line)
        if event["type"] in ("item.started", "item.completed") and event["item"]["type"] == "mcp_tool_call":
            out.append({"event": event["type"], **{k: v for k, v in event["item"].items() if k != "id"}})
    return out


def _answers(body: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps({i["call_id"]: i["output"] for i in body["input"]
                       if i["type"] == "function_call_output" and i["call_id"] != "g0"})
    return json.loads(re.sub(r"Wall time: [0-9.]+ seconds", "Wall time: T seconds", text))


def _found(body: dict[str, Any]) -> list[Any]:
    out = next(i for i in body["input"] if i["type"] == "tool_search_output")["tools"]
    return [ns for ns in out if ns["name"].startswith("mcp__")]


def test_same_table_same_items_in_codex_and_pycodex(tmp_path: Path) -> None:
    codex_binary()  # skip early when Codex is not installed
    ws_a, ws_b = tmp_path / "a", tmp_path / "b"
    ws_a.mkdir()
    ws_b.mkdir()
    with ScriptedModelServer(script()) as srv:
        write_config(tmp_path / "home", srv.base_url, extra=TABLE)
        ours = run_exec(tmp_path / "home", ws_a, "--dangerously-bypass-approvals-and-sandbox", "go", timeout=90)
        our_body = srv.requests[-1].body
    codex_home = tmp_path / "codex-home"
    codex_home.mkdir()
    (codex_home / "config.toml").write_text(TABLE)  # the very same table
    with ScriptedModelServer(script()) as srv:
        theirs = run_codex(codex_home, ws_b, srv.base_url, "go")
        their_body = srv.requests[-1].body
    assert ours.code == 0 and theirs.returncode == 0, theirs.stderr
    assert _items(ours.stdout) == _items(theirs.stdout), theirs.stdout + theirs.stderr[-2000:]
    assert len(_items(ours.stdout)) == 8
    assert _answers(our_body) == _answers(their_body)
    assert _found(our_body) == _found(their_body)
