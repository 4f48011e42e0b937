"""The MCP connection manager (a `SessionServices` member): every configured server of a
session, started together, called by name, restarted once after a crash, stopped with the
session.

Servers start concurrently as the session starts; the session waits for them (each within its
own `startup_timeout_sec`) only before it records its first context, so a slow server delays
the first model request by at most its own start, never by the sum. A server that fails is
reported once and left out, unless it is `required`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mcp_types
from mcp.shared.dispatcher import ProgressFnT

from pycodex.config.mcp import HttpTransport, McpServerConfig
from pycodex.mcp.catalog import McpTool, with_model_names
from pycodex.mcp.connection import McpCallError, McpConnection, McpStartError
from pycodex.mcp.names import NAMESPACE_PREFIX

log = logging.getLogger(__name__)

RESTARTS_PER_SERVER = 1  # after a crash, the next call restarts the server once


@dataclass(frozen=True)
class StartupFailure:
    """A server that did not start, and the one line that says why."""

    server: str
    message: str
    required: bool


class McpConnectionManager:
    """All MCP servers of one session."""

    def __init__(self, servers: Mapping[str, McpServerConfig], env: Mapping[str, str], cwd: Path) -> None:
        self._configs = {name: cfg for name, cfg in sorted(servers.items()) if cfg.enabled}
        self._env = dict(env)
        self._cwd = cwd
        self._conns: dict[str, McpConnection] = {}
        self._restarts: dict[str, int] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._startup: asyncio.Task[None] | None = None
        self._tools: list[McpTool] = []
        self._closed = False
        # Tools the user approved for the rest of the session ("Approve this Session").
        self._approved: set[tuple[str, str]] = set()
        self.failures: list[StartupFailure] = []

    def start(self) -> None:
        """Start every enabled server in the background (see `wait_ready`)."""
        if self._startup is None:
            self._startup = asyncio.create_task(self._start_all(), name="mcp-startup")

    async def wait_ready(self) -> list[StartupFailure]:
        """Wait until every server has started or failed; the failures, in name order."""
        self.start()
        assert self._startup is not None
        await asyncio.shield(self._startup)
        return list(self.failures)

    async def _start_all(self) -> None:
        names = list(self._configs)
        results = await asyncio.gather(*(self._start_one(n) for n in names), return_exceptions=True)
        for name, outcome in zip(names, results, strict=True):
            if isinstance(outcome, BaseException):
                cfg = self._configs[name]
                self.failures.append(StartupFailure(name, str(outcome), cfg.required))
        self._tools = with_model_names(
            _tool(name, t) for name, conn in self._conns.items() for t in conn.tools
            if self._configs[name].uses_tool(t.name)
        )

    async def _start_one(self, name: str) -> None:
        conn = McpConnection(self._configs[name], self._env, self._cwd)
        try:
            await conn.start()
        except McpStartError:
            await conn.close()
            raise
        except Exception as e:  # anything unforeseen still names the server
            await conn.close()
            raise McpStartError(f"MCP server `{name}` failed to start: {e}") from e
        if self._closed:
            await conn.close()
            return
        self._conns[name] = conn

    # ---- what the model is offered ------------------------------------------------------

    def tools(self) -> list[McpTool]:
        """The tools of the servers that started, sorted by server and name."""
        return list(self._tools)

    def servers(self) -> list[tuple[str, str | None]]:
        """(name, instructions) of every server that started."""
        return [(name, conn.instructions) for name, conn in sorted(self._conns.items())]

    def find(self, server: str, tool: str) -> McpTool | None:
        """A tool by its server's name and its own name."""
        return next((t for t in self._tools if t.server == server and t.name == tool), None)

    # ---- calls ----------------------------------------------------------------------------

    async def call(
        self, server: str, tool: str, arguments: dict[str, Any] | None, progress: ProgressFnT | None = None
    ) -> mcp_types.CallToolResult:
        """Call a tool; McpCallError when no result came back (the message says why)."""
        conn = await self._connection(server)
        try:
            return await conn.call(tool, arguments, progress)
        except McpCallError as e:
            if e.kind == "closed":
                await conn.close()
                left = RESTARTS_PER_SERVER - self._restarts.get(server, 0)
                then = "it will be restarted for the next call" if left > 0 else "it is not restarted again"
                raise McpCallError("closed", f"{e}; {then}") from None
            raise

    async def _connection(self, server: str) -> McpConnection:
        lock = self._locks.setdefault(server, asyncio.Lock())
        async with lock:  # concurrent calls after a crash restart the server once
            conn = self._conns.get(server)
            if conn is None:
                raise McpCallError("error", f"no MCP server `{server}` is running")
            if conn.alive:
                return conn
            if self._restarts.get(server, 0) >= RESTARTS_PER_SERVER or self._closed:
                raise McpCallError(
                    "closed", f"MCP server `{server}` exited and was already restarted once; "
                    "it is not restarted again in this session"
                )
            self._restarts[server] = self._restarts.get(server, 0) + 1
            await conn.close()
            fresh = McpConnection(self._configs[server], self._env, self._cwd)
            try:
                await fresh.start()
            except Exception as e:
                await fresh.close()
                raise McpCallError("closed", f"MCP server `{server}` exited and could not be "
                                   f"restarted: {e}") from None
            log.info("MCP server %s restarted", server)
            self._conns[server] = fresh
            return fresh

    def approved_for_session(self, server: str, tool: str) -> bool:
        """Whether the user approved this tool for the rest of the session."""
        return (server, tool) in self._approved

    def approve_for_session(self, server: str, tool: str) -> None:
        """Remember the user's approval of a tool until the session ends."""
        self._approved.add((server, tool))

    # ---- list_mcp_tools -------------------------------------------------------------------

    async def list_tools_json(self) -> dict[str, Any]:
        """Every tool as the server describes it, by its flat name (`mcp__<server>__<tool>`)."""
        await self.wait_ready()
        return {t.flat_name: t.raw for t in self._tools}

    def auth_statuses(self) -> dict[str, str]:
        """How each server authenticates, in Codex's words."""
        out = {}
        for name, cfg in self._configs.items():
            bearer = isinstance(cfg.transport, HttpTransport) and cfg.transport.bearer_token_env_var
            out[name] = "bearer_token" if bearer else "unsupported"
        return out

    # ---- the end ----------------------------------------------------------------------------

    async def shutdown(self) -> None:
        """Stop every server (also those still starting); never raises."""
        self._closed = True
        if self._startup is not None and not self._startup.done():
            await asyncio.wait([self._startup])
        conns, self._conns = list(self._conns.values()), {}
        await asyncio.gather(*(c.close() for c in conns), return_exceptions=True)


def _tool(server: str, t: mcp_types.Tool) -> McpTool:
    hints = t.annotations
    return McpTool(
        server=server,
        name=t.name,
        description=t.description or "",
        title=t.title or (hints.title if hints else None),
        input_schema=dict(t.input_schema),
        read_only=bool(hints and hints.read_only_hint),
        destructive=bool(hints and hints.destructive_hint),
        open_world=bool(hints and hints.open_world_hint),
        raw=t.model_dump(by_alias=True, exclude_none=True, mode="json"),
    )


def is_mcp_name(name: str) -> bool:
    """Whether a flat tool name or namespace belongs to an MCP server."""
    return name.startswith(NAMESPACE_PREFIX)
