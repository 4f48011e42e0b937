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

