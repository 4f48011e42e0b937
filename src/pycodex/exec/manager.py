"""ProcessManager: runs commands (pipes or PTY), keeps long-running ones as sessions."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
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
from pycodex.exec.watchdog import TAG_VAR, Watchdog, child_tag_value, kill_tagged, new_manager_tag

log = logging.getLogger(__name__)

OnChunk = Callable[[str, bytes], None] | None
MAX_SESSIONS = 64
DRAIN_GRACE_S = 0.25  # after exit: read what is buffered, don't wait for daemons holding the pipe
KILL_WAIT_S = 5.0
READ_SIZE = 65536
UNKNOWN_EXIT = -1  # the host reaped our child itself: its status is lost
# A session leader without a terminal that opens one (without O_NOCTTY) makes it its
# controlling tty; the shell then execs the command, keeping the pid.
_CTTY_SCRIPT = 'exec "$@" <>"$0" >&0 2>&0'


class UnknownSessionError(Exception):
    """write_stdin named a session that does not exist (or already ended)."""


class StdinClosedError(Exception):
    """write_stdin sent input to a command started without a terminal (it has no input)."""


STDIN_CLOSED = "stdin is closed for this session; rerun exec_command with tty=true to keep stdin open"


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
    note: str | None = None  # e.g. stdin bytes that were dropped because nobody read them


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
    master_fd: int | None  # a terminal's controlling side: the only way input reaches a process
    stdin: asyncio.StreamWriter | None
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
    reaped: bool = False  # once true the pid may belong to someone else: never signal it
    write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    write_wake: asyncio.Event | None = None  # set while a write waits for the fd
    owner: object | None = None  # what the process belongs to (the tool call that started it)
    on_exit: Callable[[int], None] | None = None  # told the exit code unless we killed it
    killed: bool = False  # the manager killed it (interrupt, shutdown, timeout)

    @property
    def input_fd(self) -> int | None:
        """Where stdin writes go (the terminal); None without one, or once closed."""
        return self.master_fd

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
        self._tag = new_manager_tag()  # marks every process this manager starts

    # ---- spawning ----------------------------------------------------------------------
    async def _spawn(self, req: SpawnRequest) -> _Proc:
        if self._closed:
            raise RuntimeError("the process manager is shut down")
        env = {"TERM": "xterm-256color" if req.tty else "dumb", "PAGER": "cat", "GIT_PAGER": "cat", **req.env}
        env[TAG_VAR] = child_tag_value(self._tag)
        loop = asyncio.get_running_loop()
        if req.tty:
            master, slave = os.openpty()
            try:
                argv = ["/bin/sh", "-c", _CTTY_SCRIPT, os.ttyname(slave), *req.argv]
                popen, watchdog = await asyncio.to_thread(_popen, argv, req, env, slave, slave, slave)
            except BaseException:
                os.close(master)
                raise
            finally:
                os.close(slave)
            os.set_blocking(master, False)
            p = _Proc(pid=popen.pid, proc=popen, master_fd=master, stdin=None)
            p.readers.append(loop.create_task(self._read_fd(p, master, "stdout")))
        else:
            # As Codex: a command without a terminal gets no input (a program that asks for
            # some reads end-of-file at once instead of waiting for ever); write_stdin needs tty.
            pipe = subprocess.PIPE
            popen, watchdog = await asyncio.to_thread(
                _popen, req.argv, req, env, subprocess.DEVNULL, pipe, pipe)
            assert popen.stdout is not None and popen.stderr is not None
            p = _Proc(pid=popen.pid, proc=popen, master_fd=None, stdin=None)
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
        rc: int | None = None
        try:
            if await _until_exit(p.pid):
                # The group may hold descendants that ignored the shell's exit; they go too.
                # Its leader is an unreaped zombie now, so the group id cannot be reused yet.
                with contextlib.suppress(OSError):
                    os.killpg(p.pid, signal.SIGKILL)
                rc = _reap(p.pid)
        except Exception as e:  # never leave a caller waiting on a process we lost track of
            log.warning("lost track of process %d: %s", p.pid, e)
        p.reaped = True
        self._procs.pop(p.pid, None)
        if p.proc is not None:  # so Popen never waits on (a possibly reused) pid itself
            p.proc.returncode = rc if rc is not None else UNKNOWN_EXIT
        watchdog = Watchdog.current()
        if watchdog is not None:
            watchdog.forget(p.pid)
        if p.readers:
            _, pending = await asyncio.wait(p.readers, timeout=DRAIN_GRACE_S)
            for t in pending:
                t.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
        p.exit_code = _exit_code(rc) if rc is not None else UNKNOWN_EXIT
        _close_all(p)
        if p.on_exit is not None and not p.killed:
            try:
                p.on_exit(p.exit_code)
            except Exception:  # a listener's failure must not leave waiters hanging
                log.exception("exit listener of process %d failed", p.pid)
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
        self, req: SpawnRequest, yield_time_ms: int, max_output_tokens: int, on_chunk: OnChunk = None,
        owner: object | None = None,
    ) -> ExecOutcome:
        """Start a command; returns at exit or after yield_time_ms with a session id.

        The manager is the one registry of running sessions: `owner` (the call that started
        the process) stays with it until it exits or is killed; see `session_owner`.
        """
        started = time.monotonic()
        p = await self._spawn(req)
        p.on_chunk = on_chunk
        p.owner = owner
        try:
            return await self._collect(p, yield_time_ms, started)
        except TooManySessionsError:
            await self._kill(p)
            raise

    def on_session_exit(self, session_id: int, listener: Callable[[int], None]) -> None:
        """Call `listener(exit_code)` when this running session exits by itself (never if killed)."""
        p = self._sessions.get(session_id)
        if p is None:
            return
        if p.exited.is_set():
            if not p.killed and p.exit_code is not None:
                listener(p.exit_code)
            return
        p.on_exit = listener

    def accepts_input(self, session_id: int) -> bool:
        """Whether input can reach this running session (it was started with a terminal)."""
        p = self._sessions.get(session_id)
        return p is not None and p.master_fd is not None

    def session_owner(self, session_id: int) -> object | None:
        """The owner given to `start` for a still-running session, else None."""
        p = self._sessions.get(session_id)
        return p.owner if p is not None else None

    async def write_stdin(
        self, session_id: int, chars: str, yield_time_ms: int, max_output_tokens: int,
        on_chunk: OnChunk = None,
    ) -> ExecOutcome:
        """Write to a running session (empty chars polls) and return its new output."""
        p = self._sessions.get(session_id)
        if p is None:
            raise UnknownSessionError(f"Unknown process id {session_id}")
        if chars and p.master_fd is None and not p.exited.is_set():
            raise StdinClosedError(STDIN_CLOSED)
        started = time.monotonic()
        deadline = started + yield_time_ms / 1000
        p.on_chunk = on_chunk
        note = None
        if chars:
            note = await _write_input(p, chars.encode("utf-8"), deadline)
        if chars and not p.exited.is_set():
            # Give the program a moment to answer before the full wait.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(p.exited.wait(), max(0.0, min(0.05, deadline - time.monotonic())))
        outcome = await self._collect(p, yield_time_ms, started)
        outcome.note = note
        return outcome

    async def run(self, req: SpawnRequest, timeout_ms: int, on_chunk: OnChunk = None) -> RunResult:
        """Run to completion; on timeout kill the group and report exit code 124."""
        started = time.monotonic()
        p = await self._spawn(req)
        p.on_chunk = on_chunk
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
        _kill_group(p)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(p.exited.wait(), KILL_WAIT_S)

    async def kill_all(self) -> None:
        """Kill every process group, and every escaped descendant carrying our tag (interrupt)."""
        procs = list(self._procs.values())
        for p in procs:
            _kill_group(p)
        tag = self._tag
        # Our direct children are reaped by their own waiters (a live view: the sweep runs in
        # a thread while commands may still start); it finds and kills the rest.
        await asyncio.to_thread(kill_tagged, lambda t: t == tag, self._procs.keys())
        await asyncio.gather(*(self._kill(p) for p in procs))
        self._sessions.clear()

    async def shutdown(self) -> None:
        """Kill everything and refuse new work."""
        await self.kill_all()
        self._closed = True


async def _write_input(p: _Proc, data: bytes, deadline: float) -> str | None:
    """Write what the process accepts before the deadline; a note if any bytes were dropped.

    Writes happen on the event loop with the fd non-blocking, so a process that does not read
    costs at most the call's yield time; bytes it has not taken by then are dropped (the model
    is told), never queued behind its back. The fd is looked up again after every wait: once
    the process has exited it is closed and its number may belong to another file.
    """
    view = memoryview(data)
    done = 0
    reason = None
    async with p.write_lock:  # two writers must not interleave their bytes
        while done < len(view):
            fd = p.input_fd
            if fd is None:
                reason = "the process has exited"
                break
            try:
                done += os.write(fd, view[done:])
                continue
            except BlockingIOError:
                pass
            except OSError:  # EPIPE: nobody holds the reading end; EIO: the terminal is gone
                reason = "the process closed its input"
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                reason = "the process is not reading its input"
                break
            await _wait_writable(p, fd, remaining)
    if reason is None:
        return None
    return f"[stdin: wrote {done} of {len(view)} bytes; {reason}, so the rest was dropped]"


async def _wait_writable(p: _Proc, fd: int, limit_s: float) -> None:
    loop = asyncio.get_running_loop()
    wake = p.write_wake = asyncio.Event()
    loop.add_writer(fd, wake.set)
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), limit_s)
    finally:
        p.write_wake = None
        if p.input_fd == fd:  # else _close_all already unregistered it before closing
            loop.remove_writer(fd)


async def _until_exit(pid: int) -> bool:
    """Wait for our child to exit; False if it was already reaped (by the host, behind our back)."""
    # A pidfd tells us the moment the process exits, even if a daemonised grandchild still
    # holds its pipes open (asyncio's own wait() would block on those pipes).
    loop = asyncio.get_running_loop()
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        log.warning("process %d was reaped by someone else; its exit status is unknown", pid)
        return False
    exited = asyncio.Event()
    loop.add_reader(pidfd, exited.set)
    try:
        await exited.wait()
    finally:
        loop.remove_reader(pidfd)
        os.close(pidfd)
    return True


def _reap(pid: int) -> int | None:
    """The exit status of our exited child; None if someone else reaped it."""
    try:
        got, status = os.waitpid(pid, os.WNOHANG)  # the pidfd says it exited: never blocks
    except ChildProcessError:
        log.warning("process %d was reaped by someone else; its exit status is unknown", pid)
        return None
    return os.waitstatus_to_exitcode(status) if got else None


def _kill_group(p: _Proc) -> None:
    p.killed = True
    if not p.reaped:  # a reaped pid (and group id) may be reused by now
        with contextlib.suppress(OSError):
            os.killpg(p.pid, signal.SIGKILL)


def _popen(
    argv: list[str], req: SpawnRequest, env: dict[str, str], stdin: int, stdout: int, stderr: int
) -> tuple[subprocess.Popen[bytes], Watchdog]:
    # Runs in a worker thread: no preexec_fn (Python in a forked child of a threaded process
    # can deadlock) and no parent-death signal (it would fire when this thread exits).
    watchdog = Watchdog.get()
    popen = subprocess.Popen(
        argv, cwd=req.cwd, env=env, stdin=stdin, stdout=stdout, stderr=stderr,
        start_new_session=True, close_fds=True,
    )
    return popen, watchdog


def _close_all(p: _Proc) -> None:
    fd = p.input_fd
    if fd is not None and p.write_wake is not None:
        # Unregister before closing: the number may be reused by the next open().
        asyncio.get_running_loop().remove_writer(fd)
        p.write_wake.set()
    if p.master_fd is not None:
        with contextlib.suppress(OSError):
            os.close(p.master_fd)
        p.master_fd = None
    if p.proc is not None:
        for f in (p.proc.stdout, p.proc.stderr):
            if f is not None:
                with contextlib.suppress(OSError):
                    f.close()
