"""`pycodex mcp-server` as a real subprocess, driven by the `mcp` SDK's stdio client."""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mcp_types as types
from mcp.client.client import Client
from mcp.client.extension import ClientExtension, NotificationBinding
from mcp.client.stdio import StdioServerParameters
from pydantic import BaseModel, ConfigDict

from tests.e2e.helpers import write_config

# Full access, so commands run without a sandbox backend; /tmp kept out of the writable roots.
NO_SANDBOX = {"sandbox": "danger-full-access"}


class EventParams(BaseModel):
    """`codex/event` params, every field kept."""

    model_config = ConfigDict(extra="allow")


@dataclass
class Recorder:
    """What the client saw: `codex/event` notifications and elicitation requests."""

    events: list[dict[str, Any]] = field(default_factory=list)
    elicitations: list[dict[str, Any]] = field(default_factory=list)

    def msgs(self, kind: str) -> list[dict[str, Any]]:
        """The `msg` of every event of one type."""
        return [e["msg"] for e in self.events if e["msg"]["type"] == kind]


class CodexEvents(ClientExtension):
    """Delivers the server's `codex/event` notifications to a recorder."""

    identifier = "com.example/codex-events"

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def notifications(self) -> list[NotificationBinding[Any]]:
        async def handle(params: EventParams) -> None:
            self.recorder.events.append(params.model_dump(by_alias=True))

        return [NotificationBinding(method="codex/event", params_type=EventParams, handler=handle)]


Answer = Callable[[dict[str, Any]], Awaitable[types.ElicitResult | types.ErrorData]]


def setup_home(tmp: Path, base_url: str) -> tuple[Path, Path]:
    """A PYCODEX_HOME configured for the scripted server, and a workspace."""
    home, ws = tmp / "home", tmp / "ws"
    write_config(home, base_url)
    ws.mkdir(exist_ok=True)
    return home, ws


def server_params(home: Path, ws: Path, *args: str) -> StdioServerParameters:
    """How the client starts the server: `python -m pycodex.cli.main mcp-server`."""
    env = {**os.environ, "PYCODEX_HOME": str(home), "MOCK_API_KEY": "test-key"}
    return StdioServerParameters(command=sys.executable, args=["-m", "pycodex.cli.main", "mcp-server", *args],
                                 env=env, cwd=str(ws))


@asynccontextmanager
async def connect(home: Path, ws: Path, recorder: Recorder, answer: Answer | None = None,
                  *args: str) -> AsyncIterator[Client]:
    """A connected SDK client; `answer` handles elicitation requests (and records them)."""

    async def on_elicit(ctx: Any, params: types.ElicitRequestParams) -> types.ElicitResult | types.ErrorData:
        recorder.elicitations.append(params.model_dump(by_alias=True))
        if answer is None:
            return types.ElicitResult(action="decline")
        return await answer(params.model_dump(by_alias=True))

    async with Client(server_params(home, ws, *args), extensions=[CodexEvents(recorder)],
                      elicitation_callback=on_elicit if answer is not None else None) as client:
        yield client


def text_of(result: types.CallToolResult) -> str:
    """The text content of a tool result."""
    return "".join(c.text for c in result.content if isinstance(c, types.TextContent))


class RawServer:
    """The server spoken to one JSON-RPC line at a time: for answers the SDK's types would refuse
    (Codex clients' `{"decision": ...}`, garbage) and for watching the process itself."""

    def __init__(self, home: Path, ws: Path, *args: str) -> None:
        import subprocess

        p = server_params(home, ws, *args)
        self.proc = subprocess.Popen([p.command, *p.args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, cwd=p.cwd, env=p.env)
        self.received: list[dict[str, Any]] = []
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._next = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            msg = json.loads(raw)  # stdout carries protocol messages only
            self.received.append(msg)
            self._queue.put(msg)
        self._queue.put(None)

    def send(self, msg: dict[str, Any]) -> None:
        """One message, as one line."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"jsonrpc": "2.0", **msg}).encode() + b"\n")
        self.proc.stdin.flush()

    def request(self, method: str, params: dict[str, Any]) -> int:
        """Send a request; returns its id."""
        self._next += 1
        self.send({"id": self._next, "method": method, "params": params})
        return self._next

    def initialize(self) -> dict[str, Any]:
        """The handshake, declaring elicitation support."""
        rid = self.request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {"elicitation": {}},
                                          "clientInfo": {"name": "raw", "version": "1"}})
        answer = self.wait(lambda m: m.get("id") == rid and "method" not in m)
        self.send({"method": "notifications/initialized"})
        return answer

    def wait(self, pred: Callable[[dict[str, Any]], bool], timeout: float = 30) -> dict[str, Any]:
        """The next message (received or still to come) that matches and was not taken yet."""
        for msg in self.received:
            if not msg.get("_taken") and pred(msg):
                msg["_taken"] = True
                return msg
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if msg is None:
                raise EOFError("the server closed stdout")
            if not msg.get("_taken") and pred(msg):
                msg["_taken"] = True
                return msg
        raise TimeoutError(f"no matching message in {timeout}s; last: {self.received[-3:]}")

    def response(self, rid: int, timeout: float = 60) -> dict[str, Any]:
        """The answer to request `rid`."""
        return self.wait(lambda m: m.get("id") == rid and "method" not in m, timeout)

    def close_stdin(self) -> None:
        """The client goes away."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()

    def stderr(self) -> str:
        """What the server logged (after it exited)."""
        assert self.proc.stderr is not None
        return self.proc.stderr.read().decode()
