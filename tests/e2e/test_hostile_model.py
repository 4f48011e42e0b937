"""What the model sends, treated as hostile: each call answered in one clear line, nothing hangs."""

from __future__ import annotations

import base64
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


PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def _sent_images(body: dict[str, Any]) -> list[str]:
    return [c["image_url"] for i in body["input"] if i.get("type") == "message"
            for c in i["content"] if c.get("type") == "input_image"]


def test_view_image_of_a_corrupt_or_truncated_image_is_refused_not_attached(tmp_path: Path) -> None:
    """Bad input tried: view_image on a PNG cut in half, and on garbage behind PNG's magic bytes.

    The old code checked only the first bytes and attached them: the model's API refuses an
    image it cannot decode, and the image stays in the history, failing every later request.
    """
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "half.png").write_bytes(PNG_1X1[: len(PNG_1X1) // 2])
    (ws / "garbage.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    (ws / "ok.png").write_bytes(PNG_1X1)
    turns = [
        sc.turn(sc.function_call("view_image", {"path": "half.png"}, "v1"),
                sc.function_call("view_image", {"path": "garbage.png"}, "v2"),
                sc.function_call("view_image", {"path": "ok.png"}, "v3"), sc.completed()),
        sc.turn(sc.message("done"), sc.completed()),
    ]
    run, srv = _run(tmp_path, turns)
    assert run.code == 0, run.stderr
    out = _outputs(srv.requests[1].body)
    assert out["v1"] == f"unable to attach image: {ws / 'half.png'} is not a valid image: truncated PNG (no end chunk)"
    assert out["v2"].startswith(f"unable to attach image: {ws / 'garbage.png'} is not a valid image: ")
    assert out["v3"] == "attached local image path"
    assert _sent_images(srv.requests[1].body) == [
        "data:image/png;base64," + base64.b64encode(PNG_1X1).decode()]


def test_a_command_that_cannot_start_ends_its_item_and_prints_no_traceback(tmp_path: Path) -> None:
    """Bad input tried: exec_command with a `shell` that does not exist, and a 200 KB command.

    The old code let the spawn's OSError reach the router: a traceback on stderr, and the
    command's item started in the JSONL but never completed.
    """
    turns = [
        sc.turn(sc.function_call("exec_command", {"cmd": "echo hi", "shell": "/no/such/shell"}, "c1"),
                sc.function_call("exec_command", {"cmd": "echo " + "x" * 200_000}, "c2"), sc.completed()),
        sc.turn(sc.message("done"), sc.completed()),
    ]
    run, srv = _run(tmp_path, turns)
    assert run.code == 0, run.stderr
    assert "Traceback" not in run.stderr
    out = _outputs(srv.requests[1].body)
    assert out["c1"] == ("exec_command failed: cannot start /no/such/shell: No such file or directory")
    assert out["c2"] == "exec_command failed: cannot start /bin/bash: Argument list too long"
    events = run.events()
    started = [e["item"]["id"] for e in events if e["type"] == "item.started"]
    done = {e["item"]["id"]: e["item"] for e in events if e["type"] == "item.completed"}
    assert len(started) == 2 and all(i in done for i in started)
    assert [done[i]["status"] for i in started] == ["failed", "failed"]
    assert [done[i]["exit_code"] for i in started] == [-1, -1]
    assert done[started[0]]["aggregated_output"] == "cannot start /no/such/shell: No such file or directory"


def test_a_background_command_that_exits_unpolled_completes_its_item(tmp_path: Path) -> None:
    """A command left running (yield elapsed) that exits while the turn goes on, never polled.

    Codex reports its end when it exits; the old code reported it only if the model polled it
    with write_stdin, so `exec --json` showed `item.started` and never `item.completed`. A later
    poll reads its output and exit code without a second completion.
    """
    turns = [
        sc.turn(sc.function_call("exec_command", {"cmd": "sleep 0.4; echo bg; exit 3", "yield_time_ms": 250}, "c1"),
                sc.completed()),
        sc.turn(sc.message("before"), sc.delay(1500), sc.message("after"),
                sc.function_call("write_stdin", {"session_id": 1, "chars": ""}, "c2"), sc.completed()),
        sc.turn(sc.message("done"), sc.completed()),
    ]
    run, srv = _run(tmp_path, turns)
    assert run.code == 0, run.stderr
    assert "Process running with session ID 1" in _outputs(srv.requests[1].body)["c1"]
    polled = _outputs(srv.requests[2].body)["c2"]
    assert "Process exited with code 3" in polled and polled.endswith("Output:\nbg\n")
    events = run.events()
    completed = [e["item"] for e in events if e["type"] == "item.completed" and e["item"]["type"] == "command_execution"]
    assert len(completed) == 1
    assert completed[0]["exit_code"] == 3 and completed[0]["aggregated_output"] == "bg\n"
    assert completed[0]["status"] == "failed"
    # Reported when it exited (during the model's answer), not when it was polled afterwards.
    shown = [e["item"].get("text", e["item"]["type"]) for e in events if e["type"] == "item.completed"]
    assert shown == ["before", "command_execution", "after", "done"]


def test_write_stdin_to_a_session_that_never_existed_or_ended_is_told_as_codex_tells_it(tmp_path: Path) -> None:
    """Bad input tried: write_stdin to session 9999 (never existed) and to one that has ended.

    Codex 0.169 answers both with `write_stdin failed: Unknown process id N` (checked side by
    side on the scripted server); the old code said `unknown session id N`.
    """
    turns = [
        sc.turn(sc.function_call("exec_command", {"cmd": "sleep 0.3", "yield_time_ms": 250}, "c1"),
                sc.function_call("write_stdin", {"session_id": 9999, "chars": "x"}, "c2"), sc.completed()),
        sc.turn(sc.function_call("write_stdin", {"session_id": 1, "chars": "", "yield_time_ms": 1000}, "c3"),
                sc.completed()),
        sc.turn(sc.function_call("write_stdin", {"session_id": 1, "chars": "late\n"}, "c4"), sc.completed()),
        sc.turn(sc.message("done"), sc.completed()),
    ]
    run, srv = _run(tmp_path, turns)
    assert run.code == 0, run.stderr
    assert _outputs(srv.requests[1].body)["c2"] == "write_stdin failed: Unknown process id 9999"
    assert "Process exited with code 0" in _outputs(srv.requests[2].body)["c3"]
    assert _outputs(srv.requests[3].body)["c4"] == "write_stdin failed: Unknown process id 1"
