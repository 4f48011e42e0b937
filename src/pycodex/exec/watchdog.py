"""Process-tree safety: commands never outlive pycodex, and pycodex kills only its own.

- Every command runs in a process group (and session) of its own and carries a tag in its
  environment (`PYCODEX_PROCESS_TAG`): a per-host prefix plus a per-process-manager number.
  Escaped daemons (`setsid cmd &`) inherit the tag, so they can be found wherever they were
  re-parented, and nothing without it (the host's own processes, other sessions') is touched.
- A watchdog process, spawned (never forked) with only its end of a pipe, learns every group;
  when the pipe closes (pycodex exited, even by SIGKILL) it kills those groups and every
  process carrying this host's tag.
- pycodex does not make its host a child subreaper (that would re-parent the host's own
  orphaned daemons to it and leave their zombies in its process table). Tagged processes we
  kill are reaped by whoever is their parent; if the host made itself a subreaper, we reap the
  tagged ones we kill, never anything else. Zombies carry no environment, so an untagged or
  already-dead orphan is never ours to reap.

This module imports only the standard library: it is also the watchdog program
(`python -m pycodex.exec.watchdog FD PREFIX`).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Collection

TAG_VAR = "PYCODEX_PROCESS_TAG"
_TAG_KEY = TAG_VAR.encode() + b"="
KILL_ROUNDS = 4  # a dying daemon may fork once more between a scan and its kill
REAP_WAIT_S = 1.0

_host_prefix: str | None = None
_manager_ids = itertools.count(1)
_prefix_lock = threading.Lock()


def host_prefix() -> str:
    """This process's tag prefix (stable for its lifetime, unique across processes)."""
    global _host_prefix
    with _prefix_lock:
        if _host_prefix is None:
            _host_prefix = f"{os.getpid()}-{secrets.token_hex(6)}"
        return _host_prefix


def new_manager_tag() -> str:
    """A fresh tag for one process manager."""
    return f"{host_prefix()}.{next(_manager_ids)}"


def child_tag_value(tag: str) -> str:
    """The tag variable's value for a command: ours, after any tag we were started with.

    Keeping the inherited tags lets a pycodex that runs inside a pycodex command still have
    its commands found (and killed) by the outer one.
    """
    inherited = os.environ.get(TAG_VAR, "").split()
    return " ".join([*inherited, tag])


# ---- the watchdog client ---------------------------------------------------------------


class Watchdog:
    """A spawned process that kills registered process groups when pycodex goes away."""

    _instance: Watchdog | None = None
    _lock = threading.Lock()  # held while one is spawned: never taken on the event loop

    def __init__(self, groups: set[int]) -> None:
        from pycodex.exec.pyspawn import isolated_python_argv

        r, w = os.pipe()
        # No inherited environment: it would hold the model's API key, readable through
        # /proc/<pid>/environ by anything that may read this process. No tag either: our own
        # sweep must never kill it.
        env = {"PATH": os.environ.get("PATH", os.defpath)}
        try:
            self._proc = subprocess.Popen(
                isolated_python_argv("pycodex.exec.watchdog", str(r), host_prefix()),
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, pass_fds=(r,),
                start_new_session=True, env=env, cwd="/",
            )
        finally:
            os.close(r)
        os.set_blocking(w, False)
        self._w = w
        self._backlog = b""
        self._groups = set(groups)
        self._io_lock = threading.Lock()  # held only for a non-blocking write
        self.pid = self._proc.pid
        self._send(b"".join(f"+{g}\n".encode() for g in self._groups))

    @classmethod
    def get(cls) -> Watchdog:
        """The process-wide watchdog, (re)started on first use; may block briefly (spawn)."""
        with cls._lock:
            old = cls._instance
            if old is not None and old._proc.poll() is None:
                return old
            # A restarted watchdog learns the groups its predecessor was watching.
            cls._instance = Watchdog(old._retire() if old is not None else set())
            return cls._instance

    @classmethod
    def current(cls) -> Watchdog | None:
        """The watchdog if one was started (never starts one)."""
        return cls._instance

    def watch(self, pgid: int) -> None:
        """Kill this group if pycodex dies."""
        with self._io_lock:
            self._groups.add(pgid)
            self._send(f"+{pgid}\n".encode())

    def forget(self, pgid: int) -> None:
        """The group ended normally."""
        with self._io_lock:
            self._groups.discard(pgid)
            self._send(f"-{pgid}\n".encode())

    def _retire(self) -> set[int]:
        with self._io_lock:  # no write may hit the fd number once it is closed
            if self._w >= 0:
                with contextlib.suppress(OSError):
                    os.close(self._w)
                self._w = -1
            return set(self._groups)

    def _send(self, data: bytes) -> None:
        # Never block the caller (often the event loop): a watchdog too slow to drain its
        # pipe gets the rest with the next message.
        if self._w < 0:
            return
        self._backlog += data
        while self._backlog:
            try:
                n = os.write(self._w, self._backlog)
            except BlockingIOError:
                return
            except OSError:
                self._backlog = b""
                return
            self._backlog = self._backlog[n:]


