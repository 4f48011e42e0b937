"""The server's life: the client leaving ends every conversation and process; a cancelled call
stops its turn and the thread goes on."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import input_texts
from tests.mcp_server.harness import NO_SANDBOX, RawServer, Recorder, connect, setup_home, text_of


def _sleeper(pidfile: Path, call_id: str) -> sc.Turn:
    """A command that records its pid and sleeps far longer than any test."""
    cmd = f"sleep 1000 & echo $! > {pidfile}; wait"
    return sc.turn(sc.function_call("exec_command", {"cmd": cmd, "yield_time_ms": 60000}, call_id),
                   sc.completed())


def _pid(pidfile: Path, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while not (pidfile.exists() and pidfile.read_text().strip()):
        assert time.monotonic() < deadline, "the command never started"
        time.sleep(0.05)
    return int(pidfile.read_text())


def _gone(pid: int, timeout: float = 10) -> bool:
    """Whether the process is gone (or a zombie nobody reaped yet)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


def test_closing_stdin_ends_every_conversation_and_exits_0(tmp_path: Path) -> None:
    """Two conversations: one running a command, one waiting for an approval; the client goes
    away. Both end, the command is killed, the server exits 0 and the rollouts are complete."""
    pids = [tmp_path / "a.pid"]
    turns = [_sleeper(pids[0], "s1"),
             sc.turn(sc.function_call("exec_command", {"cmd": "touch never.txt"}, "c2"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        server = RawServer(home, ws)
        server.initialize()
        server.request("tools/call", {"name": "codex", "arguments": {"prompt": "sleep", **NO_SANDBOX}})
        pid = _pid(pids[0])
        server.request("tools/call", {"name": "codex", "arguments": {
            "prompt": "touch", "approval-policy": "untrusted", "sandbox": "danger-full-access"}})
        server.wait(lambda m: m.get("method") == "elicitation/create")
        started = time.monotonic()
        server.close_stdin()
        code = server.proc.wait(timeout=30)
        took = time.monotonic() - started
    assert code == 0, server.stderr()
    assert took < 10
    assert _gone(pid)
    assert not (ws / "never.txt").exists()
    assert "Traceback" not in server.stderr()
    rollouts = sorted((home / "sessions").rglob("rollout-*.jsonl"))
    assert len(rollouts) == 2
    for path in rollouts:
        assert path.read_text().endswith("\n")  # whole lines: closed, not cut off


def test_sigterm_ends_every_conversation_and_exits_0(tmp_path: Path) -> None:
    pidfile = tmp_path / "a.pid"
    with ScriptedModelServer([_sleeper(pidfile, "s1")]) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        server = RawServer(home, ws)
        server.initialize()
        server.request("tools/call", {"name": "codex", "arguments": {"prompt": "sleep", **NO_SANDBOX}})
        pid = _pid(pidfile)
        server.proc.send_signal(signal.SIGTERM)
        code = server.proc.wait(timeout=30)
    assert code == 0, server.stderr()
    assert _gone(pid)


async def test_a_cancelled_call_interrupts_its_turn_and_the_thread_goes_on(tmp_path: Path) -> None:
    pidfile = tmp_path / "a.pid"
    turns = [_sleeper(pidfile, "s1"), sc.turn(sc.message("back again"), sc.completed())]
    rec = Recorder()
    with ScriptedModelServer(turns) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        async with connect(home, ws, rec) as client:
            call = asyncio.create_task(client.call_tool("codex", {"prompt": "sleep", **NO_SANDBOX}))
            pid = await asyncio.to_thread(_pid, pidfile)
            call.cancel()  # the SDK tells the server with notifications/cancelled
            thread_id = rec.msgs("session_configured")[0]["session_id"]
            assert await asyncio.to_thread(_gone, pid)
            reply = await client.call_tool("codex-reply", {"threadId": thread_id, "prompt": "are you there?"})
        bodies = [r.body_json for r in srv.requests]
    assert text_of(reply) == "back again" and not reply.is_error
    assert reply.structured_content["threadId"] == thread_id
    assert "sleep" in input_texts(bodies[1]) and input_texts(bodies[1])[-1] == "are you there?"


def test_unreadable_lines_are_each_named_on_stderr_and_the_server_goes_on(tmp_path: Path) -> None:
    """Bad input: a line that is not JSON, a JSON array, 100,000 nested arrays, and an object
    that is neither a request, a notification nor a reply. Each is one warning line on stderr
    (the SDK alone drops them without a word), and the server still answers. Blank lines
    between them are no message and get no warning."""
    with ScriptedModelServer([]) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        server = RawServer(home, ws)
        server.initialize()
        assert server.proc.stdin is not None
        for line in (b"this is not json", b"", b"[1, 2]", b"  ", b"[" * 100_000, b'{"jsonrpc": "2.0"}'):
            server.proc.stdin.write(line + b"\n")
        server.proc.stdin.flush()
        tools = server.response(server.request("tools/list", {}))
        server.close_stdin()
        assert server.proc.wait(timeout=30) == 0
    assert [t["name"] for t in tools["result"]["tools"]] == ["codex", "codex-reply"]
    skipped = [line for line in server.stderr().splitlines() if "skipped an input line" in line]
    assert [line.split("skipped an input line: ", 1)[1] for line in skipped] == [
        "not JSON (expected ident at line 1 column 2)", "not a JSON object",
        "not JSON (recursion limit exceeded at line 1 column 202)",
        "not a JSON-RPC request, notification or reply"]
    assert "Traceback" not in server.stderr()
