"""Goals and tool_search against the real Codex CLI 0.169: the same script gets the same goal tool
answers from both, and Codex resumes a pycodex rollout holding goal events and tool_search items.

Token counts are masked in the comparison: Codex runs a tool call while the rest of its response
is still arriving, so whether that response's usage is already charged varies from run to run
(tests/e2e/test_goals.py holds pycodex's deterministic numbers, Codex's usual ones)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import run_exec, write_config
from tests.interop.codex_bin import codex_binary, run_codex


def call(name: str, args: dict[str, Any] | str, call_id: str) -> sc.Turn:
    return sc.turn(sc.function_call(name, args, call_id), sc.completed())


def script() -> list[sc.Turn]:
    """Bad input tried: update with no goal, a missing field, an unknown status, a negative
    budget, a float budget, a status the model may not set, a second unfinished goal."""
    calls: list[tuple[str, dict[str, Any] | str]] = [
        ("get_goal", {}), ("update_goal", {"status": "complete"}), ("update_goal", {}),
        ("create_goal", {"objective": "x", "token_budget": -5}),
        ("create_goal", {"objective": "x", "token_budget": 1.5}),
        ("create_goal", {"objective": " ship it ", "token_budget": 50000}),
        ("create_goal", {"objective": "another"}), ("update_goal", {"status": "frobbed"}),
        ("update_goal", {"status": "active"}), ("get_goal", {}), ("update_goal", {"status": "blocked"}),
        ("update_goal", {"status": "complete"}), ("create_goal", {"objective": "next"}),
    ]
    return [call(n, a, f"k{i}") for i, (n, a) in enumerate(calls)] + [
        sc.turn(sc.message("done"), sc.completed())]


def answers(body: dict[str, Any]) -> list[tuple[str, str]]:
    """(call id, output) of every answered call, with ids, times and token counts masked."""
    out = []
    for item in body["input"]:
        if item["type"] == "function_call_output" and "call_id" in item:
            text = re.sub(r'"threadId":"[^"]+"', '"threadId":"T"', item["output"])
            text = re.sub(r'"(createdAt|updatedAt|tokensUsed|timeUsedSeconds|remainingTokens)":\d+',
                          r'"\1":0', text)
            out.append((item["call_id"], text))
    return out


def test_goal_tools_answer_as_codex_does(tmp_path: Path) -> None:
    codex_binary()  # skip early when Codex is not installed
    ws_a, ws_b = tmp_path / "a", tmp_path / "b"
    ws_a.mkdir()
    ws_b.mkdir()
    with ScriptedModelServer(script()) as srv:
        write_config(tmp_path / "home", srv.base_url)
        ours = run_exec(tmp_path / "home", ws_a, "--dangerously-bypass-approvals-and-sandbox", "go")
        our_body = srv.requests[-1].body
    with ScriptedModelServer(script()) as srv:
        theirs = run_codex(tmp_path / "codex-home", ws_b, srv.base_url, "go")
        their_body = srv.requests[-1].body
    assert ours.code == 0 and theirs.returncode == 0, theirs.stderr
    assert answers(our_body) == answers(their_body)


def test_codex_resumes_a_rollout_with_goal_events_and_tool_search(tmp_path: Path) -> None:
    codex_binary()
    home, codex_home, ws = tmp_path / "home", tmp_path / "codex-home", tmp_path / "ws"
    ws.mkdir()
    search = {"type": "tool_search_call", "id": "tsc_1", "call_id": "s1", "status": "completed",
              "execution": "client", "arguments": {"query": "calendar"}}
    turns = [call("create_goal", {"objective": "port it", "token_budget": 1000}, "c1"),
             sc.turn({"type": "response.output_item.done", "item": search}, sc.completed()),
             sc.turn(sc.message("pycodex done"), sc.completed()),
             sc.turn(sc.message("codex continues"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        write_config(home, srv.base_url)
        first = run_exec(home, ws, "--dangerously-bypass-approvals-and-sandbox", "start")
        thread = first.events()[0]["thread_id"]
        src = next((home / "sessions").rglob("rollout-*.jsonl"))
        assert '"thread_goal_updated"' in src.read_text()
        dst = codex_home / "sessions" / src.relative_to(home / "sessions")
        dst.parent.mkdir(parents=True)
        shutil.copy(src, dst)
        second = run_codex(codex_home, ws, srv.base_url, "resume", thread, "again")
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout.splitlines()[0])["thread_id"] == thread
    kinds = [i["type"] for i in srv.requests[-1].body["input"]]
    assert kinds.count("tool_search_call") == 1 and kinds.count("tool_search_output") == 1
    texts = json.dumps(srv.requests[-1].body["input"])
    assert "port it" in texts and "codex_internal_context" in texts  # the budget note came along
