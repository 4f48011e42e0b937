"""Shell snapshots: run the login profile once per session instead of once per command.

A login shell (`bash -lc`) re-reads /etc/profile and ~/.profile on every command, ~100 ms here.
The snapshot captures what the profile exports, once; each command then runs in a plain
`bash -c` that sources it first. If taking the snapshot fails, commands use `-lc` as before.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from pathlib import Path

SNAPSHOT_TIMEOUT_S = 10


class ShellSnapshots:
    """Per-session cache of environment snapshots, keyed by shell and base environment."""

    def __init__(self, directory: Path | None = None, enabled: bool = True) -> None:
        self._dir = directory
        self._enabled = enabled
        self._cache: dict[str, Path | None] = {}
        self._lock = asyncio.Lock()

    async def get(self, shell: str, env: dict[str, str]) -> Path | None:
        """The snapshot file for this shell and environment, taking it on first use."""
        if not self._enabled or Path(shell).name not in ("bash", "zsh", "sh", "dash"):
            return None
        key = hashlib.sha256(repr((shell, sorted(env.items()))).encode()).hexdigest()[:16]
        async with self._lock:
            if key not in self._cache:
                self._cache[key] = await self._take(shell, env, key)
            return self._cache[key]

    async def _take(self, shell: str, env: dict[str, str], key: str) -> Path | None:
        try:
            proc = await asyncio.create_subprocess_exec(
                shell, "-lc", "export -p", env=env, stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
                start_new_session=True,
            )
            out, _ = await asyncio.wait_for(proc.communicate(), SNAPSHOT_TIMEOUT_S)
        except (OSError, TimeoutError):
            return None
        if proc.returncode != 0 or not out:
            return None
        directory = self._dir or Path(tempfile.gettempdir())
        return await asyncio.to_thread(_write_snapshot, directory, key, out)

    def cleanup(self) -> None:
        """Remove the snapshot files (session end)."""
        for path in self._cache.values():
            if path is not None:
                try:
                    path.unlink()
                except OSError:
                    pass


def _write_snapshot(directory: Path, key: str, data: bytes) -> Path | None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f"pycodex-shell-{key}-", suffix=".sh", dir=directory)
        with os.fdopen(fd, "wb") as f:  # mkstemp: mode 0600, the environment may be private
            f.write(data)
        return Path(name)
    except OSError:
        return None


def snapshot_argv(shell: str, snapshot: Path, script: str) -> list[str]:
    """Run `script` in a non-login shell after restoring the login environment."""
    quoted = "'" + str(snapshot).replace("'", "'\\''") + "'"
    return [shell, "-c", f". {quoted} >/dev/null 2>&1\n{script}"]
