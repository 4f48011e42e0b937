"""ProcessManager with real processes: the hard cases a coding agent meets."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pycodex.exec.manager import ProcessManager, SpawnRequest, UnknownSessionError

ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/tmp"}


def req(cmd: str, tmp: Path, tty: bool = False) -> SpawnRequest:
    return SpawnRequest(["/bin/bash", "-c", cmd], tmp, ENV, tty=tty)


async def test_exit_code_and_merged_output(tmp_path: Path) -> None:
    pm = ProcessManager()
    chunks: list[tuple[str, bytes]] = []
    o = await pm.start(req("echo out; echo err >&2; exit 5", tmp_path), 5000, 100, lambda s, d: chunks.append((s, d)))
    assert o.exit_code == 5 and o.session_id is None
    assert b"out" in o.output and b"err" in o.output
    assert {s for s, _ in chunks} == {"stdout", "stderr"}
    await pm.shutdown()


async def test_binary_and_invalid_utf8_output(tmp_path: Path) -> None:
    """Bad input tried: bytes that are not UTF-8 and NULs."""
    pm = ProcessManager()
    o = await pm.start(req(r"printf '\xff\xfe\x00bin\x80'", tmp_path), 5000, 100)
    assert o.output == b"\xff\xfe\x00bin\x80"
    from pycodex.exec.output import format_exec_command_output

    assert "bin" in format_exec_command_output(o, 100)
    await pm.shutdown()


async def test_flood_of_output_is_bounded(tmp_path: Path) -> None:
    """Bad input tried: 300 MB of output; memory stays bounded and the call returns."""
    pm = ProcessManager()
    t0 = time.monotonic()
    o = await pm.start(req("head -c 300000000 /dev/zero | tr '\\0' a; echo END", tmp_path), 60_000, 100)
    assert o.exit_code == 0
    assert len(o.output) < 2 * 1024 * 1024 and o.output.endswith(b"END\n")
    assert b"bytes of output omitted" in o.output
    assert time.monotonic() - t0 < 30
    await pm.shutdown()


async def test_daemonised_child_does_not_hang_the_call(tmp_path: Path) -> None:
    """Bad input tried: a grandchild that keeps the output pipe open forever."""
    pm = ProcessManager()
    t0 = time.monotonic()
    o = await pm.start(req("(sleep 300 &) ; setsid sleep 301 & echo started", tmp_path), 10_000, 100)
    assert o.exit_code == 0 and b"started" in o.output
    assert time.monotonic() - t0 < 3
    await pm.kill_all()
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout  # noqa: ASYNC221
    assert "sleep 300" not in out and "sleep 301" not in out


async def test_never_ending_command_yields_then_is_killed(tmp_path: Path) -> None:
    pm = ProcessManager()
    o = await pm.start(req("echo tick; sleep 1000", tmp_path), 300, 100)
    assert o.exit_code is None and o.session_id is not None and b"tick" in o.output
    await pm.kill_all()
    with pytest.raises(UnknownSessionError):
        await pm.write_stdin(o.session_id, "", 100, 100)


async def test_classic_run_times_out_with_124(tmp_path: Path) -> None:
    pm = ProcessManager()
    r = await pm.run(req("echo before; sleep 30", tmp_path), 300)
    assert r.timed_out and r.exit_code == 124 and b"before" in r.aggregated
    await pm.shutdown()


async def test_program_waiting_on_stdin_under_a_terminal(tmp_path: Path) -> None:
    """Bad input tried: `cat` waiting for input that never comes, then fed through write_stdin."""
    pm = ProcessManager()
    o = await pm.start(SpawnRequest(["/bin/bash", "-c", "stty -echo; cat"], tmp_path, ENV, tty=True), 300, 100)
    assert o.session_id is not None
    o2 = await pm.write_stdin(o.session_id, "ping\n", 500, 100)
    assert o2.output.replace(b"\r", b"") == b"ping\n"
    await pm.shutdown()


async def test_python_repl_under_tty(tmp_path: Path) -> None:
    pm = ProcessManager()
    o = await pm.start(SpawnRequest([sys.executable, "-i", "-q"], tmp_path, ENV, tty=True), 1000, 100)
    assert o.session_id is not None
    o2 = await pm.write_stdin(o.session_id, "print(6*7)\n", 1500, 100)
    assert b"42" in o2.output
    o3 = await pm.write_stdin(o.session_id, "exit()\n", 3000, 100)
    assert o3.exit_code == 0
    await pm.shutdown()


def test_commands_die_when_pycodex_is_killed_9(tmp_path: Path) -> None:
    """A real process runs commands then gets SIGKILL; none of its commands may survive."""
    script = textwrap.dedent(f"""
        import asyncio, os, sys
        from pathlib import Path
        from pycodex.exec.manager import ProcessManager, SpawnRequest
        async def main():
            pm = ProcessManager()
            env = {{"PATH": os.environ["PATH"]}}
            a = await pm.start(SpawnRequest(["/bin/bash", "-c", "sleep 777"], Path({str(tmp_path)!r}), env), 300, 10)
            b = await pm.start(SpawnRequest(["/bin/bash", "-c", "sleep 778 & sleep 779"], Path({str(tmp_path)!r}), env), 300, 10)
            print("ready", flush=True)
            await asyncio.sleep(1000)
        asyncio.run(main())
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        _check_all_die(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
        subprocess.run(["pkill", "-9", "-f", "sleep 77[789]"], check=False)


def _check_all_die(proc: subprocess.Popen[str]) -> None:
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"

    def alive() -> list[str]:
        out = subprocess.run(["ps", "-eo", "stat,args"], capture_output=True, text=True).stdout
        return [ln for ln in out.splitlines() if any(f"sleep 77{i}" in ln for i in (7, 8, 9)) and not ln.startswith("Z")]

    assert len(alive()) >= 3
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 5
    while alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert alive() == []
