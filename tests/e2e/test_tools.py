"""Every tool through the full flow: scripted model → pycodex → real processes and files."""

from __future__ import annotations

import base64
import re
import time
from pathlib import Path
from typing import Any

from pycodex.config.model_family import ToolSurface
from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import run_exec, write_config

PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def outputs_of(body: dict[str, Any]) -> dict[str, str]:
    return {i["call_id"]: i["output"] for i in body["input"]
            if i["type"] in ("function_call_output", "custom_tool_call_output")}


def _run(tmp_path: Path, turns: list[Any], *args: str, extra: str = "", model: str = "gpt-5.5") -> tuple[Any, Any]:
    ws = tmp_path / "ws"
    ws.mkdir(exist_ok=True)
    with ScriptedModelServer(turns) as srv:
        write_config(tmp_path / "home", srv.base_url, extra=extra, model=model)
        run = run_exec(tmp_path / "home", ws, "--dangerously-bypass-approvals-and-sandbox", *args, "go")
    return run, srv


def test_exec_command_output_format_and_item(tmp_path: Path) -> None:
    turns = [sc.turn(sc.function_call("exec_command", {"cmd": "echo about; echo err >&2; exit 3"}, "c1"), sc.completed()),
             sc.turn(sc.message("done"), sc.completed())]
    run, srv = _run(tmp_path, turns)
    assert run.code == 0, run.stderr
    out = outputs_of(srv.requests[1].body)["c1"]
    assert re.fullmatch(
        r"Chunk ID: [0-9a-f]{6}\nWall time: \d+\.\d{4} seconds\nProcess exited with code 3\n"
        r"Original token count: \d+\nOutput:\nabout\nerr\n", out), out
    item = run.items("command_execution")[0]
    assert item["command"] == "/bin/bash -lc 'echo about; echo err >&2; exit 3'"
    assert item["exit_code"] == 3 and item["status"] == "failed" and "about" in item["aggregated_output"]


def test_write_stdin_drives_a_python_repl(tmp_path: Path) -> None:
    turns = [
        sc.turn(sc.function_call("exec_command", {"cmd": "python3 -i -q", "tty": True, "yield_time_ms": 500}, "c1"), sc.completed()),
        sc.turn(sc.function_call("write_stdin", {"session_id": 1, "chars": "print(6*7)\n", "yield_time_ms": 1000}, "c2"), sc.completed()),
        sc.turn(sc.function_call("write_stdin", {"session_id": 1, "chars": "exit()\n", "yield_time_ms": 2000}, "c3"), sc.completed()),
        sc.turn(sc.message("repl done"), sc.completed()),
    ]
    run, srv = _run(tmp_path, turns)
    assert run.code == 0, run.stderr
    first = outputs_of(srv.requests[1].body)["c1"]
    m = re.search(r"Process running with session ID (\d+)", first)
    assert m, first
    assert "42" in outputs_of(srv.requests[2].body)["c2"]
    assert "Process exited with code 0" in outputs_of(srv.requests[3].body)["c3"]
    assert run.items("command_execution")[0]["exit_code"] == 0


def test_classic_shell_json_output_and_timeout(tmp_path: Path) -> None:
    turns = [
        sc.turn(sc.function_call("shell", {"command": ["bash", "-lc", "echo classic"]}, "s1"),
                sc.function_call("shell", {"command": ["sleep", "5"], "timeout_ms": 300}, "s2"), sc.completed()),
        sc.turn(sc.message("ok"), sc.completed()),
    ]
    run, srv = _run(tmp_path, turns, model="gpt-4.1")
    assert run.code == 0, run.stderr
    assert next(t["name"] for t in srv.requests[0].body["tools"]) == "shell"
    import json

    outs = outputs_of(srv.requests[1].body)
    s1 = json.loads(outs["s1"])
    assert s1["output"] == "classic\n" and s1["metadata"]["exit_code"] == 0
    s2 = json.loads(outs["s2"])
    assert s2["metadata"]["exit_code"] == 124 and "timed out" in s2["output"]


