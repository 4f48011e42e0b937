"""ProcessManager: runs commands (pipes or PTY), keeps long-running ones as sessions."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import secrets
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pycodex.exec.buffer import BoundedBuffer
from pycodex.exec.truncate import approx_tokens
from pycodex.exec.watchdog import Watchdog, child_setup, kill_orphans

OnChunk = Callable[[str, bytes], None] | None
MAX_SESSIONS = 64
DRAIN_GRACE_S = 0.25  # after exit: read what is buffered, don't wait for daemons holding the pipe
READ_SIZE = 65536


class UnknownSessionError(Exception):
    """write_stdin named a session that does not exist (or already ended)."""


class TooManySessionsError(Exception):
    """Every session slot holds a running process."""


@dataclass
class SpawnRequest:
    """A final argv (already wrapped by any sandbox) and how to run it."""

    argv: list[str]
    cwd: Path
    env: dict[str, str]
    tty: bool = False


@dataclass
class ExecOutcome:
    """One exec_command / write_stdin answer."""

    chunk_id: str
    wall_time: float
    exit_code: int | None
    session_id: int | None
    output: bytes
    original_token_count: int


@dataclass
class RunResult:
    """A command run to completion (classic shell)."""

    stdout: bytes
    stderr: bytes
    aggregated: bytes
    exit_code: int
    duration: float
    timed_out: bool


@dataclass
class _Proc:
    pid: int
    proc: subprocess.Popen[bytes] | None
    master_fd: int | None
    stdin: asyncio.StreamWriter | None
    stdin_fd: int | None = None
    waiter: asyncio.Task[None] | None = None
    pending: BoundedBuffer = field(default_factory=BoundedBuffer)  # output not yet returned
    stdout: BoundedBuffer = field(default_factory=BoundedBuffer)
    stderr: BoundedBuffer = field(default_factory=BoundedBuffer)
    on_chunk: OnChunk = None
    readers: list[asyncio.Task[None]] = field(default_factory=list)
    exit_code: int | None = None
    exited: asyncio.Event = field(default_factory=asyncio.Event)
    data_event: asyncio.Event = field(default_factory=asyncio.Event)
    started: float = field(default_factory=time.monotonic)

    def feed(self, stream: str, data: bytes) -> None:
        self.pending.add(data)
        (self.stderr if stream == "stderr" else self.stdout).add(data)
        self.data_event.set()
        if self.on_chunk is not None:
            self.on_chunk(stream, data)


def _exit_code(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode


class ProcessManager:
    """Owns every process a session starts; kills them all on interrupt and shutdown."""

    def __init__(self, max_sessions: int = MAX_SESSIONS) -> None:
        self._procs: dict[int, _Proc] = {}
        self._sessions: dict[int, _Proc] = {}
        self._ids = itertools.count(1)
        self._max_sessions = max_sessions
        self._closed = False

    # ---- spawning ----------------------------------------------------------------------
    async def _spawn(self, req: SpawnRequest) -> _Proc:
        if self._closed:
            raise RuntimeError("the process manager is shut down")
        watchdog = Watchdog.get()
        env = {"TERM": "xterm-256color" if req.tty else "dumb", "PAGER": "cat", "GIT_PAGER": "cat", **req.env}
        loop = asyncio.get_running_loop()
        if req.tty:
            master, slave = os.openpty()
            try:
                popen = await asyncio.to_thread(
                    _popen, req, env, slave, slave, slave, True
                )
            finally:
                os.close(slave)
            os.set_blocking(master, False)
            p = _Proc(pid=popen.pid, proc=popen, master_fd=master, stdin=None)
            p.readers.append(loop.create_task(self._read_fd(p, master, "stdout")))
        else:
            popen = await asyncio.to_thread(
                _popen, req, env, subprocess.PIPE, subprocess.PIPE, subprocess.PIPE, False
            )
            assert popen.stdout is not None and popen.stderr is not None and popen.stdin is not None
            p = _Proc(pid=popen.pid, proc=popen, master_fd=None, stdin=None)
            p.stdin_fd = popen.stdin.fileno()
            for stream, name in ((popen.stdout, "stdout"), (popen.stderr, "stderr")):
                os.set_blocking(stream.fileno(), False)
                p.readers.append(loop.create_task(self._read_fd(p, stream.fileno(), name)))
        watchdog.watch(p.pid)
        self._procs[p.pid] = p
        p.waiter = loop.create_task(self._wait_exit(p))
        return p

    async def _read_fd(self, p: _Proc, fd: int, name: str) -> None:
        loop = asyncio.get_running_loop()
        readable = asyncio.Event()
        loop.add_reader(fd, readable.set)
        try:
            while True:
                await readable.wait()
                readable.clear()
                while True:
                    try:
                        data = os.read(fd, READ_SIZE)
                    except BlockingIOError:
                        break
                    except OSError:  # EIO: the terminal's last writer closed it
                        return
                    if not data:
                        return
                    p.feed(name, data)
        finally:
            loop.remove_reader(fd)

    async def _wait_exit(self, p: _Proc) -> None:
        # A pidfd tells us the moment the process exits, even if a daemonised grandchild
        # still holds its pipes open (asyncio's own wait() would block on those pipes).
        loop = asyncio.get_running_loop()
        pidfd = os.pidfd_open(p.pid)
        exited = asyncio.Event()
        loop.add_reader(pidfd, exited.set)
        try:
            await exited.wait()
        finally:
            loop.remove_reader(pidfd)
            os.close(pidfd)
        _, status = os.waitpid(p.pid, os.WNOHANG)  # noqa: ASYNC222 - the pidfd says it exited
        rc = os.waitstatus_to_exitcode(status)
        if p.proc is not None:
            p.proc.returncode = rc
        if p.readers:
            _, pending = await asyncio.wait(p.readers, timeout=DRAIN_GRACE_S)
            for t in pending:
                t.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
        p.exit_code = _exit_code(rc)
        Watchdog.get().forget(p.pid)
        # The group may hold descendants that ignored the shell's exit; they go too.
        with contextlib.suppress(OSError):
            os.killpg(p.pid, signal.SIGKILL)
        _close_all(p)
        self._procs.pop(p.pid, None)
        p.exited.set()
        p.data_event.set()

    # ---- waiting -----------------------------------------------------------------------
    async def _collect(self, p: _Proc, yield_ms: int, started: float) -> ExecOutcome:
        deadline = started + yield_ms / 1000
        while not p.exited.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(p.exited.wait(), remaining)
        output = p.pending.take()
        session_id = None
        if not p.exited.is_set():
            session_id = self._session_id_for(p)
        else:
            self._drop_session(p)
        return ExecOutcome(
            chunk_id=secrets.token_hex(3),
            wall_time=time.monotonic() - started,
            exit_code=p.exit_code,
            session_id=session_id,
            output=output,
            original_token_count=approx_tokens(len(output)),
        )

    def _session_id_for(self, p: _Proc) -> int:
        for sid, q in self._sessions.items():
            if q is p:
                return sid
        if len(self._sessions) >= self._max_sessions:
            raise TooManySessionsError(
                f"{self._max_sessions} commands are already running; stop one with write_stdin "
                "(e.g. send Ctrl-C) before starting another"
            )
        sid = next(self._ids)
        self._sessions[sid] = p
        return sid

    def _drop_session(self, p: _Proc) -> None:
        for sid, q in list(self._sessions.items()):
            if q is p:
                del self._sessions[sid]

    # ---- public API --------------------------------------------------------------------
    async def start(
        self, req: SpawnRequest, yield_time_ms: int, max_output_tokens: int, on_chunk: OnChunk = None
    ) -> ExecOutcome:
        """Start a command; returns at exit or after yield_time_ms with a session id."""
        started = time.monotonic()
        p = await self._spawn(req)
        p.on_chunk = on_chunk
        try:
            return await self._collect(p, yield_time_ms, started)
        except TooManySessionsError:
            await self._kill(p)
            raise

    async def write_stdin(
        self, session_id: int, chars: str, yield_time_ms: int, max_output_tokens: int,
        on_chunk: OnChunk = None,
    ) -> ExecOutcome:
        """Write to a running session (empty chars polls) and return its new output."""
        p = self._sessions.get(session_id)
        if p is None:
            raise UnknownSessionError(f"no running process with session ID {session_id}")
        started = time.monotonic()
        p.on_chunk = on_chunk
        if chars:
            data = chars.encode("utf-8")
            fd = p.master_fd if p.master_fd is not None else p.stdin_fd
            if fd is not None:
                with contextlib.suppress(OSError):
                    await asyncio.to_thread(_write_fd, fd, data)
        if chars and not p.exited.is_set():
            # Give the program a moment to answer before the full wait.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(p.exited.wait(), min(0.05, yield_time_ms / 1000))
        return await self._collect(p, yield_time_ms, started)

    async def run(self, req: SpawnRequest, timeout_ms: int, on_chunk: OnChunk = None) -> RunResult:
        """Run to completion; on timeout kill the group and report exit code 124."""
        started = time.monotonic()
        p = await self._spawn(req)
        p.on_chunk = on_chunk
        if p.stdin_fd is not None and p.proc is not None and p.proc.stdin is not None:
            p.proc.stdin.close()
            p.stdin_fd = None
        timed_out = False
        try:
            await asyncio.wait_for(p.exited.wait(), timeout_ms / 1000)
        except TimeoutError:
            timed_out = True
            await self._kill(p)
        return RunResult(
            stdout=p.stdout.getvalue(),
            stderr=p.stderr.getvalue(),
            aggregated=p.pending.take(),
            exit_code=124 if timed_out else (p.exit_code if p.exit_code is not None else -1),
            duration=time.monotonic() - started,
            timed_out=timed_out,
        )

    async def _kill(self, p: _Proc) -> None:
        with contextlib.suppress(OSError):
            os.killpg(p.pid, signal.SIGKILL)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(p.exited.wait(), 5)

    async def kill_all(self) -> None:
        """Kill every process group, and any escaped descendant (interrupt)."""
        procs = list(self._procs.values())
        for p in procs:
            with contextlib.suppress(OSError):
                os.killpg(p.pid, signal.SIGKILL)
        known = {p.pid for p in procs} | {Watchdog.get().pid}
        await asyncio.to_thread(kill_orphans, known)
        for p in procs:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(p.exited.wait(), 5)
        self._sessions.clear()

    async def shutdown(self) -> None:
        """Kill everything and refuse new work."""
        await self.kill_all()
        self._closed = True


def _write_fd(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
        except BlockingIOError:
            time.sleep(0.01)
            continue
        view = view[n:]


def _popen(
    req: SpawnRequest, env: dict[str, str], stdin: int, stdout: int, stderr: int, tty: bool
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        req.argv, cwd=req.cwd, env=env, stdin=stdin, stdout=stdout, stderr=stderr,
        preexec_fn=lambda: child_setup(tty), close_fds=True,
    )


def _close_all(p: _Proc) -> None:
    if p.master_fd is not None:
        with contextlib.suppress(OSError):
            os.close(p.master_fd)
        p.master_fd = None
    if p.proc is not None:
        for f in (p.proc.stdin, p.proc.stdout, p.proc.stderr):
            if f is not None:
                with contextlib.suppress(OSError):
                    f.close()
    p.stdin_fd = None
