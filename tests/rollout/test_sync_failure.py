"""A rollout that cannot be fsynced at a turn end: an error before task_complete, a stopped
session, and a non-zero exit from `pycodex exec` — never a log line and a success."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from pycodex.protocol import events as ev
from pycodex.protocol import ops
from pycodex.protocol.inputs import TextInput
from pycodex.session.conversation import ConversationManager
from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import write_config
from tests.e2e.test_session import make_config, wait_for

# Runs the real CLI; a thread waits for the file GO (made by the model's command), then puts a
# pipe where the rollout's file descriptor was. Writes to a pipe succeed, but the kernel refuses
# to fsync a pipe (EINVAL), so the turn-end fsync really fails.
_LAUNCHER = """
import os, sys, threading, time
from pathlib import Path
go, swapped = Path(sys.argv[1]), Path(sys.argv[2])

def drain(fd):
    while os.read(fd, 65536):
        pass

def swap():
    while not go.exists():
        time.sleep(0.01)
    for name in os.listdir('/proc/self/fd'):
        try:
            target = os.readlink(f'/proc/self/fd/{name}')
        except OSError:
            continue
        if '/sessions/' in target and target.endswith('.jsonl'):
            r, w = os.pipe()
            os.dup2(w, int(name))
            threading.Thread(target=drain, args=(r,), daemon=True).start()
    swapped.touch()

threading.Thread(target=swap, daemon=True).start()
sys.argv = ['pycodex', *sys.argv[3:]]
from pycodex.cli.main import main
main()
"""


def test_exec_exits_nonzero_when_the_turn_end_fsync_fails(tmp_path: Path) -> None:
    """Bad input tried: the rollout's descriptor becomes a pipe mid-turn, so fsync fails (EINVAL)."""
    home, ws = tmp_path / "home", tmp_path / "ws"
    ws.mkdir()
    go, swapped = tmp_path / "GO", tmp_path / "SWAPPED"
    wait_cmd = f"touch {go}; until [ -e {swapped} ]; do sleep 0.02; done; echo swapped"
    turns = [sc.turn(sc.function_call("exec_command", {"cmd": wait_cmd, "yield_time_ms": 20000}, "c1"),
                     sc.completed()),
             sc.turn(sc.message("all done"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        write_config(home, srv.base_url)
        env = {**os.environ, "PYCODEX_HOME": str(home), "MOCK_API_KEY": "k"}
        proc = subprocess.run(
            [sys.executable, "-c", _LAUNCHER, str(go), str(swapped), "exec", "--json",
             "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox", "-C", str(ws), "go"],
            capture_output=True, text=True, env=env, timeout=60, check=False,
        )
    assert swapped.exists() and len(srv.requests) == 2
    assert proc.returncode == 1, proc.stdout + proc.stderr
    # Reported once, as an event; before, the failure was also logged to stderr as a warning.
    assert proc.stderr == ""
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    errors = [e["message"] for e in events if e["type"] == "error"]
    rollout = next((home / "sessions").rglob("rollout-*.jsonl"))
    assert errors == [f"session stopped: cannot sync rollout file {rollout}: Invalid argument"]
    assert events[-1]["type"] == "turn.failed" and "cannot sync rollout file" in events[-1]["error"]["message"]


def _pipe_over(fd: int) -> None:
    """Put a drained pipe where `fd` was: writes still succeed, fsync fails with EINVAL."""
    r, w = os.pipe()
    threading.Thread(target=lambda: [None for _ in iter(lambda: os.read(r, 65536), b"")], daemon=True).start()
    os.dup2(w, fd)
    os.close(w)


async def test_sync_failure_after_an_interrupt_is_an_error_and_stops_the_session(tmp_path: Path) -> None:
    """Bad input tried: the rollout's descriptor is replaced by a pipe (fsync fails) while a command
    runs; the interrupt's fsync is then the first to fail, with no later write to reveal it."""
    turns = [sc.turn(sc.function_call("exec_command", {"cmd": "sleep 30", "yield_time_ms": 30000}, "c1"),
                     sc.completed()),
             sc.turn(sc.message("never sent"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        conv = await ConversationManager().new_conversation(make_config(tmp_path, srv.base_url))
        await conv.submit(ops.UserInput(items=[TextInput(text="run it")]))
        await wait_for(conv, ev.ExecCommandBegin)
        session = conv._codex.session
        assert session is not None and session.services.rollout is not None
        _pipe_over(session.services.rollout._fd)
        await conv.submit(ops.Interrupt())
        await wait_for(conv, ev.TurnAborted)
        err = await wait_for(conv, ev.ErrorEvent, limit=5)
        path = session.services.rollout.path
        assert err.msg.message == f"session stopped: cannot sync rollout file {path}: Invalid argument"
        assert session.stopped_reason() is not None
        await conv.submit(ops.UserInput(items=[TextInput(text="again")]))
        refused = await wait_for(conv, ev.ErrorEvent)
        assert "session stopped" in refused.msg.message
        await wait_for(conv, ev.TaskComplete)
        await conv.shutdown()
    assert len(srv.requests) == 1  # the stopped session sent nothing more