def test_apply_patch_freeform_adds_and_updates(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "README.md").write_text("# Demo\n\nold line\nkeep me\n")
    patch = ("*** Begin Patch\n*** Add File: hello.txt\n+Hello\n*** Update File: README.md\n@@\n # Demo\n \n"
             "-old line\n+new line\n keep me\n*** End Patch\n")
    turns = [sc.turn(sc.custom_tool_call("apply_patch", patch, "p1"), sc.completed()),
             sc.turn(sc.message("patched"), sc.completed())]
    run, srv = _run(tmp_path, turns)
    assert run.code == 0, run.stderr
    assert (ws / "hello.txt").read_text() == "Hello\n"
    assert (ws / "README.md").read_text() == "# Demo\n\nnew line\nkeep me\n"
    assert outputs_of(srv.requests[1].body)["p1"].startswith(
        "Exit code: 0\nWall time: 0 seconds\nOutput:\nSuccess. Updated the following files:\nA hello.txt\nM README.md\n")
    fc = run.items("file_change")[0]
    assert fc["status"] == "completed"
    assert sorted(c["kind"] for c in fc["changes"]) == ["add", "update"]


def test_apply_patch_that_does_not_apply_changes_nothing(tmp_path: Path) -> None:
    """Bad input tried: the second file's context is missing; the first file must stay as it was."""
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "a.txt").write_text("alpha\n")
    (ws / "b.txt").write_text("beta\n")
    patch = ("*** Begin Patch\n*** Update File: a.txt\n@@\n-alpha\n+ALPHA\n*** Update File: b.txt\n@@\n"
             "-not there\n+x\n*** End Patch\n")
    turns = [sc.turn(sc.custom_tool_call("apply_patch", patch, "p1"), sc.completed()),
             sc.turn(sc.message("ok"), sc.completed())]
    run, srv = _run(tmp_path, turns)
    assert run.code == 0
    assert (ws / "a.txt").read_text() == "alpha\n"
    out = outputs_of(srv.requests[1].body)["p1"]
    assert "b.txt" in out and "not there" in out


def test_apply_patch_inside_exec_command_heredoc_is_routed_to_patch_engine(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "sub").mkdir()
    cmd = "cd sub && apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: x.txt\n+from heredoc\n*** End Patch\nEOF\n"
    turns = [sc.turn(sc.function_call("exec_command", {"cmd": cmd}, "c1"), sc.completed()),
             sc.turn(sc.message("ok"), sc.completed())]
    run, _srv = _run(tmp_path, turns)
    assert run.code == 0, run.stderr
    assert (ws / "sub" / "x.txt").read_text() == "from heredoc\n"
    assert run.items("file_change") and not run.items("command_execution")


def test_update_plan_becomes_todo_list(tmp_path: Path) -> None:
    plan1 = {"plan": [{"step": "a", "status": "in_progress"}, {"step": "b", "status": "pending"}]}
    plan2 = {"plan": [{"step": "a", "status": "completed"}, {"step": "b", "status": "completed"}]}
    turns = [sc.turn(sc.function_call("update_plan", plan1, "u1"), sc.completed()),
             sc.turn(sc.function_call("update_plan", plan2, "u2"), sc.completed()),
             sc.turn(sc.message("plan done"), sc.completed())]
    run, srv = _run(tmp_path, turns, extra="[tools.update_plan]\nenabled = true")  # off by default
    assert outputs_of(srv.requests[1].body)["u1"] == "Plan updated"
    kinds = [(e["type"], e.get("item", {}).get("type")) for e in run.events()]
    assert kinds[-3:] == [("item.completed", "agent_message"), ("item.completed", "todo_list"), ("turn.completed", None)]
    assert ("item.updated", "todo_list") in kinds


def test_view_image_attaches_and_rejects_bad_files(tmp_path: Path) -> None:
    """Bad input tried: a missing path, a directory and a text file as images."""
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "pic.png").write_bytes(PNG_1X1)
    (ws / "notes.txt").write_text("not an image")
    turns = [sc.turn(sc.function_call("view_image", {"path": "pic.png"}, "v1"),
                     sc.function_call("view_image", {"path": "nope.png"}, "v2"),
                     sc.function_call("view_image", {"path": "."}, "v3"),
                     sc.function_call("view_image", {"path": "notes.txt"}, "v4"), sc.completed()),
             sc.turn(sc.message("seen"), sc.completed())]
    _, srv = _run(tmp_path, turns)
    outs = outputs_of(srv.requests[1].body)
    assert outs["v1"] == "attached local image path"
    assert "not found" in outs["v2"] and "directory" in outs["v3"] and "not a supported image" in outs["v4"]
    images = [c for i in srv.requests[1].body["input"] if i["type"] == "message"
              for c in i["content"] if c["type"] == "input_image"]
    assert len(images) == 1 and images[0]["image_url"].startswith("data:image/png;base64,")


