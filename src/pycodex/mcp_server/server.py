"""`pycodex mcp-server`: the `codex` and `codex-reply` tools over MCP on stdio, via the `mcp` SDK.

The SDK does the protocol (framing, the initialize handshake, requests both ways,
cancellation). This module turns tool calls into conversations through `ConversationManager`,
and shuts every conversation down when the client goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import MCPError

from pycodex import __version__
from pycodex.mcp_server import settings as st
from pycodex.mcp_server.threads import ThreadRun, TurnOutcome
from pycodex.mcp_server.tools import (
    CODEX,
    CODEX_REPLY,
    TOOLS,
    ToolInputError,
    parse_codex_args,
    parse_reply_args,
)
from pycodex.mcp_server.wire import EVENT_METHOD, event_params
from pycodex.protocol import events as ev
from pycodex.session.conversation import ConversationManager

if TYPE_CHECKING:
    from mcp.server.connection import Connection
    from mcp.server.context import ServerRequestContext

log = logging.getLogger(__name__)


@dataclass
class ServerOptions:
    """How the server was started: `-c` overrides for every conversation, and their environment."""

    overrides: list[str] = field(default_factory=list)
    env: dict[str, str] | None = None


class ClientPeer:
    """The client at the other end of the connection: notifications and requests to it."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def notify(self, method: str, params: dict[str, Any]) -> None:
        """Best effort: a client that went away loses the notification."""
        await self._connection.notify(method, params)

    async def request(self, method: str, params: dict[str, Any]) -> Any:
        """The client's raw result (Codex clients answer in shapes the SDK's types refuse)."""
        return await self._connection.send_raw_request(method, params)


class CodexTools:
    """The tool handlers and every thread this server has loaded."""

    def __init__(self, options: ServerOptions) -> None:
        self.options = options
        self.manager = ConversationManager()
        self.threads: dict[str, ThreadRun] = {}
        self.peer: ClientPeer | None = None
        self._loading = asyncio.Lock()

    def _env(self) -> dict[str, str]:
        return dict(self.options.env if self.options.env is not None else os.environ)

    async def list_tools(self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
                         ) -> types.ListToolsResult:
        """Both tools, with Codex's input and output schemas."""
        return types.ListToolsResult(tools=[
            types.Tool(name=t.name, title=t.title, description=t.description,
                       input_schema=t.input_schema, output_schema=t.output_schema)
            for t in TOOLS
        ])

    async def call_tool(self, ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
                        ) -> types.CallToolResult:
        """Run `codex` or `codex-reply`; bad arguments are an error result naming the problem."""
        request_id = ctx.request_id if ctx.request_id is not None else ""
        try:
            if params.name == CODEX:
                return await self._codex(params.arguments, request_id)
            if params.name == CODEX_REPLY:
                return await self._reply(params.arguments, request_id)
        except ToolInputError as e:
            log.warning("%s: %s", params.name, e)
            return _result(None, f"{params.name}: {e}", is_error=True)
        raise MCPError(code=types.INVALID_PARAMS,
                       message=f"unknown tool `{params.name}`: this server has `{CODEX}` and `{CODEX_REPLY}`")

    async def _codex(self, arguments: dict[str, Any] | None, request_id: str | int) -> types.CallToolResult:
        args = parse_codex_args(arguments)
        _warn_ignored(CODEX, args.ignored)
        config = await st.codex_config(args, self.options.overrides, self._env())
        try:
            conv = await self.manager.new_conversation(config)
        except Exception as e:  # e.g. a sandbox or rollout that cannot be set up
            log.warning("codex: the session did not start: %s", e)
            return _result(None, f"codex: the session did not start: {e}", is_error=True)
        thread = ThreadRun(conv, st.turn_settings(config, conv.configured.model))
        self.threads[thread.id] = thread
        # The client learns the thread id (and the session's settings) before the turn starts.
        first = ev.Event(id="", msg=conv.configured)
        await self._peer().notify(EVENT_METHOD, event_params(first, request_id, thread.id))
        return _outcome(thread.id, await thread.run_turn(args.prompt, self._peer(), request_id))

    async def _reply(self, arguments: dict[str, Any] | None, request_id: str | int) -> types.CallToolResult:
        args = parse_reply_args(arguments)
        _warn_ignored(CODEX_REPLY, args.ignored)
        thread = self.threads.get(args.thread_id)
        if thread is not None and thread.conv.finished():
            # Its session ended (it failed): the recorded thread is loaded afresh.
            del self.threads[args.thread_id]
            thread = None
        thread = thread or await self._load(args.thread_id)
        return _outcome(thread.id, await thread.run_turn(args.prompt, self._peer(), request_id))

    async def _load(self, thread_id: str) -> ThreadRun:
        """A recorded thread (from this server or any other surface), loaded to continue it."""
        from pycodex.config.home import pycodex_home
        from pycodex.rollout.lookup import find_rollout_by_id
        from pycodex.rollout.reader import last_turn_context, load_rollout
        from pycodex.rollout.validate import rollout_problem

        async with self._loading:  # two replies to one stored thread load it once
            loaded = self.threads.get(thread_id)
            if loaded is not None:
                return loaded
            home = pycodex_home(self._env())
            path = await asyncio.to_thread(find_rollout_by_id, home, thread_id)
            if path is None:
                raise ToolInputError(f"no thread `{thread_id}`: pass the threadId a `codex` call returned")
            problem = await asyncio.to_thread(rollout_problem, path)
            if problem is not None:
                raise ToolInputError(f"thread `{thread_id}` cannot be continued: {path}: {problem}")
            stored = await asyncio.to_thread(load_rollout, path)
            ctx = last_turn_context(stored.items)
            config = await st.resume_config(ctx, self.options.overrides, self._env())
            conv = await self.manager.resume_conversation(config, path)
            thread = ThreadRun(conv, st.turn_settings(config, conv.configured.model, ctx))
            self.threads[thread.id] = thread
            return thread

    def _peer(self) -> ClientPeer:
        assert self.peer is not None, "serve() sets the peer before any request"
        return self.peer

    async def shutdown(self) -> None:
        """Every conversation ends: its turn aborted, its processes killed, its rollout closed."""
        for thread in list(self.threads.values()):
            await thread.close()
        await self.manager.shutdown_all()


