"""Embedding pycodex: it kills only what it started and leaves the host process as it was."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pycodex.exec.manager import ProcessManager, SpawnRequest

ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/tmp"}


def req(cmd: str, tmp: Path, tty: bool = False) -> SpawnRequest:
    return SpawnRequest(["/bin/bash", "-c", cmd], tmp, ENV, tty=tty)


def alive(pid: int) -> bool:
    """Running (a zombie is dead)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2 :].split()[0] != b"Z"


# A daemon started by a command: the command ends once the daemon has its own session (an
# earlier end would kill it with the command's group, before it escaped).
def escaping(seconds: int) -> str:
    return (f"setsid sleep {seconds} >/dev/null 2>&1 </dev/null & d=$!; "
            'until [ "$(ps -o sid= -p $d | tr -d \' \')" = "$d" ]; do sleep 0.01; done; echo $d')


def host_daemon(seconds: int) -> int:
    """A daemon the host starts itself: own session, parent gone (double fork)."""
    out = subprocess.run(
        ["/bin/bash", "-c", f"setsid sleep {seconds} >/dev/null 2>&1 </dev/null & echo $!"],
        capture_output=True, text=True, check=True,
    ).stdout
    return int(out)


def _kill(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        os.waitpid(pid, os.WNOHANG)


async def _eventually(cond: object, limit: float = 3) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if cond():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.05)
    return bool(cond())  # type: ignore[operator]


async def test_the_hosts_daemon_survives_and_our_escaped_daemon_dies(tmp_path: Path) -> None:
    """Bad input tried: the host has its own orphaned daemon in a session of its own while a
    pycodex command leaves an escaped daemon (`setsid sleep &`); pycodex is interrupted."""
    pm = ProcessManager()
    o = await pm.start(req(escaping(62), tmp_path), 3000, 100)
    ours = int(o.output)
    theirs = host_daemon(61)
    try:
        await asyncio.sleep(0.2)  # both are orphans now
        assert alive(ours) and alive(theirs)
        await pm.kill_all()
        assert await _eventually(lambda: not alive(ours))
        await asyncio.sleep(0.2)
        assert alive(theirs), "pycodex killed a process the host started"
    finally:
        await pm.shutdown()
        _kill(theirs)
        _kill(ours)


async def test_one_managers_interrupt_leaves_anothers_commands_alone(tmp_path: Path) -> None:
    """Bad input tried: two sessions in one process; one is interrupted while the other's
    command runs (it must not be killed, nor reaped behind its manager's back)."""
    a, b = ProcessManager(), ProcessManager()
    try:
        oa = await a.start(req("sleep 1; echo finished", tmp_path), 100, 100)
        ob = await b.start(req("sleep 30", tmp_path), 100, 100)
        assert oa.session_id is not None and ob.session_id is not None
        await b.kill_all()
        t0 = time.monotonic()
        oa2 = await a.write_stdin(oa.session_id, "", 5000, 100)
        assert oa2.exit_code == 0 and b"finished" in oa2.output
        assert time.monotonic() - t0 < 2.5
    finally:
        await a.shutdown()
        await b.shutdown()


@pytest.mark.parametrize("tty", [False, True], ids=["pipes", "tty"])
async def test_a_command_survives_the_exit_of_the_thread_that_spawned_it(tmp_path: Path, tty: bool) -> None:
    """Bad input tried: the worker thread that ran Popen exits (its executor is shut down);
    a parent-death signal set from that thread would kill the command then.

    The command still has a process group and session of its own, and on a terminal that
    terminal is its controlling tty: Ctrl-C (\\x03) interrupts the foreground job.
    """
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(1)
    loop.set_default_executor(pool)
    pm = ProcessManager()
    try:
        o = await pm.start(req("echo $$ $(ps -o pgid= -o sid= -p $$); sleep 30", tmp_path, tty), 500, 100)
        assert o.session_id is not None
        pid, pgid, sid = (int(x) for x in o.output.split())
        assert pid == pgid == sid != os.getsid(0)
        pool.shutdown(wait=True)
        loop.set_default_executor(ThreadPoolExecutor(4))
        await asyncio.sleep(0.3)
        o2 = await pm.write_stdin(o.session_id, "", 300, 100)
        assert o2.exit_code is None, "the command died with its spawning thread"
        if tty:
            t0 = time.monotonic()
            o3 = await pm.write_stdin(o.session_id, "\x03", 3000, 100)
            assert o3.exit_code == 130 and time.monotonic() - t0 < 1.5
    finally:
        await pm.shutdown()


async def test_a_child_the_host_reaps_behind_our_back_still_ends_the_call(tmp_path: Path) -> None:
    """Bad input tried: the host itself waitpid()s a command pycodex started."""
    pm = ProcessManager()
    try:
        o = await pm.start(req("echo $$; sleep 0.5", tmp_path), 200, 100)
        assert o.session_id is not None
        pid = int(o.output)
        # Reap it without yielding to the loop, so the host surely wins the race to its status.
        deadline = time.monotonic() + 5
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.01)  # noqa: ASYNC251
        os.waitpid(pid, 0)  # noqa: ASYNC222 - it is a zombie already
        t0 = time.monotonic()
        o2 = await pm.write_stdin(o.session_id, "", 3000, 100)
        assert o2.exit_code is not None and time.monotonic() - t0 < 1
    finally:
        await pm.shutdown()


def _script(body: str, tmp: Path) -> str:
    head = textwrap.dedent(f"""\
        import asyncio, os, select, sys
        from pathlib import Path
        from pycodex.exec.manager import ProcessManager, SpawnRequest
        env = {{"PATH": os.environ["PATH"]}}
        cwd = Path({str(tmp)!r})
        async def main():
    """)
    return head + textwrap.indent(textwrap.dedent(body), "    ") + "asyncio.run(main())\n"


def test_the_watchdog_holds_no_copy_of_the_hosts_files(tmp_path: Path) -> None:
    """Bad input tried: the host has a pipe open when pycodex starts its first command; a
    forked watchdog kept a copy of its write end, so the host never saw end-of-file."""
    script = _script("""
        r, w = os.pipe()
        pm = ProcessManager()
        await pm.start(SpawnRequest(["/bin/true"], cwd, env), 3000, 10)
        os.close(w)
        ready, _, _ = select.select([r], [], [], 2)
        print("eof" if ready and os.read(r, 1) == b"" else "held", flush=True)
        await pm.shutdown()
    """, tmp_path)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert out.stdout.strip() == "eof", out.stderr


def test_an_escaped_daemon_dies_when_pycodex_is_killed_9(tmp_path: Path) -> None:
    """Bad input tried: pycodex is SIGKILLed while a command's `setsid` daemon runs."""
    script = _script(f"""
        pm = ProcessManager()
        o = await pm.start(SpawnRequest(["/bin/bash", "-c", {escaping(781)!r}], cwd, env), 3000, 10)
        print(o.output.decode().strip(), flush=True)
        await asyncio.sleep(1000)
    """, tmp_path)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    daemon = 0
    try:
        assert proc.stdout is not None
        daemon = int(proc.stdout.readline())
        assert alive(daemon)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 5
        while alive(daemon) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(daemon)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if daemon:
            _kill(daemon)
