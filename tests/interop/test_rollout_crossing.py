"""One rollout passed back and forth between Codex 0.169 and pycodex, each appending turns."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import input_texts, run_exec, write_config
from tests.interop.codex_bin import run_codex


def _copy_sessions(src_home: Path, dst_home: Path) -> Path:
    """Copy the one rollout of `src_home` into `dst_home` at the same relative path."""
    src = next((src_home / "sessions").rglob("rollout-*.jsonl"))
    dst = dst_home / "sessions" / src.relative_to(src_home / "sessions")
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(src, dst)
    return dst


def test_codex_resumes_its_rollout_after_pycodex_appended_to_it(tmp_path: Path) -> None:
    """Codex 0.169 writes "paginated" rollouts (every line numbered by `ordinal`) and refuses to
    resume one whose last line has no ordinal: pycodex's appended lines must carry the next ones."""
    home, codex_home, ws = tmp_path / "home", tmp_path / "codex-home", tmp_path / "ws"
    ws.mkdir()
    turns = [sc.turn(sc.message("codex answered"), sc.completed()),
             sc.turn(sc.message("pycodex answered"), sc.completed()),
             sc.turn(sc.message("codex again"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        first = run_codex(codex_home, ws, srv.base_url, "first question")
        assert first.returncode == 0, first.stderr
        thread = json.loads(first.stdout.splitlines()[0])["thread_id"]
        ours = _copy_sessions(codex_home, home)
        write_config(home, srv.base_url)
        second = run_exec(home, ws, "--dangerously-bypass-approvals-and-sandbox", "resume", thread, "second question")
        assert second.code == 0, second.stderr
        shutil.copy(ours, codex_home / "sessions" / ours.relative_to(home / "sessions"))
        third = run_codex(codex_home, ws, srv.base_url, "resume", thread, "third question")
    assert third.returncode == 0, third.stderr[-2000:]
    ordinals = [json.loads(line).get("ordinal") for line in ours.read_text().splitlines()]
    assert ordinals == list(range(len(ordinals)))
    texts = input_texts(srv.requests[2].body)
    assert "second question" in texts and "pycodex answered" in texts and texts[-1] == "third question"
