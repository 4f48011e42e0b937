"""write_stdin against processes that do not read: bounded in time, honest about dropped bytes."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from pycodex.exec.manager import ProcessManager, SpawnRequest, StdinClosedError

ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/tmp"}
MB = 1024 * 1024


def req(cmd: str, tmp: Path, tty: bool = False) -> SpawnRequest:
    return SpawnRequest(["/bin/bash", "-c", cmd], tmp, ENV, tty=tty)


async def _write_within(pm: ProcessManager, sid: int, chars: str, yield_ms: int) -> tuple[float, object]:
    t0 = time.monotonic()
    # The bound is the point: the old code never returned here.
    o = await asyncio.wait_for(pm.write_stdin(sid, chars, yield_ms, 100), yield_ms / 1000 + 5)
    return time.monotonic() - t0, o


async def test_input_for_a_command_without_a_terminal_is_refused_as_codex_refuses_it(tmp_path: Path) -> None:
    """Bad input tried: chars for `sleep 30` started without a terminal. As in Codex, such a
    command has no input: a program that asks for some (`cat`) reads end-of-file at once
    instead of waiting for ever, and write_stdin with chars is refused (polling still works)."""
    pm = ProcessManager()
    try:
        cat = await pm.start(req("cat; echo cat-done", tmp_path), 2000, 100)
        assert cat.exit_code == 0 and b"cat-done" in cat.output
        o = await pm.start(req("sleep 30", tmp_path), 100, 100)
        assert o.session_id is not None
        with pytest.raises(StdinClosedError, match="rerun exec_command with tty=true"):
            await pm.write_stdin(o.session_id, "x" * MB, 500, 100)
        polled = await pm.write_stdin(o.session_id, "", 100, 100)
        assert polled.exit_code is None
    finally:
        await pm.shutdown()


async def test_a_megabyte_to_a_tty_that_never_reads_returns_in_time(tmp_path: Path) -> None:
    """Bad input tried: 1 MB of chars for `sleep 30` on a terminal, which never reads it."""
    pm = ProcessManager()
    try:
        o = await pm.start(req("sleep 30", tmp_path, tty=True), 100, 100)
        assert o.session_id is not None
        elapsed, o2 = await _write_within(pm, o.session_id, "y" * MB, 500)
        assert elapsed < 0.5 + 0.3
        assert o2.exit_code is None  # type: ignore[attr-defined]
        # A terminal takes (and echoes) what fits its line discipline; anything it refused
        # within the yield time is reported as dropped.
        note = o2.note  # type: ignore[attr-defined]
        assert note is None or "not reading its input" in note
    finally:
        await pm.shutdown()


async def test_a_megabyte_a_process_reads_arrives_whole(tmp_path: Path) -> None:
    """Everything is written, across many partial writes, when the process keeps reading."""
    pm = ProcessManager()
    try:
        # Raw mode: the terminal passes bytes through (no line editing, no echo).
        o = await pm.start(req("stty raw -echo; head -c 1048576 | wc -c", tmp_path, tty=True), 300, 100)
        assert o.session_id is not None
        _, o2 = await _write_within(pm, o.session_id, "z" * MB, 5000)
        assert o2.exit_code == 0 and o2.output.strip() == b"1048576"  # type: ignore[attr-defined]
        assert o2.note is None  # type: ignore[attr-defined]
    finally:
        await pm.shutdown()


async def test_a_late_write_never_lands_in_a_reused_fd(tmp_path: Path) -> None:
    """Bad input tried: a write racing the process's exit, while the worker threads are busy.

    The old code took the stdin fd number, then wrote from a worker thread: if the process
    exited first, the fd was closed and the number given to the next open(), which got the
    bytes. Here the write waits on a full terminal buffer (the process never reads) when the
    process exits and its terminal is closed; files opened after the exit must stay empty.
    """
    loop = asyncio.get_running_loop()
    pm = ProcessManager()
    try:
        o = await pm.start(req("sleep 0.3", tmp_path, tty=True), 50, 100)
        assert o.session_id is not None
        workers = min(32, (os.cpu_count() or 1) + 4)  # the default executor's size
        busy = [loop.run_in_executor(None, time.sleep, 1.2) for _ in range(workers)]
        write = asyncio.create_task(pm.write_stdin(o.session_id, "LEAKED\n" * (MB // 7), 3000, 100))
        await asyncio.sleep(0.7)  # the process has exited and its pipes are closed
        files = [open(tmp_path / f"victim{i}", "wb") for i in range(16)]  # noqa: SIM115, ASYNC230
        try:
            await asyncio.gather(*busy)
            await asyncio.wait_for(write, 10)
        finally:
            for f in files:
                f.close()
        assert all((tmp_path / f"victim{i}").read_bytes() == b"" for i in range(16))
    finally:
        await pm.shutdown()
