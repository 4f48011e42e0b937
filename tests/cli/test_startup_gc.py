"""The console script pauses the cyclic collector for start-up only: it is running again (with
start-up's objects frozen out of its sight) once `exec`'s session or the app-server's first
thread is up. A collector left off would let every reference cycle of a long session leak.

Each run is a real process started through the console script's entry point, which prints the
collector's state from an exit handler.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import write_config

_MARK = "--gc--"
_WRAPPER = (
    "import atexit, gc, runpy, sys\n"
    f"atexit.register(lambda: sys.stderr.write({_MARK!r} + repr((gc.isenabled(), gc.get_freeze_count()))))\n"
    "sys.argv = ['pycodex', *sys.argv[1:]]\n"
    "runpy.run_module('pycodex.cli.entry', run_name='__main__')\n"
)


def _gc_state(stderr: str) -> tuple[bool, int]:
    assert _MARK in stderr, stderr[-2000:]
    enabled, frozen = eval(stderr.rsplit(_MARK, 1)[1].strip())  # our own repr of a tuple
    return bool(enabled), int(frozen)


def test_exec_runs_with_the_collector_on_after_start_up(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with ScriptedModelServer([sc.turn(sc.message("hello"), sc.completed())]) as srv:
        write_config(home, srv.base_url)
        proc = subprocess.run(
            [sys.executable, "-c", _WRAPPER, "exec", "--json", "--skip-git-repo-check", "-C", str(tmp_path), "hi"],
            capture_output=True, text=True, timeout=60,
            env={**os.environ, "PYCODEX_HOME": str(home), "MOCK_API_KEY": "k"},
        )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert '"turn.completed"' in proc.stdout
    enabled, frozen = _gc_state(proc.stderr)
    assert enabled
    assert frozen > 10_000  # start-up's modules and classes were frozen, not just re-enabled


def test_app_server_turns_the_collector_back_on_at_its_first_thread(tmp_path: Path) -> None:
    home, ws = tmp_path / "home", tmp_path / "ws"
    ws.mkdir()
    with ScriptedModelServer([]) as srv:
        write_config(home, srv.base_url)
        proc = subprocess.Popen(
            [sys.executable, "-c", _WRAPPER, "app-server"], cwd=ws, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={**os.environ, "PYCODEX_HOME": str(home), "MOCK_API_KEY": "k"},
        )
        lines = [
            {"id": 1, "method": "initialize", "params": {"clientInfo": {"name": "t", "version": "1"}}},
            {"method": "initialized"},
            {"id": 2, "method": "thread/start", "params": {"cwd": str(ws)}},
        ]
        out, err = proc.communicate("".join(json.dumps(m) + "\n" for m in lines), timeout=60)
    answers = [json.loads(line) for line in out.splitlines()]
    assert any(m.get("id") == 2 and "result" in m for m in answers), (answers, err[-2000:])
    enabled, frozen = _gc_state(err)
    assert enabled
    assert frozen > 10_000


def test_an_app_server_without_threads_still_gets_the_collector_back(tmp_path: Path) -> None:
    # A client that only lists models never starts a thread: the pause ends on a timer.
    from pycodex.cli.app_server_cmd import STARTUP_PAUSE_LIMIT_S

    home = tmp_path / "home"
    write_config(home, "http://127.0.0.1:9")
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRAPPER, "app-server"], cwd=tmp_path, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "PYCODEX_HOME": str(home), "MOCK_API_KEY": "k"},
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(json.dumps({"id": 1, "method": "initialize",
                                 "params": {"clientInfo": {"name": "t", "version": "1"}}}) + "\n")
    proc.stdin.flush()
    assert json.loads(proc.stdout.readline())["id"] == 1
    import time

    time.sleep(STARTUP_PAUSE_LIMIT_S + 0.5)
    _, err = proc.communicate("", timeout=30)
    enabled, _ = _gc_state(err)
    assert enabled
