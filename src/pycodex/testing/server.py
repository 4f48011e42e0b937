"""A real HTTP server on 127.0.0.1 that plays scripted Responses / Chat SSE streams.

Runs its own event loop in a background thread, so sync code, async tests and other
processes (pycodex exec, the real Codex CLI) can all talk to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from pycodex.testing.scenario import Turn


@dataclass
class RecordedRequest:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any = None


@dataclass
class _Rendered:
    turn: Turn
    chunks: list[bytes | None] = field(default_factory=list)  # None = stall marker


def _sse(event: dict[str, Any]) -> bytes:
    return f"event: {event.get('type', 'message')}\ndata: {json.dumps(event)}\n\n".encode()


def render_responses(turn: Turn) -> list[bytes | None]:
    """The turn as SSE chunks, rendered once so serving is never the bottleneck."""
    if turn.malformed:
        return [b"event: response.output_text.delta\ndata: {this is not json\n\n"]
    return [None if e.get("__stall__") else _sse(e) for e in turn.events]


def render_chat(turn: Turn) -> list[bytes | None]:
    """The same turn translated to Chat Completions chunks."""
    if turn.malformed:
        return [b"data: {nope\n\n"]
    out: list[bytes | None] = []
    index = 0

    def chunk(delta: dict[str, Any] | None = None, usage: Any = None) -> bytes:
        body: dict[str, Any] = {"id": "chatcmpl-1", "object": "chat.completion.chunk",
                                "choices": [{"index": 0, "delta": delta}] if delta is not None else []}
        if usage is not None:
            body["usage"] = usage
        return f"data: {json.dumps(body)}\n\n".encode()

    streamed_text = False
    for e in turn.events:
        t = e.get("type")
        if e.get("__stall__"):
            out.append(None)
        elif t == "response.output_text.delta":
            streamed_text = True
            out.append(chunk({"content": e["delta"]}))
        elif t == "response.output_item.done":
            item = e["item"]
            if item["type"] == "message" and not streamed_text:
                out.append(chunk({"content": "".join(c.get("text", "") for c in item["content"])}))
            elif item["type"] in ("function_call", "custom_tool_call"):
                args = item["arguments"] if item["type"] == "function_call" else json.dumps({"input": item["input"]})
                out.append(chunk({"tool_calls": [{"index": index, "id": item["call_id"], "type": "function",
                                                  "function": {"name": item["name"], "arguments": args}}]}))
                index += 1
        elif t == "response.completed":
            u = e["response"].get("usage") or {}
            out.append(chunk(usage={"prompt_tokens": u.get("input_tokens", 0),
                                    "completion_tokens": u.get("output_tokens", 0),
                                    "total_tokens": u.get("total_tokens", 0)}))
            out.append(b"data: [DONE]\n\n")
    return out


class ScriptedModelServer:
    """`with ScriptedModelServer([turn(...), ...]) as srv:` then point a provider at srv.base_url."""

    def __init__(self, scenario: list[Turn] | None = None, port: int = 0, repeat: bool = False) -> None:
        self._turns: list[Turn] = list(scenario or [])
        self._script: list[Turn] = list(self._turns) if repeat else []
        self._lock = threading.Lock()
        self.requests: list[RecordedRequest] = []
        self._port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        """The provider base URL (`http://127.0.0.1:PORT/v1`)."""
        return f"http://127.0.0.1:{self.port}/v1"

    def add_turns(self, *turns: Turn) -> None:
        """Queue more answers."""
        with self._lock:
            self._turns.extend(turns)

    def remaining(self) -> int:
        """Turns not yet served."""
        with self._lock:
            return len(self._turns)

    def _next_turn(self) -> Turn | None:
        with self._lock:
            if not self._turns and self._script:
                self._turns = list(self._script)  # --repeat: play the scenario again
            return self._turns.pop(0) if self._turns else None

    # ---- lifecycle ---------------------------------------------------------------------
    def start(self) -> ScriptedModelServer:
        """Start serving in a background thread."""
        self._thread = threading.Thread(target=self._run, name="scripted-model-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("scripted model server did not start")
        return self

    def stop(self) -> None:
        """Stop serving and join the thread."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> ScriptedModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self._port)
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        async with self._server:
            await self._stop.wait()
            self._server.close()
            for task in [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]:
                task.cancel()

    # ---- HTTP --------------------------------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._serve_one(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _serve_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        raw = await reader.readexactly(int(headers.get("content-length", "0") or 0))
        path = target.split("?", 1)[0]
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except json.JSONDecodeError:
                body = raw.decode("utf-8", errors="replace")
        self.requests.append(RecordedRequest(method, target, headers, body))
        if method == "GET" and path.endswith("/responses"):
            # The Codex SDK probes for websockets first; 426 sends it to plain HTTP at once.
            await self._plain(writer, 426, "upgrade required")
            return
        if method == "GET" and path.endswith("/models"):
            await self._plain(writer, 200, json.dumps({"object": "list", "data": [{"id": "gpt-5.5", "object": "model"}]}))
            return
        if method != "POST" or not (path.endswith("/responses") or path.endswith("/chat/completions")):
            await self._plain(writer, 404, f"no route for {method} {path}")
            return
        turn = self._next_turn()
        if turn is None:
            await self._plain(writer, 500, json.dumps({"error": {"message": "scripted server: no turn left in the scenario"}}))
            return
        if turn.status != 200:
            await self._plain(writer, turn.status, turn.error_body, turn.headers)
            return
        chunks = render_chat(turn) if path.endswith("/chat/completions") else render_responses(turn)
        extra = "".join(f"{k}: {v}\r\n" for k, v in turn.headers.items())
        writer.write(
            (f"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n"
             f"connection: close\r\n{extra}\r\n").encode()
        )
        batch = bytearray()
        for sent, chunk in enumerate(chunks):
            if turn.drop_after is not None and sent >= turn.drop_after:
                break
            if chunk is None:
                writer.write(bytes(batch))
                batch.clear()
                await writer.drain()
                await reader.read()  # hold open until the client disconnects
                return
            batch += chunk
            if turn.delay_ms:
                writer.write(bytes(batch))
                batch.clear()
                await writer.drain()
                await asyncio.sleep(turn.delay_ms / 1000)
            elif len(batch) > 65536:
                writer.write(bytes(batch))
                batch.clear()
                await writer.drain()
        writer.write(bytes(batch))
        await writer.drain()

    async def _plain(self, writer: asyncio.StreamWriter, status: int, text: str,
                     headers: dict[str, str] | None = None) -> None:
        data = text.encode()
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        writer.write(
            (f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {len(data)}\r\n"
             f"connection: close\r\n{extra}\r\n").encode() + data
        )
        await writer.drain()


