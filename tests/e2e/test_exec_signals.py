"""SIGTERM and SIGINT end `pycodex exec` like an interrupt.

The running turn is recorded as aborted, the command it ran is killed, the process exits with
128 + the signal (130 for Ctrl-C, 143 for SIGTERM).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import write_config


def _alive(marker: str) -> bool:
    return subprocess.run(["pgrep", "-f", marker], capture_output=True, check=False).returncode == 0


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_mid_command_aborts_the_turn_and_kills_the_command(tmp_path: Path, signum: int, code: int) -> None:
    ws, home = tmp_path / "ws", tmp_path / "home"
    ws.mkdir()
    marker = f"pycodex-signal-{uuid.uuid4().hex}"
    cmd = f"sleep 60 && echo {marker}"  # the marker is in the shell's command line
    turns = [sc.turn(sc.function_call("exec_command", {"cmd": cmd, "yield_time_ms": 30000}, "c1"), sc.completed()),
             sc.turn(sc.message("done"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        write_config(home, srv.base_url)
        proc = subprocess.Popen(
            [sys.executable, "-m", "pycodex.cli.main", "exec", "--json", "--skip-git-repo-check", "-C", str(ws), "go"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYCODEX_HOME": str(home), "MOCK_API_KEY": "k"},
        )
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(json.loads(line))
            if lines[-1]["type"] == "item.started" and lines[-1]["item"]["type"] == "command_execution":
                break
        deadline = time.monotonic() + 10
        while not _alive(marker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _alive(marker)
        proc.send_signal(signum)
        rest, err = proc.communicate(timeout=30)
    lines += [json.loads(x) for x in rest.splitlines()]
    assert proc.returncode == code, err
    assert "Traceback" not in err
    assert lines[-1] == {"type": "turn.failed", "error": {"message": "turn aborted: interrupted"}}
    time.sleep(0.2)
    assert not _alive(marker), "the command outlived pycodex"
    rollout = next((home / "sessions").rglob("*.jsonl"))
    kinds = [json.loads(x)["payload"].get("type") for x in rollout.read_text().splitlines()]
    assert "turn_aborted" in kinds



def _reading_stdin(pid: int) -> bool:
    """Whether the process's main thread is blocked reading file descriptor 0 (x86-64/arm64)."""
    try:
        call = Path(f"/proc/{pid}/syscall").read_text().split()
    except OSError:
        return False
    return len(call) > 1 and call[0] in ("0", "63") and int(call[1], 16) == 0


def test_ctrl_c_while_the_prompt_is_read_from_stdin_exits_130(tmp_path: Path) -> None:
    # `exec -` waits for its stdin (an open pipe nobody writes to) when Ctrl-C comes: it exited
    # 1 with click's "Aborted!".
    home = tmp_path / "home"
    write_config(home, "http://127.0.0.1:9/v1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "pycodex.cli.main", "exec", "--skip-git-repo-check", "-C", str(tmp_path), "-"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYCODEX_HOME": str(home), "MOCK_API_KEY": "k"},
    )
    try:
        deadline = time.monotonic() + 30
        while not _reading_stdin(proc.pid):  # start-up done, blocked in read(0, ...)
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "Aborted" not in err
