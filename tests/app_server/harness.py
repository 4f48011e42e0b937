"""Running `pycodex app-server` for real: a raw line client, and the official SDK's config."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from tests.e2e.helpers import write_config

HERE = Path(__file__).parent
TAPPED = HERE / "pycodex-tapped.sh"


def server_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a server: its own PYCODEX_HOME and the mock provider's key."""
    return {**os.environ, "PYCODEX_HOME": str(home), "MOCK_API_KEY": "test-key", **extra}


def setup_home(tmp: Path, base_url: str, extra: str = "") -> tuple[Path, Path]:
    """A PYCODEX_HOME configured for the scripted server, and a workspace."""
    home, ws = tmp / "home", tmp / "ws"
    write_config(home, base_url, extra=extra)
    ws.mkdir(exist_ok=True)
    return home, ws


class RawClient:
    """`pycodex app-server` as a subprocess, spoken to one JSON line at a time."""

    def __init__(self, home: Path, cwd: Path, args: tuple[str, ...] = (), env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pycodex.cli.main", *args, "app-server", "--listen", "stdio://"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd,
            env=env or server_env(home),
        )
        self.sent: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []
        self.raw_stdout: list[bytes] = []
        self._lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.raw_stdout.append(raw)
            msg = json.loads(raw)  # anything that is not JSON fails here: stdout is protocol only
            self.received.append(msg)
            self._lines.put(msg)
        self._lines.put(None)

    def write_line(self, line: str | bytes) -> None:
        """Send raw bytes as one line."""
        assert self.proc.stdin is not None
        data = line.encode() if isinstance(line, str) else line
        self.proc.stdin.write(data + b"\n")
        self.proc.stdin.flush()

    def send(self, msg: dict[str, Any]) -> None:
        """Send one message."""
        self.sent.append(msg)
        self.write_line(json.dumps(msg))

    def request(self, method: str, params: Any = None, timeout: float = 30) -> dict[str, Any]:
        """Send a request and wait for its answer (notifications meanwhile are kept)."""
        self._next_id += 1
        rid = f"r{self._next_id}"
        msg: dict[str, Any] = {"id": rid, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)
        return self.wait_for(lambda m: m.get("id") == rid and "method" not in m, timeout)

    def initialize(self) -> dict[str, Any]:
        """The handshake."""
        answer = self.request("initialize", {"clientInfo": {"name": "raw_test", "version": "1.0"}})
        self.send({"method": "initialized"})
        return answer

    def wait_for(self, pred: Any, timeout: float = 30) -> dict[str, Any]:
        """The first message (already received or still to come) that matches."""
        for msg in list(self.received):
            if pred(msg) and not msg.get("_seen"):
                msg["_seen"] = True
                return msg
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no matching message in {timeout}s; got {self.received[-5:]}")
            try:
                msg = self._lines.get(timeout=left)
            except queue.Empty:
                continue
            if msg is None:
                raise EOFError(f"server closed stdout; stderr: {self.stderr()}")
            if pred(msg) and not msg.get("_seen"):
                msg["_seen"] = True
                return msg

    def notification(self, method: str, timeout: float = 30) -> dict[str, Any]:
        """The next notification of this method."""
        return self.wait_for(lambda m: m.get("method") == method and "id" not in m, timeout)

    def close_stdin(self) -> None:
        """End of input, as a client that goes away."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()

    def wait(self, timeout: float = 20) -> int:
        """The exit code."""
        return self.proc.wait(timeout=timeout)

    def stderr(self) -> str:
        """What the server logged (once it has exited)."""
        if self.proc.poll() is None:
            return "<still running>"
        assert self.proc.stderr is not None
        return self.proc.stderr.read().decode(errors="replace")

    def messages(self) -> list[dict[str, Any]]:
        """Everything received, without our bookkeeping."""
        return [{k: v for k, v in m.items() if k != "_seen"} for m in self.received]

    def kill(self) -> None:
        """Stop the server if it still runs."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def require_sdk() -> Any:
    """The official SDK module; skipped where it is missing, but a failure in CI (which installs it)."""
    import pytest

    if os.environ.get("CI"):
        import openai_codex

        return openai_codex
    return pytest.importorskip("openai_codex", reason="scripts/setup-tests.sh installs openai-codex==0.163.0")


def sdk_config(home: Path, ws: Path, tap: Path, **env: str) -> Any:
    """CodexConfig for the official SDK: pycodex as codex_bin, both directions of the wire
    copied to `tap.in` / `tap.out` for schema checks."""
    from openai_codex import CodexConfig

    full_env = {"PYCODEX_HOME": str(home), "MOCK_API_KEY": "test-key", "PYCODEX_PYTHON": sys.executable,
                "PYCODEX_TAP": str(tap), **env}
    return CodexConfig(codex_bin=str(TAPPED), env=full_env, cwd=str(ws))


def tapped(tap: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """What the SDK sent and what the server sent, from the tap files."""
    for suffix in (".in", ".out"):  # tee may still be writing the last line it passed on
        _settle(Path(f"{tap}{suffix}"))

    def load(p: Path) -> list[dict[str, Any]]:
        return [json.loads(line) for line in p.read_text().splitlines() if line.strip()] if p.exists() else []
    return load(Path(f"{tap}.in")), load(Path(f"{tap}.out"))


def _settle(path: Path, quiet: float = 0.1, limit: float = 3.0) -> None:
    deadline, last = time.monotonic() + limit, -1
    while time.monotonic() < deadline:
        size = path.stat().st_size if path.exists() else 0
        if size == last:
            return
        last = size
        time.sleep(quiet)


def start_review(client: Any, thread_id: str, target: dict[str, Any]) -> Any:
    """review/start through the SDK's CodexClient, routed as the SDK routes turn/start (the SDK
    has the generated types but no method for it): the turn's handle."""
    from openai_codex.api import TurnHandle
    from openai_codex.generated.v2_all import ReviewStartResponse

    with client._router.pending_turn(thread_id) as cursors:
        started = client.request("review/start", {"threadId": thread_id, "target": target},
                                 response_model=ReviewStartResponse)
        sub = client._router.prepare_turn(started.turn.id, thread_id, cursors, for_handle=True)
    assert started.review_thread_id == thread_id
    return TurnHandle(client, thread_id, started.turn.id, _subscription=sub)