def load_scenario(spec: str) -> list[Turn]:
    """A built-in scenario by name (`demo`) or a JSON file of turns."""
    if spec == "demo":
        from pycodex.testing.demo import demo_scenario

        return demo_scenario()
    if spec.startswith("deltas:"):  # deltas:N — one answer streamed as N deltas
        from pycodex.testing import scenario as sc

        n = int(spec.split(":", 1)[1])
        return [sc.turn(sc.text_deltas([f"w{i} " for i in range(n)]), sc.completed())]
    if spec.startswith("calls:"):  # calls:N — N requests each running `true`, then an answer
        from pycodex.testing import scenario as sc

        n = int(spec.split(":", 1)[1])
        calls = [sc.turn(sc.function_call("exec_command", {"cmd": "true"}, f"call_{i}"), sc.completed())
                 for i in range(n)]
        return [*calls, sc.turn(sc.message("ran them all"), sc.completed())]
    if spec == "answer":
        from pycodex.testing import scenario as sc

        return [sc.turn(sc.message("Hello! This is the mock model answering."), sc.completed())]
    from pathlib import Path

    data = json.loads(Path(spec).read_text(encoding="utf-8"))
    return [Turn.from_json(t) for t in data]


def main(argv: list[str] | None = None) -> int:
    """`python -m pycodex.testing.server --scenario FILE|demo [--port N]`."""
    import argparse
    import sys
    import time

    ap = argparse.ArgumentParser(prog="python -m pycodex.testing.server")
    ap.add_argument("--scenario", required=True, help="a JSON file of turns, or 'demo'")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--repeat", action="store_true", help="start the scenario over when it runs out")
    args = ap.parse_args(argv)
    srv = ScriptedModelServer(load_scenario(args.scenario), port=args.port, repeat=args.repeat).start()
    print(json.dumps({"base_url": srv.base_url}), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        srv.stop()
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
