"""Resumed sessions: older context messages stay as written; current settings are told once if they differ."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from tests.core.test_context_updates import context_kinds
from tests.e2e.helpers import run_exec, write_config

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer

OLD_ROLLOUT = Path(__file__).parents[1] / "rollout" / "corpus" / "pycodex-v1" / "exec_plan_patch.rollout.jsonl"
OLD_ID = "01a20b5e-2765-7ad3-9772-4975eed81adb"
YOLO = "--dangerously-bypass-approvals-and-sandbox"


def _messages(body: dict[str, Any]) -> list[str]:
    return [i["content"][0]["text"] for i in body["input"] if i.get("type") == "message" and i["role"] != "assistant"]


def test_rollout_from_older_pycodex_resumes_and_gets_the_new_context_once(tmp_path: Path) -> None:
    """Old input tried: a rollout whose environment context has `<approval_policy>`/`<sandbox_mode>`."""
    home, ws = tmp_path / "home", tmp_path / "ws"
    ws.mkdir()
    dst = home / "sessions" / "2026" / "11" / "24" / f"rollout-2026-11-24T02-24-09-{OLD_ID}.jsonl"
    dst.parent.mkdir(parents=True)
    shutil.copy(OLD_ROLLOUT, dst)
    old_env = next(t for t in _messages_of_file(dst) if t.startswith("<environment_context>"))
    with ScriptedModelServer([sc.turn(sc.message("resumed"), sc.completed()),
                              sc.turn(sc.message("again"), sc.completed())]) as srv:
        write_config(home, srv.base_url)
        first = run_exec(home, ws, YOLO, "resume", OLD_ID, "next")
        second = run_exec(home, ws, YOLO, "resume", OLD_ID, "and again")
    assert first.code == 0 and second.code == 0, first.stderr + second.stderr
    texts = _messages(srv.requests[0].body)
    assert old_env in texts  # kept exactly as the older pycodex wrote it
    kinds = context_kinds(srv.requests[0].body)
    assert kinds[-3:] == ["permissions", "environment", "next"]
    assert "<filesystem>" in texts[-2] and str(ws) in texts[-2]
    # Resumed again with the same settings: nothing is told twice.
    assert context_kinds(srv.requests[1].body)[len(kinds):] == ["and again"]


def test_resume_with_another_sandbox_tells_the_model(tmp_path: Path) -> None:
    home, ws = tmp_path / "home", tmp_path / "ws"
    ws.mkdir()
    with ScriptedModelServer([sc.turn(sc.message(f"a{i}"), sc.completed()) for i in range(3)]) as srv:
        write_config(home, srv.base_url)
        first = run_exec(home, ws, YOLO, "one")
        thread = first.events()[0]["thread_id"]
        same = run_exec(home, ws, YOLO, "resume", thread, "two")
        other = run_exec(home, ws, "--sandbox", "workspace-write", "-c", 'approval_policy="never"',
                         "resume", thread, "three")
    assert first.code == same.code == other.code == 0, other.stderr
    assert context_kinds(srv.requests[1].body) == ["base", "permissions", "environment", "one", "two"]
    assert context_kinds(srv.requests[2].body)[4:] == ["two", "permissions", "environment", "three"]
    texts = _messages(srv.requests[2].body)
    assert "`sandbox_mode` is `workspace-write`" in texts[-3] and '<permission_profile type="managed">' in texts[-2]


def _messages_of_file(path: Path) -> list[str]:
    out = []
    for line in path.read_text().splitlines():
        obj = json.loads(line)
        p = obj.get("payload", {})
        if obj.get("type") == "response_item" and p.get("type") == "message":
            out += [c.get("text", "") for c in p["content"]]
    return out
