"""A client's per-turn `sandboxPolicy` / `approvalPolicy` / `cwd` over a real `pycodex
app-server`, real commands and the real sandbox: what the client asked for is what runs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pycodex.exec.sandbox.select import detect_backend
from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.app_server.harness import RawClient, setup_home

NO_TMP = {"sandbox_workspace_write": {"exclude_slash_tmp": True, "exclude_tmpdir_env_var": True}}


def _text(text: str) -> list[dict[str, str]]:
    return [{"type": "text", "text": text}]


def test_a_tightened_policy_sent_while_a_turn_runs_holds_for_the_next_turn(tmp_path: Path) -> None:
    """A turn/start carrying `sandboxPolicy: readOnly` arrives while a turn runs (its input
    joins that turn): the next turn, started without overrides, must still be read-only, as
    in Codex, where a turn's settings stay for the session whether or not a turn was running."""
    if detect_backend() is None:
        pytest.skip("no sandbox backend here")
    marker = tmp_path / "ws" / "started"
    turns = [
        sc.turn(sc.function_call("exec_command", {"cmd": f"touch {marker}; sleep 2", "yield_time_ms": 10000},
                                 "c1"), sc.completed()),
        sc.turn(sc.message("noted"), sc.completed()),
        sc.turn(sc.function_call("exec_command", {"cmd": "touch made.txt"}, "c2"), sc.completed()),
        sc.turn(sc.message("done"), sc.completed()),
    ]
    with ScriptedModelServer(turns) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        c = RawClient(home, ws)
        try:
            c.initialize()
            thread = c.request("thread/start", {"cwd": str(ws), "approvalPolicy": "never",
                                                 "sandbox": "workspace-write", "config": NO_TMP})
            tid = thread["result"]["thread"]["id"]
            c.request("turn/start", {"threadId": tid, "input": _text("work")})
            deadline = time.monotonic() + 15
            while not marker.exists() and time.monotonic() < deadline:
                time.sleep(0.02)
            assert marker.exists()
            c.request("turn/start", {"threadId": tid, "input": _text("from now on, read only"),
                                     "sandboxPolicy": {"type": "readOnly"}})
            first = c.notification("turn/completed")
            assert first["params"]["turn"]["status"] == "completed"
            c.request("turn/start", {"threadId": tid, "input": _text("make a file")})
            second = c.notification("turn/completed")
            assert second["params"]["turn"]["status"] == "completed"
        finally:
            c.kill()
    assert len(srv.requests) == 4
    assert not (ws / "made.txt").exists(), "the read-only policy the client sent was dropped"
