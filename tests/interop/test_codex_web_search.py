"""Hosted web search, pycodex against the real Codex CLI 0.169 on the same scripted server:
the same tool spec, the same exec JSONL items and the same items sent back to the model.

Codex prints each web_search item with two `id` keys (`item_N`, then the search's id); JSON
readers keep the last one, so the items are compared as parsed."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import run_exec, write_config
from tests.interop.codex_bin import codex_binary, codex_config, run_codex

ACTIONS: list[dict[str, Any] | None] = [
    {"type": "search", "query": "weather in paris"},
    {"type": "search", "queries": ["rust async", "tokio"]},
    {"type": "open_page", "url": "https://example.com/p"},
    {"type": "find_in_page", "url": "https://example.com/p", "pattern": "needle"},
    {"type": "image_search", "query": "cats"},  # a kind neither knows: `other`
    None,
]


def _scenario() -> list[sc.Turn]:
    searches = [sc.web_search_call(id=f"ws_{i}", action=a, output_index=i) for i, a in enumerate(ACTIONS)]
    unannounced = {"type": "response.output_item.done", "item": {
        "type": "web_search_call", "id": "ws_late", "status": "completed",
        "action": {"type": "search", "query": "late"}}}
    return [
        sc.turn(*searches, unannounced, sc.function_call("exec_command", {"cmd": "true"}, "c1"), sc.completed()),
        sc.turn(sc.message("done"), sc.completed()),
    ]


def _searches_sent_back(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for i in body["input"] if i.get("type") == "web_search_call"]


def _web_search_tools(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in body.get("tools", []) if t.get("type") == "web_search"]


def test_same_search_same_items_and_echo_as_codex(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    with ScriptedModelServer(_scenario()) as ours_srv:
        write_config(tmp_path / "home", ours_srv.base_url)
        ours = run_exec(tmp_path / "home", ws, "--dangerously-bypass-approvals-and-sandbox", "look it up")
    with ScriptedModelServer(_scenario()) as theirs_srv:
        theirs = run_codex(tmp_path / "codex-home", ws, theirs_srv.base_url, "look it up")
    assert ours.code == 0 and theirs.returncode == 0, theirs.stderr
    a = [e for e in ours.events() if e["type"].startswith("item.")]
    b = [json.loads(x) for x in theirs.stdout.splitlines() if x.startswith('{"type":"item.')]
    assert a == b
    assert sum(1 for e in a if e["item"]["type"] == "web_search") == 2 * (len(ACTIONS) + 1)
    assert _searches_sent_back(ours_srv.requests[1].body) == _searches_sent_back(theirs_srv.requests[1].body)
    assert _web_search_tools(ours_srv.requests[0].body) == _web_search_tools(theirs_srv.requests[0].body)


def test_same_default_spec_as_codex_in_a_sandbox(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    turns = [sc.turn(sc.message("ok"), sc.completed())]
    with ScriptedModelServer(turns) as ours_srv:
        write_config(tmp_path / "home", ours_srv.base_url)
        ours = run_exec(tmp_path / "home", ws, "-s", "workspace-write", "hi")
    with ScriptedModelServer(turns) as theirs_srv:
        theirs = _codex_sandboxed(tmp_path / "codex-home", ws, theirs_srv.base_url, "hi")
    assert ours.code == 0 and theirs.returncode == 0, theirs.stderr
    spec = _web_search_tools(ours_srv.requests[0].body)
    assert spec == _web_search_tools(theirs_srv.requests[0].body)
    assert spec and spec[0]["external_web_access"] is False


def _codex_sandboxed(codex_home: Path, ws: Path, base_url: str, prompt: str) -> subprocess.CompletedProcess[str]:
    # As `run_codex`, but inside Codex's workspace-write sandbox instead of without one.
    codex_home.mkdir(parents=True, exist_ok=True)
    argv = [str(codex_binary()), "exec", "--json", "--skip-git-repo-check", "--model", "gpt-5.5",
            "-s", "workspace-write", "-C", str(ws), *codex_config(base_url), prompt]
    env = {**os.environ, "CODEX_HOME": str(codex_home), "MOCK_API_KEY": "k"}
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, check=False,
                          stdin=subprocess.DEVNULL)
