"""One MCP server through the `mcp` SDK: started, listed, called, stopped.

The SDK's transports are context managers that must be entered and left by one task, so each
connection runs in a task of its own that holds them open until `close()`. A stdio server is a
child process in its own process group carrying pycodex's process tag: the watchdog kills it
(and anything it spawned) if pycodex dies, even by SIGKILL; `close()` ends it as the MCP spec
asks (stdin closed, then SIGTERM, then SIGKILL) and sweeps the tag for escaped descendants.
Its stderr goes to an unnamed temporary file, read back only to explain a failed start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TextIO, cast

import anyio
import mcp_types
from mcp import ClientSession, MCPError, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.dispatcher import ProgressFnT

from pycodex import __version__
from pycodex.config.mcp import HttpTransport, McpServerConfig, StdioTransport
from pycodex.exec.watchdog import (
    TAG_VAR,
    Watchdog,
    child_tag_value,
    kill_tagged,
    new_manager_tag,
    tagged_pids,
)
from pycodex.mcp import sdk_logs

log = logging.getLogger(__name__)

# The variables a stdio server gets from pycodex's environment besides its own `env` and
# `env_vars` (Codex passes the same few): never the model's API key.
DEFAULT_ENV_VARS = ("HOME", "LOGNAME", "PATH", "SHELL", "USER", "LANG", "LC_ALL", "TERM", "TMPDIR", "TZ")
CLOSE_WAIT_S = 6.0  # the SDK's own stop sequence takes at most ~4 s
_STDERR_TAIL = 2000

class McpStartError(Exception):
    """A server could not be started; the message says why, naming the server and the key."""


class McpCallError(Exception):
    """A call got no result: `kind` is "timeout", "closed" (the server went away) or "error"."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class McpConnection:
    """A running MCP server and its session."""

    def __init__(self, cfg: McpServerConfig, env: Mapping[str, str], cwd: Path) -> None:
        self.cfg = cfg
        self._env = env
        self._cwd = cwd
        # A tag of its own: closing this server sweeps only what it started.
        self._tag = new_manager_tag()
        self._session: ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self.instructions: str | None = None
        self._http_status: int | None = None  # the last HTTP error status, to explain a failure
        self.tools: list[mcp_types.Tool] = []

    @property
    def alive(self) -> bool:
        """Whether the session is up (a crashed server is noticed at its next call)."""
        return self._session is not None and self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Connect, initialize and list the tools, within `startup_timeout_sec`."""
        if isinstance(self.cfg.transport, StdioTransport):
            # Spawning the watchdog may block briefly: not on the event loop.
            await asyncio.to_thread(Watchdog.get)
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._run(ready), name=f"mcp-{self.cfg.name}")
        await ready

    async def _run(self, ready: asyncio.Future[None]) -> None:
        sdk_logs.install()
        sdk_logs.SERVER.set(self.cfg.name)  # this task's context: the SDK's readers inherit it
        errlog = cast(TextIO, await asyncio.to_thread(
            tempfile.TemporaryFile, "w+", encoding="utf-8", errors="replace"
        ))
        try:
            async with contextlib.AsyncExitStack() as stack:
                read, write = await stack.enter_async_context(self._transport(errlog))
                session = await stack.enter_async_context(
                    ClientSession(
                        read, write,
                        client_info=mcp_types.Implementation(name="pycodex", version=__version__),
                    )
                )
                try:
                    with anyio.fail_after(self.cfg.startup_timeout_sec):
                        init = await session.initialize()
                        self.tools = await _list_all_tools(session)
                except TimeoutError:
                    # A server that does not answer may not read its stdin either: the SDK's
                    # polite stop would wait for it; kill it now.
                    await asyncio.to_thread(_kill_now, self._tag)
                    raise
                self.instructions = init.instructions
                self._session = session
                ready.set_result(None)
                await self._stop.wait()
        except BaseException as e:  # the start failed, or the connection was torn down
            if not ready.done():
                ready.set_exception(self._start_error(e, errlog))
            if not isinstance(e, Exception):
                raise
            if ready.done() and not isinstance(e, McpStartError):
                log.info("MCP server %s: connection ended: %s", self.cfg.name, e)
        finally:
            self._session = None
            await asyncio.to_thread(errlog.close)

    def _transport(self, errlog: TextIO) -> contextlib.AbstractAsyncContextManager[Any]:
        t = self.cfg.transport
        if isinstance(t, StdioTransport):
            env = {k: self._env[k] for k in (*DEFAULT_ENV_VARS, *t.env_vars) if k in self._env}
            env.update(t.env)
            env[TAG_VAR] = child_tag_value(self._tag)
            params = StdioServerParameters(
                command=t.command, args=list(t.args), env=env, cwd=t.cwd or self._cwd,
                encoding_error_handler="replace",
            )
            return stdio_client(params, errlog=errlog)
        return _http_client(self.cfg.name, t, self._env, self._note_status)

    def _note_status(self, status: int) -> None:
        self._http_status = status

    def _start_error(self, e: BaseException, errlog: TextIO) -> McpStartError:
        name, t = self.cfg.name, self.cfg.transport
        if isinstance(e, McpStartError):
            return e
        if _is_timeout(e):
            return McpStartError(
                f"MCP server `{name}` did not start within {self.cfg.startup_timeout_sec:g} s; "
                f"raise `startup_timeout_sec` under [mcp_servers.{name}] or set `enabled = false`"
            )
        if isinstance(e, FileNotFoundError) and isinstance(t, StdioTransport):
            why = f"command {t.command!r} not found"
        elif isinstance(e, OSError) and isinstance(t, StdioTransport):
            why = f"cannot run {t.command!r}: {e.strerror or e}"
        else:
            why = _describe(e)
        tail = _stderr_tail(errlog)
        if tail:
            why += f" (stderr: {tail})"
        key = "command" if isinstance(t, StdioTransport) else "url"
        if self._http_status is not None:
            why += f" (HTTP {self._http_status})"
            if self._http_status in (401, 403):
                key = "bearer_token_env_var` / `http_headers"
        return McpStartError(
            f"MCP server `{name}` failed to start: {why}; check `{key}` under "
            f"[mcp_servers.{name}] or set `enabled = false`"
        )

    async def call(
        self, tool: str, arguments: dict[str, Any] | None, progress: ProgressFnT | None = None
    ) -> mcp_types.CallToolResult:
        """Call a tool within `tool_timeout_sec`; McpCallError when no result came back."""
        session = self._session
        if session is None or not self.alive:
            raise McpCallError("closed", f"MCP server `{self.cfg.name}` is not running")
        timeout = self.cfg.tool_timeout_sec
        try:
            result = await session.call_tool(
                tool, arguments, read_timeout_seconds=timeout, progress_callback=progress
            )
        except MCPError as e:
            if e.code == mcp_types.REQUEST_TIMEOUT:
                raise McpCallError(
                    "timeout",
                    f"tool call timed out after {timeout:g} s (tool_timeout_sec of MCP server "
                    f"`{self.cfg.name}`)",
                ) from None
            if e.code == mcp_types.CONNECTION_CLOSED:
                raise McpCallError(
                    "closed", f"MCP server `{self.cfg.name}` exited during the call"
                ) from None
            raise McpCallError("error", f"MCP server `{self.cfg.name}` answered with an error: "
                               f"{e.error.message}") from None
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            raise McpCallError("closed", f"MCP server `{self.cfg.name}` exited during the call") from None
        except Exception as e:  # a malformed result, an HTTP failure: one line for the model
            raise McpCallError("error", f"MCP server `{self.cfg.name}`: {_describe(e)}") from None
        if not isinstance(result, mcp_types.CallToolResult):
            raise McpCallError("error", f"MCP server `{self.cfg.name}` sent no tool result")
        return result

    async def close(self) -> None:
        """Stop the session and the server process; never raises."""
        task = self._task
        self._stop.set()
        if task is not None and not task.done():
            done, _ = await asyncio.wait([task], timeout=CLOSE_WAIT_S)
            if not done:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await asyncio.wait([task], timeout=1.0)
        self._session = None
        if isinstance(self.cfg.transport, StdioTransport):
            tag = self._tag  # whatever the server left running (daemons it spawned)
            await asyncio.to_thread(kill_tagged, lambda t: t == tag, ())


async def _list_all_tools(session: ClientSession) -> list[mcp_types.Tool]:
    tools: list[mcp_types.Tool] = []
    cursor: str | None = None
    for _ in range(1000):  # a server that keeps handing out cursors must not hang the start
        params = mcp_types.PaginatedRequestParams(cursor=cursor) if cursor else None
        page = await session.list_tools(params=params)
        tools.extend(page.tools)
        cursor = page.next_cursor
        if not cursor:
            break
    return tools


@contextlib.asynccontextmanager
async def _http_client(
    name: str, t: HttpTransport, env: Mapping[str, str], on_error_status: Callable[[int], None]
) -> Any:
    import httpx2

    async def note(response: httpx2.Response) -> None:
        if response.status_code >= 400:
            on_error_status(response.status_code)

    headers = dict(t.http_headers)
    for header, var in t.env_http_headers.items():
        if env.get(var):
            headers[header] = env[var]
    if t.bearer_token_env_var:
        token = env.get(t.bearer_token_env_var)
        if not token:
            raise McpStartError(
                f"MCP server `{name}` failed to start: the environment variable "
                f"{t.bearer_token_env_var} (`bearer_token_env_var` under [mcp_servers.{name}]) "
                "is not set"
            )
        headers["Authorization"] = f"Bearer {token}"
    client = httpx2.AsyncClient(
        headers=headers, timeout=httpx2.Timeout(30.0, read=300.0), event_hooks={"response": [note]}
    )
    async with client, streamable_http_client(t.url, http_client=client) as streams:
        yield streams


def _is_timeout(e: BaseException) -> bool:
    if isinstance(e, BaseExceptionGroup):
        return any(_is_timeout(x) for x in e.exceptions)
    return isinstance(e, TimeoutError)


def _kill_now(tag: str) -> None:
    # SIGKILL without reaping: the server is our child and asyncio reaps it.
    for pid in tagged_pids(lambda t: t == tag, ()):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _describe(e: BaseException) -> str:
    if isinstance(e, MCPError):
        return e.error.message
    if isinstance(e, BaseExceptionGroup):
        return "; ".join(_describe(x) for x in e.exceptions)
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text else type(e).__name__


def _stderr_tail(errlog: TextIO) -> str:
    try:
        errlog.flush()
        size = errlog.seek(0, os.SEEK_END)
        errlog.seek(max(0, size - _STDERR_TAIL))
        lines = [ln.strip() for ln in errlog.read().splitlines() if ln.strip()]
    except (OSError, ValueError):
        return ""
    return lines[-1][:300] if lines else ""
