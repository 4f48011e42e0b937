"""Shell snapshots: run the login profile once per session instead of once per command.

A login shell (`bash -lc`) re-reads /etc/profile and ~/.profile on every command, ~100 ms here.
The snapshot runs the profile once and keeps the environment it exports; each command then runs
in a plain `bash -c` with that environment. Nothing is written to disk: a snapshot file in a
writable root (the temp dir) could be rewritten by one sandboxed command and then sourced by
every later one, including commands the user approved to run outside the sandbox.

The profile itself runs inside a read-only sandbox when a backend exists, so a profile file
that a sandboxed command could edit (the workspace is the home directory) cannot act outside
it either. If the snapshot cannot be taken, commands use `-lc` as before.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

SNAPSHOT_TIMEOUT_S = 10
MAX_SNAPSHOT_BYTES = 1 << 20
# Set by the shell for itself; copying them into the next shell would be wrong.
VOLATILE_VARS = frozenset({"PWD", "OLDPWD", "SHLVL", "_"})
SNAPSHOT_SHELLS = ("bash", "zsh", "sh", "dash")


def parse_env0(data: bytes) -> dict[str, str] | None:
    """`env -0` output as a dict; None when it is not NAME=VALUE records (pure)."""
    env: dict[str, str] = {}
    for record in data.split(b"\0"):
        if not record:
            continue
        name, sep, value = record.partition(b"=")
        if not sep or not name:
            return None
        env[name.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
    return env or None


def command_env_from_snapshot(
    snapshot: Mapping[str, str], policy_set: Mapping[str, str], secrets: Iterable[str]
) -> dict[str, str]:
    """The environment a command gets: the profile's exports, the policy's `set`, no secrets."""
    env = {k: v for k, v in snapshot.items() if k not in VOLATILE_VARS}
    env.update(policy_set)
    for name in secrets:  # a profile that exports the API key must not hand it to commands
        env.pop(name, None)
    return env


class ShellSnapshots:
    """Per-session cache of login environments, keyed by shell and base environment."""

    def __init__(self, enabled: bool = True) -> None:
        self._enabled = enabled
        self._cache: dict[str, dict[str, str] | None] = {}
        self._lock = asyncio.Lock()

    async def get(self, shell: str, env: dict[str, str], cwd: Path) -> dict[str, str] | None:
        """The login environment for this shell and environment, taken on first use."""
        if not self._enabled or Path(shell).name not in SNAPSHOT_SHELLS:
            return None
        key = hashlib.sha256(repr((shell, sorted(env.items()))).encode()).hexdigest()
        async with self._lock:
            if key not in self._cache:
                self._cache[key] = await self._take(shell, env, cwd)
            snap = self._cache[key]
            return dict(snap) if snap is not None else None

    async def _take(self, shell: str, env: dict[str, str], cwd: Path) -> dict[str, str] | None:
        argv = await asyncio.to_thread(_confined_argv, [shell, "-lc", "env -0"], cwd)
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv, env=env, cwd=cwd, stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError:
            return None
        try:
            assert proc.stdout is not None
            out = await asyncio.wait_for(proc.stdout.read(MAX_SNAPSHOT_BYTES + 1), SNAPSHOT_TIMEOUT_S)
            await asyncio.wait_for(proc.wait(), SNAPSHOT_TIMEOUT_S)
        except TimeoutError:
            _kill_group(proc.pid)
            await proc.wait()
            return None
        if proc.returncode != 0 or len(out) > MAX_SNAPSHOT_BYTES:
            return None
        return parse_env0(out)


def _confined_argv(argv: list[str], cwd: Path) -> list[str]:
    from pycodex.exec.sandbox.select import SandboxUnavailableError, wrap_command
    from pycodex.protocol.policies import ReadOnly

    try:
        return wrap_command(argv, ReadOnly(), cwd)
    except SandboxUnavailableError:
        return argv  # no backend: the profile runs as `-lc` commands would run it


def _kill_group(pid: int) -> None:
    import signal

    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