def _after_fork_in_child() -> None:
    # A forked copy of the host must not keep the host's watchdog pipe open (it would outlive
    # the host) nor tag its commands as the host's. Locks may have been held by threads that
    # do not exist here: replace them, never wait on them.
    global _host_prefix, _prefix_lock
    old, Watchdog._instance = Watchdog._instance, None
    if old is not None and old._w >= 0:
        with contextlib.suppress(OSError):
            os.close(old._w)
        old._w = -1
    Watchdog._lock = threading.Lock()
    _prefix_lock = threading.Lock()
    _host_prefix = None


os.register_at_fork(after_in_child=_after_fork_in_child)


# ---- finding and killing tagged processes ----------------------------------------------


def _tags_of(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            environ = f.read()
    except OSError:  # gone, or not ours to read (another user, a setuid program)
        return []
    for entry in environ.split(b"\0"):
        if entry.startswith(_TAG_KEY):
            return entry[len(_TAG_KEY) :].decode("ascii", "replace").split()
    return []


def _parent_of(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return 0
    # Field 4 (ppid) follows the parenthesised command name, which may contain spaces.
    return int(stat[stat.rfind(b")") + 2 :].split()[1])


def tagged_pids(match: Callable[[str], bool], skip: Collection[int]) -> list[int]:
    """Live processes (any parent) carrying a tag that `match` accepts."""
    me = os.getpid()
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    found = []
    for name in entries:
        pid = int(name) if name.isdigit() else me
        if pid != me and pid not in skip and any(match(t) for t in _tags_of(pid)):
            found.append(pid)
    return found


def kill_tagged(match: Callable[[str], bool], skip: Collection[int]) -> int:
    """SIGKILL every process whose tag matches (blocking: run it off the event loop).

    Each candidate is pinned with a pidfd and its tag checked again before the signal, so a
    pid reused by an unrelated process between scan and kill is never hit. Returns how many
    processes were killed.
    """
    killed = 0
    me = os.getpid()
    for _ in range(KILL_ROUNDS):
        ours: list[int] = []  # pidfds of our own children (only if the host is a subreaper)
        pids = tagged_pids(match, skip)
        for pid in pids:
            try:
                pidfd = os.pidfd_open(pid)
            except OSError:
                continue
            keep = False
            try:
                if any(match(t) for t in _tags_of(pid)):
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                    killed += 1
                    keep = _parent_of(pid) == me
            except OSError:
                pass
            if keep:
                ours.append(pidfd)
            else:
                os.close(pidfd)
        for pidfd in ours:
            _reap(pidfd)
        if not pids:
            break
    return killed


def _reap(pidfd: int) -> None:
    try:
        select.select([pidfd], [], [], REAP_WAIT_S)
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitid(os.P_PIDFD, pidfd, os.WEXITED | os.WNOHANG)
    finally:
        os.close(pidfd)


# ---- the watchdog program --------------------------------------------------------------


def _watch(fd: int) -> set[int]:
    groups: set[int] = set()
    buf = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except InterruptedError:
            continue
        if not chunk:
            return groups
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            with contextlib.suppress(ValueError):
                if line.startswith(b"+"):
                    groups.add(int(line[1:]))
                elif line.startswith(b"-"):
                    groups.discard(int(line[1:]))


def main(argv: list[str]) -> int:
    """The watchdog: wait for pycodex to go away, then kill what it left running."""
    fd, prefix = int(argv[0]), argv[1]
    for sig in (signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)  # a terminal hang-up or Ctrl-C is not pycodex dying
    groups = _watch(fd)
    for pgid in groups:
        with contextlib.suppress(OSError):
            os.killpg(pgid, signal.SIGKILL)
    kill_tagged(lambda t: t.startswith(prefix + "."), set())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
