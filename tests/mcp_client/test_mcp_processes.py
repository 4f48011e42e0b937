"""MCP server processes end with the session: at a normal end, after an interrupt (SIGINT), and
when pycodex is killed with SIGKILL (the watchdog kills the server and the daemon it left)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import write_config
from tests.mcp_client.helpers import call, done, stdio_table

NS = "mcp__t"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait_dead(pids: list[int], limit: float = 15.0) -> list[int]:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if not any(_alive(p) for p in pids):
            return []
        time.sleep(0.1)
    return [p for p in pids if _alive(p)]


def _start(tmp_path: Path, base_url: str) -> tuple[subprocess.Popen[str], Path]:
    pid_file = tmp_path / "pids"
    home, ws = tmp_path / "home", tmp_path / "ws"
    ws.mkdir()
    table = stdio_table("t", extra=f"env = {{ DAEMON_PID_FILE = {json.dumps(str(pid_file))} }}")
    write_config(home, base_url, extra=table)
    env = {**os.environ, "PYCODEX_HOME": str(home), "MOCK_API_KEY": "k"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pycodex.cli.main", "exec", "--json", "--skip-git-repo-check", "-C", str(ws),
         "--dangerously-bypass-approvals-and-sandbox", "go"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=env,
    )
    return proc, pid_file


def _wait_for_nap(proc: subprocess.Popen[str]) -> None:
    """Read JSONL until the long call has started (pycodex is then mid-call)."""
    assert proc.stdout is not None
    for line in proc.stdout:
        item = json.loads(line).get("item", {})
        if item.get("tool") == "nap" and item.get("status") == "in_progress":
            return
    raise AssertionError(f"the call never started: {proc.stderr.read() if proc.stderr else ''}")


def _pids(pid_file: Path) -> list[int]:
    return [int(x) for x in pid_file.read_text().split()]


def _script() -> list[object]:
    return [call(NS, "spawn_daemon", {}, "d"), call(NS, "nap", {"seconds": 120}, "n"), done()]


def test_sigkill_of_pycodex_kills_the_server_and_what_it_spawned(tmp_path: Path) -> None:
    with ScriptedModelServer(_script()) as srv:  # type: ignore[arg-type]
        proc, pid_file = _start(tmp_path, srv.base_url)
        try:
            _wait_for_nap(proc)
            server, daemon = _pids(pid_file)
            assert _alive(server) and _alive(daemon)
            proc.kill()  # SIGKILL: pycodex cleans nothing up itself
            proc.wait(10)
            assert _wait_dead([server, daemon]) == []
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.communicate(timeout=10)


def test_interrupt_ends_the_session_and_its_servers(tmp_path: Path) -> None:
    with ScriptedModelServer(_script()) as srv:  # type: ignore[arg-type]
        proc, pid_file = _start(tmp_path, srv.base_url)
        try:
            _wait_for_nap(proc)
            server, daemon = _pids(pid_file)
            proc.send_signal(signal.SIGINT)
            assert proc.wait(30) == 130
            # Gone when pycodex has exited: stopped at shutdown, not by the watchdog afterwards.
            assert not _alive(server) and _wait_dead([daemon], 2.0) == []
        finally:
            if proc.poll() is None:
                proc.kill()
            _, err = proc.communicate(timeout=10)
    assert "Traceback" not in err


def test_servers_end_with_a_normal_run_even_after_a_crash_and_restart(tmp_path: Path) -> None:
    turns = [call(NS, "spawn_daemon", {}, "d1"), call(NS, "crash", {}, "c"), call(NS, "spawn_daemon", {}, "d2"), done()]
    with ScriptedModelServer(turns) as srv:
        proc, pid_file = _start(tmp_path, srv.base_url)
        out, err = proc.communicate(timeout=90)
    assert proc.returncode == 0, err
    restarted, daemon2 = _pids(pid_file)  # the file holds the restarted server's pids now
    assert not _alive(restarted) and _wait_dead([daemon2], 2.0) == []
    statuses = [json.loads(x)["item"]["status"] for x in out.splitlines()
                if json.loads(x)["type"] == "item.completed" and json.loads(x)["item"]["type"] == "mcp_tool_call"]
    assert statuses == ["completed", "failed", "completed"]
