"""The real Codex SDK (npm @openai/codex-sdk 0.163.0) drives pycodex unchanged."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.interop.codex_bin import CACHE

HERE = Path(__file__).parent / "sdk"
SDK = CACHE / "node_modules" / "@openai" / "codex-sdk" / "dist" / "index.js"


def _sdk() -> Path:
    if SDK.exists() and shutil.which("node"):
        return SDK
    if os.environ.get("CI"):
        pytest.fail("@openai/codex-sdk is not installed; .ci/run installs it")
    pytest.skip("@openai/codex-sdk is not installed")


def drive(tmp_path: Path, srv: ScriptedModelServer, prompts: list[str], *, streamed: bool = False,
          resume_id: str | None = None, plan_tool: bool = False) -> dict[str, Any]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    ws = tmp_path / "ws"
    ws.mkdir(exist_ok=True)
    opts = {
        "executable": str(HERE / "pycodex-exec.sh"),
        "workdir": str(ws),
        "prompts": prompts,
        "streamed": streamed,
        "resumeId": resume_id,
        "config": {
            "model_provider": "mock",
            "model_providers": {"mock": {"name": "mock", "base_url": srv.base_url, "wire_api": "responses",
                                         "env_key": "MOCK_API_KEY", "request_max_retries": 0,
                                         "stream_max_retries": 0}},
            **({"tools": {"update_plan": {"enabled": True}}} if plan_tool else {}),
        },
        "env": {"PATH": os.environ["PATH"], "PYCODEX_HOME": str(home), "MOCK_API_KEY": "k",
                "PYCODEX_PYTHON": sys.executable, "HOME": str(tmp_path)},
    }
    proc = subprocess.run(["node", str(HERE / "driver.mjs"), str(_sdk()), json.dumps(opts)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def test_run_plain_answer(tmp_path: Path) -> None:
    with ScriptedModelServer([sc.turn(sc.message("hi from pycodex"), sc.completed(input_tokens=120, output_tokens=7))]) as srv:
        r = drive(tmp_path, srv, ["hello"])
    assert "error" not in r, r
    turn = r["turns"][0]
    assert turn["finalResponse"] == "hi from pycodex"
    assert turn["usage"]["input_tokens"] == 120 and turn["usage"]["output_tokens"] == 7
    assert r["threadId"]
    assert srv.requests[0].headers["originator"] == "codex_sdk_ts"


def test_run_command_patch_and_plan_items(tmp_path: Path) -> None:
    patch = "*** Begin Patch\n*** Add File: made.txt\n+made\n*** End Patch\n"
    turns = [
        sc.turn(sc.function_call("update_plan", {"plan": [{"step": "s", "status": "in_progress"}]}, "u"), sc.completed()),
        sc.turn(sc.function_call("exec_command", {"cmd": "echo sdk"}, "c"), sc.completed()),
        sc.turn(sc.custom_tool_call("apply_patch", patch, "p"), sc.completed()),
        sc.turn(sc.message("done"), sc.completed()),
    ]
    with ScriptedModelServer(turns) as srv:
        r = drive(tmp_path, srv, ["do things"], plan_tool=True)  # update_plan is off by default
    items = r["turns"][0]["items"]
    kinds = [i["type"] for i in items]
    assert kinds == ["command_execution", "file_change", "agent_message", "todo_list"]
    assert items[0]["aggregated_output"] == "sdk\n" and items[0]["status"] == "completed"
    assert items[1]["changes"][0]["kind"] == "add"
    assert (tmp_path / "ws" / "made.txt").read_text() == "made\n"


def test_run_streamed_events(tmp_path: Path) -> None:
    with ScriptedModelServer([sc.turn(sc.function_call("exec_command", {"cmd": "true"}, "c"), sc.completed()),
                              sc.turn(sc.message("ok"), sc.completed())]) as srv:
        r = drive(tmp_path, srv, ["go"], streamed=True)
    types = [e["type"] for e in r["turns"][0]["events"]]
    assert types[:2] == ["thread.started", "turn.started"] and types[-1] == "turn.completed"
    assert "item.started" in types


def test_http_error_makes_the_sdk_raise(tmp_path: Path) -> None:
    """Bad input tried: the model server answers HTTP 400."""
    with ScriptedModelServer([sc.http_error(400, '{"error": {"message": "sdk sees this"}}')]) as srv:
        r = drive(tmp_path, srv, ["x"])
    assert "sdk sees this" in r["error"]


def test_resumed_thread_sends_earlier_turns(tmp_path: Path) -> None:
    turns = [sc.turn(sc.message("first"), sc.completed(input_tokens=100)),
             sc.turn(sc.message("second"), sc.completed(input_tokens=50))]
    with ScriptedModelServer(turns) as srv:
        one = drive(tmp_path, srv, ["q1"])
        two = drive(tmp_path, srv, ["q2"], resume_id=one["threadId"])
    assert two["turns"][0]["finalResponse"] == "second" and two["threadId"] == one["threadId"]
    texts = [c.get("text") for i in srv.requests[1].body["input"] if i["type"] == "message" for c in i["content"]]
    assert "q1" in texts and "first" in texts and texts[-1] == "q2"
    assert two["turns"][0]["usage"]["input_tokens"] == 150


def test_two_turns_on_one_thread(tmp_path: Path) -> None:
    turns = [sc.turn(sc.message("a"), sc.completed()), sc.turn(sc.message("b"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        r = drive(tmp_path, srv, ["1", "2"])
    assert [t["finalResponse"] for t in r["turns"]] == ["a", "b"]
