"""A real HTTP/1.1 server on 127.0.0.1 that plays scripted Responses / Chat SSE streams.

It runs its own event loop in a background thread, so sync code, async tests and other
processes (pycodex exec, the real Codex CLI) can all talk to it. Each POST to `/v1/responses`
or `/v1/chat/completions` consumes the next turn of the scenario. Streams are close-delimited
(`connection: close`), as a dropped stream must look like an early end; short answers
(errors, `/v1/models`) keep the connection alive.

    python -m pycodex.testing.server --scenario demo|FILE.json [--port N] [--repeat]
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pycodex.testing.http11 import BadRequest, Request, read_request, response_head
from pycodex.testing.render import DROP, STALL, Pause, Segment, render_chat, render_responses
from pycodex.testing.scenario import Turn

READER_LIMIT = 1024 * 1024  # the longest request head we accept


@dataclass
class RecordedRequest:
    """One request the server received (every method and path, in arrival order)."""

    method: str
    path: str
    headers: dict[str, str]  # lowercased names
    body: Any = None  # parsed JSON; the text if it was not JSON; None if empty
    query: dict[str, str] = field(default_factory=dict)

    @property
    def body_json(self) -> Any:
        """The parsed JSON body (same as `body`)."""
        return self.body


class _Prepared:
    """A turn with its renderings, made once (the Responses one ahead of time)."""

    def __init__(self, turn: Turn) -> None:
        self.turn = turn
        self.responses = render_responses(turn) if turn.status == 200 else []
        self._chat: list[Segment] | None = None

    def chat(self) -> list[Segment]:
        if self._chat is None:
            self._chat = render_chat(self.turn)
        return self._chat


def _json_error(message: str, kind: str = "server_error") -> str:
    return json.dumps({"error": {"message": message, "type": kind}})


# Picks the answer to one model request from the request itself (None: the next queued turn),
# so many conversations can share one server whatever order their requests arrive in.
Responder = Callable[[RecordedRequest], Turn | None]


class ScriptedModelServer:
    """`with ScriptedModelServer([turn(...), ...]) as srv:` then point a provider at srv.base_url."""

    def __init__(
        self, scenario: list[Turn] | None = None, port: int = 0, repeat: bool = False,
        responder: Responder | None = None,
    ) -> None:
        self._responder = responder
        prepared = [_Prepared(t) for t in scenario or []]
        self._queue: list[_Prepared] = list(prepared)
        self._script = prepared if repeat else []  # replayed when the queue runs dry
        self._lock = threading.Condition()
        self.requests: list[RecordedRequest] = []
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def base_url(self) -> str:
        """The provider base URL, `http://127.0.0.1:PORT/v1`."""
        return f"http://127.0.0.1:{self.port}/v1"

    def add_turns(self, *turns: Turn | list[Turn]) -> None:
        """Queue more answers (rendered now, not while serving)."""
        flat = [t for x in turns for t in (x if isinstance(x, list) else [x])]
        prepared = [_Prepared(t) for t in flat]
        with self._lock:
            self._queue.extend(prepared)

    def remaining(self) -> int:
        """Turns not yet served."""
        with self._lock:
            return len(self._queue)

    @property
    def open_connections(self) -> int:
        """Connections being served now (a stalled stream counts until its client leaves)."""
        return len(self._tasks)

    def wait_for_requests(self, n: int, timeout: float = 10.0) -> list[RecordedRequest]:
        """Block until at least n requests arrived; TimeoutError otherwise."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.requests) >= n, timeout):
                raise TimeoutError(f"{len(self.requests)} of {n} requests arrived in {timeout}s")
            return list(self.requests)

    def _next(self) -> _Prepared | None:
        with self._lock:
            if not self._queue and self._script:
                self._queue = list(self._script)
            return self._queue.pop(0) if self._queue else None

    def _record(self, req: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(req)
            self._lock.notify_all()

    # ---- lifecycle --------------------------------------------------------------------------

    def start(self) -> ScriptedModelServer:
        """Start serving in a background thread; returns once the port is bound."""
        self._thread = threading.Thread(target=self._run, name="scripted-model-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the scripted model server did not start within 10 s")
        if self._error is not None:
            raise RuntimeError(f"the scripted model server could not start: {self._error}")
        return self

    def stop(self) -> None:
        """Stop serving (open streams are cut) and join the thread; safe to call twice."""
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop already finished
                loop.call_soon_threadsafe(stopping.set)
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def __enter__(self) -> ScriptedModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as e:  # reported to start(); the thread must not die silently
            self._error = e
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        server = await asyncio.start_server(
            self._handle, "127.0.0.1", self.port, limit=READER_LIMIT
        )
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stopping.wait()
            server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # ---- HTTP -------------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            while True:
                try:
                    req = await read_request(reader, writer)
                except BadRequest as e:
                    await self._plain(writer, 400, _json_error(str(e), "invalid_request_error"))
                    break
                if req is None or not await self._serve(req, reader, writer):
                    break
        except (ConnectionError, asyncio.CancelledError):
            pass  # the client left, or the server is stopping
        finally:
            if task is not None:
                self._tasks.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    async def _serve(
        self, req: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Answer one request; True if the connection may carry another."""
        body: Any = None
        parsed = True
        if req.body:
            try:
                body = json.loads(req.body)
            except ValueError:
                body, parsed = req.body.decode("utf-8", errors="replace"), False
        recorded = RecordedRequest(req.method, req.path, req.headers, body, req.query)
        self._record(recorded)
        keep = req.keep_alive
        path = req.path.rstrip("/")
        is_model_path = path.endswith("/responses") or path.endswith("/chat/completions")
        if req.method == "GET" and path.endswith("/responses"):
            # The Codex SDK probes for websockets first; 426 sends it to plain HTTP at once.
            return await self._plain(writer, 426, _json_error("websockets are not supported"), keep=keep)
        if req.method == "GET" and path.endswith("/models"):
            models = {"object": "list", "data": [{"id": "gpt-5.5", "object": "model",
                                                  "owned_by": "scripted"}]}
            return await self._plain(writer, 200, json.dumps(models), keep=keep)
        if req.method != "POST" or not is_model_path:
            return await self._plain(writer, 404, _json_error(f"no route for {req.method} {req.path}",
                                                              "not_found"), keep=keep)
        if not parsed:
            return await self._plain(writer, 400, _json_error(
                "scripted model server: the request body is not JSON", "invalid_request_error"),
                keep=keep)
        chosen = self._responder(recorded) if self._responder is not None else None
        prepared = _Prepared(chosen) if chosen is not None else self._next()
        if prepared is None:
            served = sum(1 for r in self.requests if r.method == "POST")
            return await self._plain(writer, 500, _json_error(
                f"scripted model server: no turn left in the scenario (request {served} "
                "arrived after the last scripted turn)"), keep=keep)
        turn = prepared.turn
        if turn.status != 200:
            return await self._plain(writer, turn.status, turn.body, turn.headers, keep=keep)
        segments = prepared.chat() if path.endswith("/chat/completions") else prepared.responses
        await self._stream(reader, writer, segments, turn.headers)
        return False

    async def _stream(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        segments: list[Segment],
        extra: dict[str, str],
    ) -> None:
        headers = {"content-type": "text/event-stream", "cache-control": "no-cache",
                   "connection": "close"}
        headers.update({k.lower(): v for k, v in extra.items()})
        writer.write(response_head(200, headers))
        for seg in segments:
            if isinstance(seg, bytes):
                writer.write(seg)
                await writer.drain()
            elif isinstance(seg, Pause):
                await writer.drain()
                await asyncio.sleep(seg.seconds)
            elif seg is STALL:
                await writer.drain()
                while await reader.read(65536):
                    pass  # hold the stream open until the client goes away
                return
            elif seg is DROP:
                break
        await writer.drain()

    async def _plain(
        self,
        writer: asyncio.StreamWriter,
        status: int,
        text: str,
        headers: dict[str, str] | None = None,
        keep: bool = False,
    ) -> bool:
        data = text.encode()
        looks_json = text.lstrip().startswith(("{", "["))
        out = {"content-type": "application/json" if looks_json else "text/plain; charset=utf-8"}
        out.update({k.lower(): v for k, v in (headers or {}).items()})
        out["content-length"] = str(len(data))
        out["connection"] = "keep-alive" if keep else "close"
        writer.write(response_head(status, out) + data)
        await writer.drain()
        return keep


def main(argv: list[str] | None = None) -> int:
    """`python -m pycodex.testing.server --scenario demo|FILE.json [--port N] [--repeat]`."""
    import argparse
    import signal
    import sys

    from pycodex.testing.scenario_json import ScenarioError, load_scenario

    ap = argparse.ArgumentParser(prog="python -m pycodex.testing.server")
    ap.add_argument("--scenario", required=True,
                    help="a JSON scenario file, or demo | answer | deltas:N | calls:N")
    ap.add_argument("--port", type=int, default=0, help="default: a free port")
    ap.add_argument("--repeat", action="store_true", help="start over when the scenario runs out")
    args = ap.parse_args(argv)
    try:
        turns = load_scenario(args.scenario)
    except ScenarioError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        srv = ScriptedModelServer(turns, port=args.port, repeat=args.repeat).start()
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(json.dumps({"base_url": srv.base_url}), flush=True)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    while not done.wait(1.0):
        pass  # serve until SIGTERM/SIGINT
    srv.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
