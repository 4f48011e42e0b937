"""What the model sends, treated as hostile: each call answered in one clear line, nothing hangs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import ExecRun, run_exec, write_config


def _outputs(body: dict[str, Any]) -> dict[str, str]:
    return {i["call_id"]: i["output"] for i in body["input"]
            if i["type"] in ("function_call_output", "custom_tool_call_output")}


def _run(tmp_path: Path, turns: list[sc.Turn], timeout: float = 60) -> tuple[ExecRun, ScriptedModelServer]:
    ws = tmp_path / "ws"
    ws.mkdir(exist_ok=True)
    with ScriptedModelServer(turns) as srv:
        write_config(tmp_path / "home", srv.base_url)
        run = run_exec(tmp_path / "home", ws, "--dangerously-bypass-approvals-and-sandbox", "go",
                       timeout=timeout)
    return run, srv


def test_view_image_of_a_fifo_or_device_is_refused_not_read_forever(tmp_path: Path) -> None:
    """Bad input tried: view_image on a FIFO nobody writes to (and on /dev/zero, endless).

    The old code read the whole "file": a FIFO blocked the turn for ever, /dev/zero grew the
    process's memory without bound.
    """
    ws = tmp_path / "ws"
    ws.mkdir()
    os.mkfifo(ws / "pipe.png")
    turns = [
        sc.turn(sc.function_call("view_image", {"path": "pipe.png"}, "v1"),
                sc.function_call("view_image", {"path": "/dev/zero"}, "v2"), sc.completed()),
        sc.turn(sc.message("done"), sc.completed()),
    ]
    run, srv = _run(tmp_path, turns, timeout=30)
    assert run.code == 0, run.stderr
    out = _outputs(srv.requests[1].body)
    assert out["v1"] == f"unable to attach image: {ws / 'pipe.png'} is not a regular file"
    assert out["v2"] == "unable to attach image: /dev/zero is not a regular file"
    assert "Traceback" not in run.stderr
