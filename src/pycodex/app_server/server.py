"""The app-server loop: read lines, dispatch requests, shut every thread down at the end."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from pycodex.app_server import jsonrpc as rpc
from pycodex.app_server.connection import Connection
from pycodex.app_server.params import field_error
from pycodex.app_server.transport import LineTooLong, Transport

log = logging.getLogger(__name__)

@dataclass
class Reply:
    """A handler's result, and what to do once the client has it."""

    result: Any
    after: Callable[[], Awaitable[None]] | None = None


Handler = Callable[[Any], Awaitable[Any]]


@dataclass
class ServerOptions:
    """How the server was started: `-c` overrides and the environment threads get."""

    overrides: list[str] = field(default_factory=list)
    env: dict[str, str] | None = None
    # Called once, when the first thread is ready (the process's start-up is over).
    on_first_thread: Callable[[], None] | None = None


class Dispatcher:
    """Routes requests to handlers; owns the initialize handshake."""

    def __init__(self, conn: Connection, handlers: dict[str, tuple[type[BaseModel] | None, Handler]],
                 on_initialize: Callable[[Any], Awaitable[Any]]) -> None:
        self.conn = conn
        self.handlers = handlers
        self.on_initialize = on_initialize
        self.initialized = False
        self._tasks: set[asyncio.Task[None]] = set()

    def dispatch(self, msg: rpc.Message) -> None:
        """Handle one message (requests run as tasks: an approval answer must get through while a
        handler waits)."""
        if isinstance(msg, rpc.Response):
            self.conn.deliver(msg)
        elif isinstance(msg, rpc.Invalid):
            self._spawn(self.conn.send(rpc.error_message(msg.id, msg.code, msg.message)))
        elif isinstance(msg, rpc.Notification):
            if msg.method not in ("initialized", "exit"):
                log.info("ignoring notification %s", msg.method)
        else:
            self._spawn(self._handle(msg))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the requests being handled."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _handle(self, req: rpc.Request) -> None:
        reply = await self._answer(req)
        if isinstance(reply, Reply):
            await self.conn.send(rpc.result_message(req.id, reply.result))
            if reply.after is not None:
                await reply.after()
        else:
            await self.conn.send(reply)

    async def _answer(self, req: rpc.Request) -> Reply | dict[str, Any]:
        try:
            if req.method == "initialize":
                if self.initialized:
                    raise rpc.RpcError(rpc.INVALID_REQUEST, "Already initialized")
                result = await self.on_initialize(req.params)
                self.initialized = True
                return Reply(result)
            if not self.initialized:
                raise rpc.RpcError(rpc.INVALID_REQUEST, "Not initialized")
            entry = self.handlers.get(req.method)
            if entry is None:  # Codex's methods pycodex lacks too: never a silent success
                raise rpc.RpcError(rpc.METHOD_NOT_FOUND, f"method not found: {req.method}")
            model, handler = entry
            params = parse_params(model, req.params) if model is not None else req.params
            result = await handler(params)
            return result if isinstance(result, Reply) else Reply(result)
        except rpc.RpcError as e:
            return rpc.error_message(req.id, e.code, e.message, e.data)
        except Exception as e:  # a bug must cost one request, not the server
            log.exception("%s failed", req.method)
            return rpc.error_message(req.id, rpc.INTERNAL_ERROR, f"{req.method} failed: {e}")


def parse_params(model: type[BaseModel], params: Any) -> Any:
    """Validate params; a problem is a -32602 naming the field."""
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise rpc.RpcError(rpc.INVALID_PARAMS, "invalid params: params must be an object")
    try:
        return model.model_validate(params)
    except ValidationError as e:
        raise rpc.RpcError(rpc.INVALID_PARAMS, f"invalid params: {field_error(e, params)}") from e


async def serve(transport: Transport, options: ServerOptions) -> int:
    """Run until stdin ends (or SIGTERM/SIGINT); then every thread is shut down. Returns 0."""
    from pycodex.app_server.methods import Methods

    conn = Connection(transport)
    methods = Methods(conn, options)
    dispatcher = Dispatcher(conn, methods.table(), methods.initialize)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    reader = loop.create_task(_read_loop(transport, dispatcher, conn))
    stopper = loop.create_task(stop.wait())
    await asyncio.wait({reader, stopper}, return_when=asyncio.FIRST_COMPLETED)
    if reader.done() and not reader.cancelled() and reader.exception() is not None:
        # Never a silent exit: say why the server stopped reading.
        log.error("app-server stopped reading stdin: %s", reader.exception())
    for task in (reader, stopper):
        task.cancel()
    # Nobody can answer an approval any more: waiting requests are declined.
    conn.fail_pending()
    await methods.shutdown()
    await dispatcher.drain()
    await transport.close()
    return 0


async def _read_loop(transport: Transport, dispatcher: Dispatcher, conn: Connection) -> None:
    while True:
        try:
            line = await transport.read_line()
        except LineTooLong:
            await conn.send(rpc.error_message(None, rpc.PARSE_ERROR, "parse error: line too long"))
            continue
        if line is None:
            return
        msg = rpc.parse_line(line)
        if msg is not None:
            dispatcher.dispatch(msg)
