"""A real terminal for end-to-end runs: tmux on a private socket, keys in, screen out."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def need_tmux() -> None:
    """Skip when tmux is missing (scripts/setup-tests.sh installs it)."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed: run scripts/setup-tests.sh")


class Terminal:
    """One tmux server (its own socket) running one program in an 80×24 pane."""

    def __init__(self, tmp: Path, width: int = 80, height: int = 24) -> None:
        self.socket = str(tmp / "tmux.sock")
        self.width, self.height = width, height

    def _tmux(self, *args: str) -> str:
        out = subprocess.run(["tmux", "-S", self.socket, *args], capture_output=True, text=True,
                             timeout=10, check=False)
        return out.stdout

    def start(self, argv: list[str], cwd: Path, env: dict[str, str]) -> None:
        """Run argv in the pane; the pane stays after it exits (to read what it printed)."""
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        cmd = f"cd {shlex.quote(str(cwd))} && env {exports} {shlex.join(argv)}; echo EXITED=$?"
        subprocess.run(["tmux", "-S", self.socket, "-f", "/dev/null", "new-session", "-d",
                        "-x", str(self.width), "-y", str(self.height), "sh", "-c",
                        cmd + "; sleep 600"], check=True, timeout=10)

    def keys(self, *keys: str) -> None:
        """send-keys: tmux key names (Enter, Escape, C-c) or literal text with literal=True."""
        self._tmux("send-keys", "-t", "0", *keys)

    def type(self, text: str) -> None:
        """Type literal text."""
        self._tmux("send-keys", "-t", "0", "-l", text)

    def screen(self) -> str:
        """What the pane shows now."""
        return self._tmux("capture-pane", "-p", "-t", "0")

    def scrollback(self) -> str:
        """The pane with its scrollback."""
        return self._tmux("capture-pane", "-p", "-S", "-200", "-t", "0")

    def wait_for(self, text: str, timeout: float = 15.0) -> str:
        """Poll the screen until it shows text; the screen is returned."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared; the screen:\n{screen}")
            time.sleep(0.05)

    def close(self) -> None:
        """Kill the tmux server (and whatever still runs in it)."""
        self._tmux("kill-server")


def pycodex_argv(*args: str) -> list[str]:
    """`pycodex ARGS` from this checkout."""
    return [sys.executable, "-m", "pycodex.cli.main", *args]


def pycodex_env(home: Path) -> dict[str, str]:
    """The environment a pycodex under test needs."""
    return {"PYCODEX_HOME": str(home), "MOCK_API_KEY": "test-key", "TERM": "xterm-256color",
            "PYTHONPATH": str(ROOT / "src"), "PATH": os.environ.get("PATH", "")}


def pgrep(pattern: str) -> list[str]:
    """Processes whose command line contains pattern (not pgrep, not the pane's own shell)."""
    out = subprocess.run(["pgrep", "-af", pattern], capture_output=True, text=True, check=False)
    return [line for line in out.stdout.splitlines()
            if "pgrep" not in line and "EXITED=" not in line]
