"""`exec review --json` against the real Codex CLI 0.169: the same request and the same item."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import run_exec, write_config
from tests.interop.codex_bin import run_codex


def _repo(ws: Path) -> Path:
    ws.mkdir(parents=True)
    for args in (["init", "-q", "-b", "main"], ["config", "user.email", "d@e"], ["config", "user.name", "D"]):
        subprocess.run(["git", "-C", str(ws), *args], check=True)
    (ws / "a.py").write_text("x = 1\n")
    subprocess.run(["git", "-C", str(ws), "add", "a.py"], check=True)
    subprocess.run(["git", "-C", str(ws), "commit", "-qm", "first"], check=True)
    (ws / "a.py").write_text("x = 2\n")
    (ws / "b.py").write_text("y = 1\n")
    return ws


def _finding(title: str, body: str, path: str, start: int, end: int) -> dict[str, Any]:
    return {"title": title, "body": body, "confidence_score": 0.5, "priority": 2,
            "code_location": {"absolute_file_path": path, "line_range": {"start": start, "end": end}}}


def _review(explanation: str, *findings: dict[str, Any]) -> str:
    return json.dumps({"findings": list(findings), "overall_correctness": "patch is incorrect",
                       "overall_explanation": explanation, "overall_confidence_score": 0.5})


ANSWERS = {
    "two findings": _review("  x changed.\n", _finding("[P1] Keep x", "Why:\r\n\nit matters\n", "WS/a.py", 1, 1),
                            _finding("[P3] b.py", "New file.", "WS/b.py", 1, 2)),
    "one finding, fenced in prose": "Here it is:\n```json\n"
    + _review("One issue.", _finding("[P2] Only", "Body", "WS/a.py", 1, 1)) + "\n```\nDone.",
    "explanation only": _review("Looks right.", ),
    "not json": "I looked at the change {but wrote no JSON",
    "json missing fields": json.dumps({"findings": [], "overall_explanation": "half"}),
    "empty explanation, no findings": _review(""),
}


def _item_texts(lines: list[dict[str, Any]], ws: Path) -> list[str]:
    return [e["item"]["text"].replace(str(ws), "WS") for e in lines
            if e["type"] == "item.completed" and e["item"]["type"] == "agent_message"]


def _last_user(body: dict[str, Any]) -> str:
    users = [c["text"] for i in body["input"] if i.get("type") == "message" and i["role"] == "user"
             for c in i["content"] if "text" in c]
    return users[-1]


@pytest.mark.parametrize("name", list(ANSWERS))
def test_exec_review_gives_the_same_item_as_codex(tmp_path: Path, name: str) -> None:
    ws_a, ws_b = _repo(tmp_path / "a" / "ws"), _repo(tmp_path / "b" / "ws")

    def scenario(ws: Path) -> list[sc.Turn]:
        return [sc.turn(sc.message(ANSWERS[name].replace("WS", str(ws))), sc.completed())]

    with ScriptedModelServer(scenario(ws_a)) as ours_srv:
        write_config(tmp_path / "home", ours_srv.base_url)
        ours = run_exec(tmp_path / "home", ws_a, "--dangerously-bypass-approvals-and-sandbox",
                        "review", "--uncommitted")
    with ScriptedModelServer(scenario(ws_b)) as theirs_srv:
        theirs = run_codex(tmp_path / "codex-home", ws_b, theirs_srv.base_url, "review", "--uncommitted")
    assert ours.code == 0 and theirs.returncode == 0, ours.stderr + theirs.stderr
    codex_lines = [json.loads(x) for x in theirs.stdout.splitlines() if x.startswith("{")]
    assert _item_texts(ours.events(), ws_a) == _item_texts(codex_lines, ws_b)
    assert [e["type"] for e in ours.events()] == [e["type"] for e in codex_lines]
    # One request each, ending in the same request text.
    assert len(ours_srv.requests) == len(theirs_srv.requests) == 1
    assert _last_user(ours_srv.requests[0].body) == _last_user(theirs_srv.requests[0].body)
