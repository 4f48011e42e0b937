"""The model wire's HTTP client: one POST, its answer streamed, connections kept for the next.

Direct connections use asyncio streams and `http_wire` (HTTP/1.1, TLS through `ssl` with
httpx's choice of CA bundle). When the environment names a proxy for the provider, requests
go through httpx instead (`transport_httpx`), which speaks to proxies; both clients give the
same `Response` and raise the same `http_wire` errors.
"""

from __future__ import annotations

import asyncio
import os
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Protocol

from pycodex.model.http_wire import (
    MAX_HEAD,
    ChunkedDecoder,
    ConnectError,
    ReadTimeout,
    RemoteProtocolError,
    ResponseHead,
    Target,
    TransportError,
    WriteTimeout,
    parse_response_head,
    parse_url,
    proxy_for,
    request_head,
)

if TYPE_CHECKING:
    import ssl

READ_SIZE = 64 * 1024


class Response:
    """An answer whose body is read as it arrives; close it (or read it to the end)."""

    def __init__(self, status_code: int, reason_phrase: str, headers: dict[str, str],
                 body: AsyncIterator[bytes], close: Callable[[], Awaitable[None]]) -> None:
        self.status_code = status_code
        self.reason_phrase = reason_phrase
        self.headers = headers  # names lowercased
        self._body = body
        self._close = close

    @property
    def is_success(self) -> bool:
        """A 2xx status."""
        return 200 <= self.status_code < 300

    def aiter_bytes(self) -> AsyncIterator[bytes]:
        """The body as it arrives (decompressed); raises a TransportError if it breaks off."""
        return self._body

    async def aread(self) -> bytes:
        """The whole body."""
        return b"".join([chunk async for chunk in self._body])

    async def aclose(self) -> None:
        """Stop reading; the connection is reused only if the body was read to its end."""
        await self._close()


class ModelHttp(Protocol):
    """What the model client needs of an HTTP client."""

    async def post(self, url: str, content: bytes, headers: Mapping[str, str], *,
                   params: Mapping[str, str] | None, connect_timeout: float, read_timeout: float,
                   write_timeout: float) -> Response:
        """Send the request; returns once the answer's head has arrived."""
        ...

    async def aclose(self) -> None:
        """Close every connection."""
        ...


def make_http_client(base_url: str, env: Mapping[str, str]) -> ModelHttp:
    """The direct client, or httpx where the environment names a proxy for `base_url`."""
    try:
        target = parse_url(base_url)
    except ValueError:
        return HttpClient(env)  # the request reports the bad URL
    proxy = proxy_for(target.scheme, target.host, env)
    if proxy is not None:
        from pycodex.model.transport_httpx import HttpxClient

        return HttpxClient(proxy, verify=target.scheme == "https")
    return HttpClient(env)


class _Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.used = False  # has carried a request before (a stale keep-alive may be closed)

    def usable(self) -> bool:
        return not self.reader.at_eof() and not self.writer.transport.is_closing()

    def close(self) -> None:
        self.writer.close()


