"""Process-tree safety: commands never outlive pycodex.

- Each command gets PR_SET_PDEATHSIG (its shell dies with us) and its own process group.
- A forked watchdog learns every group over a pipe; when the pipe closes (pycodex died, even
  by SIGKILL) it kills every group it knows.
- pycodex is a child subreaper, so processes that escape their group (setsid daemons) are
  re-parented to us while we live and can be found and killed on interrupt/shutdown.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import threading

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36

_libc: ctypes.CDLL | None = None


def _prctl(option: int, arg: int) -> int:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    result: int = _libc.prctl(option, arg, 0, 0, 0)
    return result


def child_setup(tty: bool) -> None:
    """Runs in the child before exec: own session, die with the parent, controlling tty."""
    os.setsid()
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if tty:
        import fcntl
        import termios

        with contextlib.suppress(OSError):
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Watchdog:
    """A forked process that kills registered process groups when pycodex goes away."""

    _instance: Watchdog | None = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the watchdog: only os calls from here on
            try:
                os.close(w)
                os.setsid()
                _watch(r)
            finally:
                os._exit(0)
        os.close(r)
        os.set_inheritable(w, False)
        self._w = w
        self.pid = pid

    @classmethod
    def get(cls) -> Watchdog:
        """The process-wide watchdog, started on first use."""
        with cls._lock:
            if cls._instance is None or not cls._instance._alive():
                cls._instance = Watchdog()
                with contextlib.suppress(OSError):
                    _prctl(PR_SET_CHILD_SUBREAPER, 1)
            return cls._instance

    def _alive(self) -> bool:
        try:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
            return pid == 0
        except ChildProcessError:
            return False

    def watch(self, pgid: int) -> None:
        """Kill this group if pycodex dies."""
        with contextlib.suppress(OSError):
            os.write(self._w, f"+{pgid}\n".encode())

    def forget(self, pgid: int) -> None:
        """The group ended normally."""
        with contextlib.suppress(OSError):
            os.write(self._w, f"-{pgid}\n".encode())


def _watch(fd: int) -> None:
    groups: set[int] = set()
    buf = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except InterruptedError:
            continue
        if not chunk:
            break
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            if line.startswith(b"+"):
                groups.add(int(line[1:]))
            elif line.startswith(b"-"):
                groups.discard(int(line[1:]))
    for pgid in groups:
        with contextlib.suppress(OSError):
            os.killpg(pgid, signal.SIGKILL)


def adopted_orphans(known: set[int]) -> list[int]:
    """Our direct children we did not start: escaped daemons re-parented to us."""
    me = os.getpid()
    my_sid = os.getsid(0)
    found: list[int] = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    for name in entries:
        if not name.isdigit():
            continue
        pid = int(name)
        if pid in known:
            continue
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # Field 4 (ppid) follows the parenthesised command name, which may contain spaces.
        rest = stat[stat.rfind(b")") + 2 :].split()
        # Only re-parented processes in a session of their own: never the caller's helpers.
        if len(rest) > 3 and int(rest[1]) == me and int(rest[3]) != my_sid:
            found.append(pid)
    return found


def kill_orphans(known: set[int]) -> None:
    """Kill and reap escaped descendants (their whole groups)."""
    for pid in adopted_orphans(known):
        with contextlib.suppress(OSError):
            os.killpg(os.getpgid(pid), signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, 0)
