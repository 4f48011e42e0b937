"""The model wire's own HTTP/1.1 client against real sockets: chunked and gzip answers, kept
connections, a server that closed an idle one, garbled answers, and the proxy route (httpx)."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from pycodex.model import events as me
from pycodex.model.client import ModelClient
from pycodex.model.errors import ApiError, RetryableStreamError
from pycodex.model.prompt import ModelSettings
from pycodex.model.providers import ModelProviderInfo
from pycodex.model.transport import HttpClient, make_http_client
from pycodex.model.transport_httpx import HttpxClient
from tests.model.support import collect

Answer = Callable[[int], bytes]  # request number (0-based) → the raw bytes sent back


def sse_body(text: str) -> bytes:
    """A one-message Responses stream."""
    events = [
        {"type": "response.output_text.delta", "delta": text},
        {"type": "response.output_item.done", "item": {"type": "message", "role": "assistant",
                                                       "content": [{"type": "output_text", "text": text}]}},
        {"type": "response.completed", "response": {"id": "r1"}},
    ]
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events).encode()


def chunked(body: bytes, size: int = 7) -> bytes:
    """`body` as a chunked transfer coding, in small chunks (with an extension on one)."""
    parts = [body[i:i + size] for i in range(0, len(body), size)]
    out = b"".join(f"{len(p):x}{';ext=1' if i == 0 else ''}\r\n".encode() + p + b"\r\n" for i, p in enumerate(parts))
    return out + b"0\r\n\r\n"


class Server:
    """A real TCP server on 127.0.0.1 answering each request with `answer(n)`."""

    def __init__(self, answer: Answer, close_after_each: bool = False) -> None:
        self.answer = answer
        self.close_after_each = close_after_each
        self.connections = 0
        self.requests: list[bytes] = []
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    return
                length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:"))
                self.requests.append(head + await reader.readexactly(length))
                writer.write(self.answer(len(self.requests) - 1))
                await writer.drain()
                if self.close_after_each:
                    return
        finally:
            writer.close()


@asynccontextmanager
async def serving(server: Server) -> AsyncIterator[Server]:
    srv = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    server.port = srv.sockets[0].getsockname()[1]
    try:
        yield server
    finally:
        srv.close()


def model_client(port: int, env: dict[str, str] | None = None) -> ModelClient:
    provider = ModelProviderInfo.model_validate({
        "name": "t", "base_url": f"http://127.0.0.1:{port}/v1", "wire_api": "responses",
        "request_max_retries": 0})
    settings = ModelSettings(model="gpt-5.5", supports_reasoning=False)
    return ModelClient(provider, settings, "conv-1", env={} if env is None else env)


def texts(events: list[me.ResponseEvent]) -> list[str]:
    return [e.delta for e in events if isinstance(e, me.OutputTextDelta)]


def ok_chunked(n: int) -> bytes:
    head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
    return head + chunked(sse_body(f"answer {n}"))


async def test_chunked_answers_share_one_kept_connection() -> None:
    """Two requests, each answered with a chunked stream read to its end, on one connection."""
    async with serving(Server(ok_chunked)) as server:
        http = HttpClient({})
        for n in range(2):
            response = await http.post(f"http://127.0.0.1:{server.port}/v1/responses", b"{}", {})
            assert response.status_code == 200
            assert await response.aread() == sse_body(f"answer {n}")
        await http.aclose()
    assert server.connections == 1
    assert b"POST /v1/responses HTTP/1.1\r\nhost: 127.0.0.1:" in server.requests[0]


async def test_an_idle_connection_the_server_closed_is_replaced() -> None:
    """The server closes every connection after its answer: the next request opens another."""
    async with serving(Server(ok_chunked, close_after_each=True)) as server:
        c = model_client(server.port)
        first = await collect(c)
        await asyncio.sleep(0.05)  # the server's close reaches the idle connection
        second = await collect(c)
        await c.aclose()
    assert texts(first) == ["answer 0"] and texts(second) == ["answer 1"]
    assert server.connections == 2


async def test_a_gzip_error_body_is_read_as_text() -> None:
    body = gzip.compress(json.dumps({"error": {"message": "nope", "type": "invalid_request_error"}}).encode())

    def answer(_: int) -> bytes:
        return (b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\n"
                + f"content-length: {len(body)}\r\n\r\n".encode() + body)

    async with serving(Server(answer)) as server:
        with pytest.raises(ApiError, match='"message": "nope"'):
            await collect(model_client(server.port))


@pytest.mark.parametrize(("bad", "message"), [
    (b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nab\r\n",
     "garbled chunk size"),
    (b"SMTP ready\r\n\r\n", "did not answer with HTTP/1.x"),
    (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "garbled header line"),
])
async def test_a_garbled_answer_is_one_clear_error(bad: bytes, message: str) -> None:
    """Bad input tried: a garbled chunk size, a status line that is not HTTP, a header line
    without a colon."""
    async with serving(Server(lambda _: bad, close_after_each=True)) as server:
        with pytest.raises(RetryableStreamError, match=message) as ei:
            await collect(model_client(server.port))
    assert "\n" not in str(ei.value)


async def test_a_proxy_in_the_environment_is_used() -> None:
    """HTTP_PROXY names a forward proxy: the request reaches the server through it."""
    seen: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        seen.append(head.split(b"\r\n")[0])
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        body = await reader.readexactly(length)
        port = int(head.split(b" ")[1].split(b"/")[2].split(b":")[1])
        up_r, up_w = await asyncio.open_connection("127.0.0.1", port)
        path = b"/" + head.split(b" ")[1].split(b"/", 3)[3]
        up_w.write(head.replace(head.split(b" ")[1], path, 1) + body)
        writer.write(await up_r.read())  # the upstream answers once and closes
        up_w.close()
        await writer.drain()
        writer.close()

    async with serving(Server(ok_chunked, close_after_each=True)) as server:
        px = await asyncio.start_server(proxy, "127.0.0.1", 0)
        env = {"HTTP_PROXY": f"http://127.0.0.1:{px.sockets[0].getsockname()[1]}"}
        try:
            c = model_client(server.port, env)
            assert isinstance(make_http_client(f"http://127.0.0.1:{server.port}/v1", env), HttpxClient)
            events = await collect(c)
            await c.aclose()
        finally:
            px.close()
    assert texts(events) == ["answer 0"]
    assert seen == [f"POST http://127.0.0.1:{server.port}/v1/responses HTTP/1.1".encode()]


def test_no_proxy_keeps_the_direct_client() -> None:
    env = {"https_proxy": "http://proxy:3128", "NO_PROXY": "localhost,.example.com"}
    assert isinstance(make_http_client("https://api.example.com/v1", env), HttpClient)
    assert isinstance(make_http_client("https://api.openai.com/v1", env), HttpxClient)
    assert isinstance(make_http_client("http://api.openai.com/v1", env), HttpClient)  # no http_proxy
