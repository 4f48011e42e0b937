"""pycodex against the real Codex CLI 0.169: the same JSONL, and rollouts that cross both ways."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import input_texts, run_exec, write_config
from tests.interop.codex_bin import run_codex

PATCH = "*** Begin Patch\n*** Add File: hello.txt\n+hi\n*** Update File: notes.txt\n@@\n-todo\n+done\n*** End Patch\n"


def scenario() -> list[sc.Turn]:
    return [
        sc.turn(sc.reasoning("**Plan** do it"), sc.function_call(
            "update_plan", {"plan": [{"step": "edit", "status": "in_progress"}]}, "u1"), sc.completed()),
        sc.turn(sc.function_call("exec_command", {"cmd": "cat notes.txt; echo err >&2; exit 2"}, "c1"), sc.completed()),
        sc.turn(sc.custom_tool_call("apply_patch", PATCH, "p1"), sc.completed()),
        sc.turn(sc.function_call("update_plan", {"plan": [{"step": "edit", "status": "completed"}]}, "u2"), sc.completed()),
        sc.turn(sc.message("All done."), sc.completed()),
    ]


def _workspace(root: Path) -> Path:
    ws = root / "ws"
    ws.mkdir(parents=True)
    (ws / "notes.txt").write_text("todo\n")
    return ws


def _normalise(lines: list[dict[str, Any]], ws: Path) -> list[Any]:
    out = []
    for e in lines:
        e = json.loads(json.dumps(e).replace(str(ws.resolve()), "WS").replace(str(ws), "WS"))
        e.pop("thread_id", None)
        out.append(e)
    return out


def test_same_scenario_same_jsonl_as_codex(tmp_path: Path) -> None:
    ws_a, ws_b = _workspace(tmp_path / "a"), _workspace(tmp_path / "b")
    with ScriptedModelServer(scenario()) as srv:
        # update_plan is off by default in both; codex_config turns it on for Codex.
        write_config(tmp_path / "home", srv.base_url, extra="[tools.update_plan]\nenabled = true")
        ours = run_exec(tmp_path / "home", ws_a, "--dangerously-bypass-approvals-and-sandbox", "do the task")
    with ScriptedModelServer(scenario()) as srv:
        theirs = run_codex(tmp_path / "codex-home", ws_b, srv.base_url, "do the task")
    assert ours.code == 0 and theirs.returncode == 0, theirs.stderr
    a = _normalise(ours.events(), ws_a)
    b = _normalise([json.loads(x) for x in theirs.stdout.splitlines() if x.startswith("{")], ws_b)
    assert [x["type"] for x in a] == [x["type"] for x in b]
    for x, y in zip(a, b, strict=True):
        if "item" in x:
            assert x["item"] == y["item"], (x, y)
    assert (ws_a / "hello.txt").read_text() == (ws_b / "hello.txt").read_text()
    assert (ws_a / "notes.txt").read_text() == (ws_b / "notes.txt").read_text() == "done\n"


def test_pycodex_rollout_is_resumed_by_codex(tmp_path: Path) -> None:
    home, codex_home, ws = tmp_path / "home", tmp_path / "codex-home", _workspace(tmp_path)
    turns = [sc.turn(sc.function_call("exec_command", {"cmd": "echo from-pycodex"}, "c1"), sc.completed()),
             sc.turn(sc.message("pycodex answered"), sc.completed()),
             sc.turn(sc.message("codex continues"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        write_config(home, srv.base_url)
        first = run_exec(home, ws, "--dangerously-bypass-approvals-and-sandbox", "first question")
        thread = first.events()[0]["thread_id"]
        src = next((home / "sessions").rglob("rollout-*.jsonl"))
        dst = codex_home / "sessions" / src.relative_to(home / "sessions")
        dst.parent.mkdir(parents=True)
        shutil.copy(src, dst)
        second = run_codex(codex_home, ws, srv.base_url, "resume", thread, "second question")
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout.splitlines()[0])["thread_id"] == thread
    texts = input_texts(srv.requests[2].body)
    assert "first question" in texts and "pycodex answered" in texts and texts[-1] == "second question"
    assert any("from-pycodex" in t for t in texts)


def test_codex_rollout_is_resumed_by_pycodex(tmp_path: Path) -> None:
    home, codex_home, ws = tmp_path / "home", tmp_path / "codex-home", _workspace(tmp_path)
    turns = [sc.turn(sc.function_call("exec_command", {"cmd": "echo from-codex"}, "c1"), sc.completed()),
             sc.turn(sc.message("codex answered"), sc.completed()),
             sc.turn(sc.message("pycodex continues"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        first = run_codex(codex_home, ws, srv.base_url, "first question")
        assert first.returncode == 0, first.stderr
        thread = json.loads(first.stdout.splitlines()[0])["thread_id"]
        src = next((codex_home / "sessions").rglob("rollout-*.jsonl"))
        dst = home / "sessions" / src.relative_to(codex_home / "sessions")
        dst.parent.mkdir(parents=True)
        shutil.copy(src, dst)
        write_config(home, srv.base_url)
        second = run_exec(home, ws, "--dangerously-bypass-approvals-and-sandbox", "resume", thread, "second question")
    assert second.code == 0, second.stderr
    assert second.events()[0]["thread_id"] == thread
    texts = input_texts(srv.requests[2].body)
    assert "first question" in texts and "codex answered" in texts and texts[-1] == "second question"
    assert any("from-codex" in t for t in texts)