class HttpClient:
    """HTTP/1.1 over asyncio streams, keeping idle connections per host."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env: Mapping[str, str] = os.environ if env is None else env
        self._idle: dict[tuple[str, str, int], list[_Conn]] = {}
        self._busy: set[_Conn] = set()
        self._ssl: ssl.SSLContext | None = None

    async def post(self, url: str, content: bytes, headers: Mapping[str, str], *,
                   params: Mapping[str, str] | None = None, connect_timeout: float = 30.0,
                   read_timeout: float | None = None, write_timeout: float = 60.0) -> Response:
        """POST `content`; returns with the head read. Raises a TransportError."""
        try:
            target = parse_url(url, params)
            head = request_head("POST", target, {"accept-encoding": "gzip", **headers}, len(content))
        except ValueError as e:
            raise ConnectError(str(e)) from None
        for _ in range(2):
            conn = await self._connection(target, connect_timeout)
            reused = conn.used
            conn.used = True
            try:
                await self._send(conn, head + content, write_timeout)
                raw = await self._read_head(conn, read_timeout)
            except BaseException as e:
                self._discard(conn)
                if reused and isinstance(e, _Stale):
                    continue  # the server had closed the idle connection: once more, fresh
                if isinstance(e, _Stale):
                    raise RemoteProtocolError("the server closed the connection without answering") from None
                raise
            return self._response(target, conn, raw, read_timeout)
        raise RemoteProtocolError("the server closed the connection without answering")

    async def aclose(self) -> None:
        """Close every connection, idle or in use."""
        for conns in self._idle.values():
            for conn in conns:
                conn.close()
        self._idle.clear()
        for conn in list(self._busy):
            conn.close()
        self._busy.clear()

    # ---- connections ------------------------------------------------------------------------

    async def _connection(self, target: Target, connect_s: float) -> _Conn:
        key = (target.scheme, target.host, target.port)
        idle = self._idle.get(key)
        while idle:
            conn = idle.pop()
            if conn.usable():
                self._busy.add(conn)
                return conn
            conn.close()
        tls = self._ssl_context() if target.scheme == "https" else None
        try:
            async with asyncio.timeout(connect_s):
                reader, writer = await asyncio.open_connection(
                    target.host, target.port, ssl=tls, server_hostname=target.host if tls else None,
                    limit=MAX_HEAD,
                )
        except TimeoutError:
            raise ConnectError(f"timed out connecting to {target.host}:{target.port}") from None
        except OSError as e:  # refused, unreachable, no such host, certificate refused
            raise ConnectError(f"cannot connect to {target.host}:{target.port}") from e
        conn = _Conn(reader, writer)
        self._busy.add(conn)
        return conn

    def _release(self, target: Target, conn: _Conn) -> None:
        self._busy.discard(conn)
        if conn.usable():
            self._idle.setdefault((target.scheme, target.host, target.port), []).append(conn)
        else:
            conn.close()

    def _discard(self, conn: _Conn) -> None:
        self._busy.discard(conn)
        conn.close()

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            import ssl

            # As httpx chooses: SSL_CERT_FILE / SSL_CERT_DIR, else certifi's bundle.
            cafile = self._env.get("SSL_CERT_FILE") or None
            capath = self._env.get("SSL_CERT_DIR") or None
            if cafile is None and capath is None:
                try:
                    import certifi

                    cafile = certifi.where()
                except ImportError:
                    pass
            ctx = ssl.create_default_context(cafile=cafile, capath=capath)
            ctx.set_alpn_protocols(["http/1.1"])
            self._ssl = ctx
        return self._ssl

    # ---- one exchange -----------------------------------------------------------------------

    async def _send(self, conn: _Conn, data: bytes, write_s: float) -> None:
        try:
            conn.writer.write(data)
            async with asyncio.timeout(write_s):
                await conn.writer.drain()
        except TimeoutError:
            raise WriteTimeout(f"the server did not take the request within {write_s:g}s") from None
        except OSError as e:
            raise _Stale() from e

    async def _read_head(self, conn: _Conn, read_s: float | None) -> ResponseHead:
        while True:
            try:
                async with asyncio.timeout(read_s):
                    raw = await conn.reader.readuntil(b"\r\n\r\n")
            except TimeoutError:
                raise ReadTimeout(f"no answer within {read_s:g}s") from None
            except asyncio.IncompleteReadError as e:
                if not e.partial:
                    raise _Stale() from None
                raise RemoteProtocolError("the server closed the connection in the middle of its answer's head") from None
            except asyncio.LimitOverrunError:
                raise RemoteProtocolError(f"the server's answer head is longer than {MAX_HEAD} bytes") from None
            except OSError as e:
                raise _Stale() from e
            head = parse_response_head(raw[:-4])
            if head.status >= 200 or head.status == 101:
                return head
            # 1xx (100 Continue, 103 Early Hints): the real answer follows.

    def _response(self, target: Target, conn: _Conn, head: ResponseHead, timeout: float | None) -> Response:
        kind, length = head.body_kind()
        state = {"finished": kind == "none", "closed": False}
        reusable = head.keeps_alive() and kind in ("length", "chunked", "none")

        async def read() -> bytes:
            try:
                async with asyncio.timeout(timeout):
                    return await conn.reader.read(READ_SIZE)
            except TimeoutError:
                raise ReadTimeout(f"no data for {timeout:g}s") from None
            except OSError as e:
                raise RemoteProtocolError(f"the connection broke: {e}") from e

        async def raw_body() -> AsyncIterator[bytes]:
            if kind == "none":
                return
            if kind == "length":
                left = length
                while left > 0:
                    data = await read()
                    if not data:
                        raise RemoteProtocolError(
                            "peer closed connection without sending complete message body "
                            f"(received {length - left} of {length} bytes)")
                    data = data[:left]
                    left -= len(data)
                    yield data
            elif kind == "chunked":
                decoder = ChunkedDecoder()
                while not decoder.done:
                    data = await read()
                    if not data:
                        raise RemoteProtocolError(
                            "peer closed connection without sending complete message body "
                            "(a chunked body cut short)")
                    for piece in decoder.feed(data):
                        yield piece
            else:
                while data := await read():
                    yield data
            state["finished"] = True

        async def body() -> AsyncIterator[bytes]:
            try:
                decompress = _decompressor(head.headers.get("content-encoding", ""))
                async for data in raw_body():
                    if decompress is None:
                        yield data
                    else:
                        try:
                            out = decompress.decompress(data)
                        except zlib.error as e:
                            raise RemoteProtocolError(f"the server's compressed body is garbled: {e}") from None
                        if out:
                            yield out
            finally:
                await close()

        async def close() -> None:
            if state["closed"]:
                return
            state["closed"] = True
            if state["finished"] and reusable:
                self._release(target, conn)
            else:
                self._discard(conn)

        return Response(head.status, head.reason, head.headers, body(), close)


class _Stale(Exception):
    """The connection was gone before the answer's first byte."""


def _decompressor(encoding: str) -> zlib._Decompress | None:
    """A decoder for gzip bodies (the one encoding we offer); None for identity."""
    value = encoding.strip().lower()
    if value in ("", "identity"):
        return None
    if value in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    raise RemoteProtocolError(f"the server sent a body encoded as {encoding!r}, which was not offered")


__all__ = [
    "ConnectError",
    "HttpClient",
    "ModelHttp",
    "ReadTimeout",
    "RemoteProtocolError",
    "Response",
    "TransportError",
    "WriteTimeout",
    "make_http_client",
]
