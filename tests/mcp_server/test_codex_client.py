"""A real MCP client written by OpenAI: Codex CLI 0.169 configured with pycodex as an MCP server
calls its `codex` tool; two scripted model servers stand in for the two models."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import input_texts, write_config
from tests.interop.codex_bin import codex_binary, codex_config


def test_codex_cli_calls_the_codex_tool_of_pycodex(tmp_path: Path) -> None:
    # The outer model (Codex's) calls the tool in Codex's namespace for the server's tools.
    call = sc.function_call("codex", {"prompt": "inner prompt", "sandbox": "danger-full-access"}, "outer1")
    call[0]["item"]["namespace"] = "mcp__pycodex"
    # Codex does not wait for its MCP servers before the first request: the outer model's call
    # comes late enough for pycodex's server to be up, even on a loaded machine. The server's
    # modules are imported once beforehand, so a fresh checkout's first import (compiling them)
    # is not part of that wait.
    subprocess.run([sys.executable, "-c", "import pycodex.cli.mcp_server_cmd, pycodex.mcp_server.server"],
                   check=True, timeout=120)
    outer_turns = [sc.turn(sc.delay(6000), call, sc.completed()), sc.turn(sc.message("outer done"), sc.completed())]
    inner_turns = [sc.turn(sc.message("inner answer"), sc.completed())]
    with ScriptedModelServer(outer_turns) as outer, ScriptedModelServer(inner_turns) as inner:
        home, ws, codex_home = tmp_path / "pycodex-home", tmp_path / "ws", tmp_path / "codex-home"
        write_config(home, inner.base_url)
        ws.mkdir()
        codex_home.mkdir()
        server_env = {"PYCODEX_HOME": str(home), "MOCK_API_KEY": "k"}
        if "PYTHONPATH" in os.environ:  # Codex gives MCP servers a clean environment
            server_env["PYTHONPATH"] = os.environ["PYTHONPATH"]
        env_table = "{" + ", ".join(f"{k}={json.dumps(v)}" for k, v in server_env.items()) + "}"
        mcp = ["--config", f"mcp_servers.pycodex.command={json.dumps(sys.executable)}",
               "--config", 'mcp_servers.pycodex.args=["-m", "pycodex.cli.main", "mcp-server"]',
               "--config", f"mcp_servers.pycodex.env={env_table}"]
        argv = [str(codex_binary()), "exec", "--json", "--skip-git-repo-check", "--model", "gpt-5.5",
                "--dangerously-bypass-approvals-and-sandbox", "-C", str(ws), *codex_config(outer.base_url),
                *mcp, "ask pycodex"]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                              env={**os.environ, "CODEX_HOME": str(codex_home), "MOCK_API_KEY": "k"}, check=False)
        outer_bodies = [r.body_json for r in outer.requests]
        inner_bodies = [r.body_json for r in inner.requests]
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    items = [e["item"] for e in lines if e["type"] == "item.completed" and e["item"]["type"] == "mcp_tool_call"]
    assert items, done.stdout + done.stderr[-2000:]
    item = items[0]
    assert item["server"] == "pycodex" and item["tool"] == "codex" and item["status"] == "completed"
    assert item["result"]["content"] == [{"type": "text", "text": "inner answer"}]
    thread_id = item["result"]["structured_content"]["threadId"]
    assert item["result"]["structured_content"] == {"threadId": thread_id, "content": "inner answer"}
    assert input_texts(inner_bodies[0])[-1] == "inner prompt"
    # Codex hands the structured result back to its model.
    assert thread_id in input_texts(outer_bodies[1])[-1]
    assert lines[-1]["type"] == "turn.completed"