def test_parallel_calls_all_run_and_outputs_keep_call_order(tmp_path: Path) -> None:
    calls = [sc.function_call("exec_command", {"cmd": f"sleep 0.{3 - i}; echo {i}"}, f"c{i}") for i in range(3)]
    turns = [sc.turn(*calls, sc.completed()), sc.turn(sc.message("all done"), sc.completed())]
    _, srv = _run(tmp_path, turns)
    body = srv.requests[1].body["input"]
    seq = [(i["type"], i["call_id"]) for i in body if i["type"] in ("function_call", "function_call_output")]
    assert seq == [("function_call", "c0"), ("function_call", "c1"), ("function_call", "c2"),
                   ("function_call_output", "c0"), ("function_call_output", "c1"), ("function_call_output", "c2")]
    outs = outputs_of(srv.requests[1].body)
    assert all(outs[f"c{i}"].endswith(f"Output:\n{i}\n") for i in range(3))


def test_surfaces_by_model_family() -> None:
    from pycodex.tools.spec import tool_specs

    modern = tool_specs(ToolSurface.MODERN, custom_tools_supported=True, plan=True, view_image=True,
                        apply_patch=True, web_search=False)
    assert [s["name"] for s in modern] == ["exec_command", "write_stdin", "update_plan", "apply_patch", "view_image"]
    assert modern[3]["type"] == "custom"
    chat = tool_specs(ToolSurface.MODERN, custom_tools_supported=False, plan=True, view_image=True,
                      apply_patch=True, web_search=False)
    assert chat[3]["type"] == "function"
    classic = tool_specs(ToolSurface.CLASSIC, custom_tools_supported=True, plan=True, view_image=True,
                         apply_patch=True, web_search=False)
    assert [s["name"] for s in classic] == ["shell", "update_plan", "apply_patch", "view_image"]



def test_login_profile_environment_reaches_commands_through_the_snapshot(tmp_path: Path) -> None:
    home_dir = tmp_path / "userhome"
    home_dir.mkdir()
    (home_dir / ".bash_profile").write_text("export FROM_PROFILE=profile-value\n")
    turns = [sc.turn(sc.function_call("exec_command", {"cmd": "echo $FROM_PROFILE"}, "c1"),
                     sc.function_call("exec_command", {"cmd": "echo again $FROM_PROFILE"}, "c2"), sc.completed()),
             sc.turn(sc.message("ok"), sc.completed())]
    ws = tmp_path / "ws"
    ws.mkdir()
    with ScriptedModelServer(turns) as srv:
        write_config(tmp_path / "home", srv.base_url)
        run = run_exec(tmp_path / "home", ws, "--dangerously-bypass-approvals-and-sandbox", "go",
                       env={"HOME": str(home_dir)})
    assert run.code == 0, run.stderr
    outs = outputs_of(srv.requests[1].body)
    assert outs["c1"].endswith("Output:\nprofile-value\n") and outs["c2"].endswith("again profile-value\n")
    assert run.items("command_execution")[0]["command"] == "/bin/bash -lc 'echo $FROM_PROFILE'"


def test_a_command_without_a_terminal_has_no_input_as_in_codex(tmp_path: Path) -> None:
    """Bad input tried: `cat` and a prompt (`read`) run without tty, then chars sent to a
    session without a terminal. Codex gives such commands no stdin: they read end-of-file at
    once (they waited for their whole yield time, then ran on), and write_stdin says to rerun
    with tty=true."""
    turns = [
        sc.turn(sc.function_call("exec_command", {"cmd": "cat; read -r x; echo got-eof",
                                                  "yield_time_ms": 10000}, "c1"), sc.completed()),
        sc.turn(sc.function_call("exec_command", {"cmd": "sleep 30", "yield_time_ms": 250}, "c2"), sc.completed()),
        sc.turn(sc.function_call("write_stdin", {"session_id": 1, "chars": "hello\n"}, "c3"), sc.completed()),
        sc.turn(sc.message("done"), sc.completed()),
    ]
    t0 = time.monotonic()
    run, srv = _run(tmp_path, turns)
    assert run.code == 0, run.stderr
    first = outputs_of(srv.requests[1].body)["c1"]
    assert "got-eof" in first and "Process exited with code 0" in first, first
    assert time.monotonic() - t0 < 9  # not the 10 s yield
    assert outputs_of(srv.requests[3].body)["c3"] == (
        "write_stdin failed: stdin is closed for this session; rerun exec_command with tty=true "
        "to keep stdin open")