def _warn_ignored(tool: str, names: tuple[str, ...]) -> None:
    if names:
        log.warning("%s: ignoring unknown argument(s): %s", tool, ", ".join(names))


def _outcome(thread_id: str, outcome: TurnOutcome) -> types.CallToolResult:
    return _result(thread_id, outcome.text, is_error=outcome.is_error)


def _result(thread_id: str | None, text: str, *, is_error: bool = False) -> types.CallToolResult:
    """The text as content and, with the thread id, as `structuredContent` (some clients read only
    one of the two)."""
    structured = {"threadId": thread_id, "content": text} if thread_id is not None else None
    return types.CallToolResult(content=[types.TextContent(text=text)], structured_content=structured,
                                is_error=is_error)


async def serve_stdio(options: ServerOptions) -> int:
    """Serve on stdin/stdout until the client closes stdin (or SIGTERM/SIGINT). Returns 0."""
    from mcp.server.stdio import stdio_server

    from pycodex.mcp_server.transport import StdinLines

    tools = CodexTools(options)
    server: Server[Any] = Server("pycodex-mcp-server", version=__version__, title="pycodex",
                                 on_list_tools=tools.list_tools, on_call_tool=tools.call_tool)
    loop = asyncio.get_running_loop()
    serving = asyncio.current_task()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, lambda: serving.cancel() if serving else None)
    try:
        stdin = await StdinLines.open()
        # The SDK takes any async iterator of lines (its type names anyio's file wrapper).
        async with stdio_server(stdin=stdin) as (read_stream, write_stream):  # type: ignore[arg-type]
            await _serve(server, tools, read_stream, write_stream)
    except asyncio.CancelledError:
        log.info("stopped by a signal")
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await tools.shutdown()
    return 0


async def _serve(server: Server[Any], tools: CodexTools, read_stream: Any, write_stream: Any) -> None:
    import anyio
    from mcp.server.connection import Connection
    from mcp.server.runner import serve_connection
    from mcp.shared.jsonrpc_dispatcher import JSONRPCDispatcher

    from pycodex.mcp_server.transport import repair_replies, repaired_stream

    send, receive = repaired_stream()
    # The handshake era only: approvals are server-to-client requests, which the 2026 per-request
    # era forbids. A client that probes `server/discover` first falls back to `initialize`.
    dispatcher: JSONRPCDispatcher[Any] = JSONRPCDispatcher(
        receive, write_stream, inline_methods=frozenset({"initialize"}))
    connection = Connection.for_loop(dispatcher)
    tools.peer = ClientPeer(connection)
    async with anyio.create_task_group() as tg, server.lifespan(server) as state:
        tg.start_soon(repair_replies, read_stream, send)
        await serve_connection(server, dispatcher, connection=connection, lifespan_state=state,
                               init_options=server.create_initialization_options())
        tg.cancel_scope.cancel()
