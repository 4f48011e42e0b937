"""HTTP/1.1 for the model wire, the parts without I/O: URLs, the request head, the response
head, chunked bodies, and whether the environment asks for a proxy.

The model request is one POST with a streamed answer; this is all pycodex needs of HTTP, and
written here it costs nothing to import (httpx and its stack took ~70 ms of every start).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

MAX_HEAD = 64 * 1024  # a response head longer than this is not an HTTP server we can talk to


class TransportError(Exception):
    """The request could not be sent or its answer could not be read."""


class ConnectError(TransportError):
    """No connection to the server (refused, unreachable, no such host, TLS failed)."""


class ReadTimeout(TransportError):
    """Nothing arrived from the server within the read timeout."""


class WriteTimeout(TransportError):
    """The server did not take the request within the write timeout."""


class RemoteProtocolError(TransportError):
    """The server broke HTTP: a garbled head or chunk, or a body cut short."""


@dataclass(frozen=True)
class Target:
    """Where a URL's request goes."""

    scheme: str  # "http" | "https"
    host: str
    port: int
    path: str  # the request target: path and query
    host_header: str


def parse_url(url: str, params: Mapping[str, str] | None = None) -> Target:
    """The connection and request target of an http(s) URL; ValueError if it is not one."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"unsupported URL scheme {parts.scheme!r} in {url!r} (http or https)")
    host = parts.hostname
    if not host:
        raise ValueError(f"no host in URL {url!r}")
    default = 443 if scheme == "https" else 80
    port = parts.port or default  # raises ValueError for a garbled port
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    query = parts.query
    if params:
        query = f"{query}&{urlencode(params)}" if query else urlencode(params)
    if query:
        path = f"{path}?{query}"
    shown = f"[{host}]" if ":" in host else host
    return Target(scheme, host, port, path, shown if port == default else f"{shown}:{port}")


def request_head(method: str, target: Target, headers: Mapping[str, str], content_length: int) -> bytes:
    """The request line and headers (names as given; Host and Content-Length added)."""
    lines = [f"{method} {target.path} HTTP/1.1", f"host: {target.host_header}"]
    for name, value in headers.items():
        if "\r" in name or "\n" in name or "\r" in value or "\n" in value:
            raise ValueError(f"header {name!r} has a line break in it")
        lines.append(f"{name}: {value}")
    lines.append(f"content-length: {content_length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@dataclass
class ResponseHead:
    """A response's status line and headers (names lowercased; repeated ones joined by ", ")."""

    status: int
    reason: str
    headers: dict[str, str]
    http10: bool = False

    def body_kind(self) -> tuple[str, int]:
        """How the body is framed: ("chunked", 0), ("length", n), ("none", 0) or ("close", 0)."""
        if self.status < 200 or self.status in (204, 304):
            return "none", 0
        encoding = self.headers.get("transfer-encoding", "").lower()
        if encoding:
            if encoding.rsplit(",", 1)[-1].strip() != "chunked":
                return "close", 0  # some other framing: the body ends with the connection
            return "chunked", 0
        length = self.headers.get("content-length")
        if length is not None:
            try:
                n = int(length.split(",")[0].strip())
            except ValueError:
                raise RemoteProtocolError(f"the server sent a garbled content-length: {length!r}") from None
            if n < 0:
                raise RemoteProtocolError(f"the server sent a negative content-length: {length!r}")
            return "length", n
        return "close", 0

    def keeps_alive(self) -> bool:
        """Whether the connection may carry another request after this answer."""
        tokens = {t.strip().lower() for t in self.headers.get("connection", "").split(",")}
        if self.http10:
            return "keep-alive" in tokens
        return "close" not in tokens


def parse_response_head(data: bytes) -> ResponseHead:
    """The head (up to and without the blank line); RemoteProtocolError if it is not HTTP."""
    text = data.decode("latin-1")
    lines = text.split("\r\n")
    status_line = lines[0]
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit() or len(parts[1]) != 3:
        raise RemoteProtocolError(f"the server did not answer with HTTP/1.x: {status_line[:80]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise RemoteProtocolError(f"the server sent a garbled header line: {line[:80]!r}")
        key = name.lower()
        value = value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return ResponseHead(int(parts[1]), parts[2] if len(parts) > 2 else "", headers,
                        http10=parts[0] == "HTTP/1.0")


class ChunkedDecoder:
    """A `transfer-encoding: chunked` body, fed as it arrives; `done` after the last chunk."""

    def __init__(self) -> None:
        self._buf = b""
        self._left = 0  # bytes of the current chunk still to come
        self._state = "size"  # "size" | "data" | "crlf" | "trailer" | "done"

    @property
    def done(self) -> bool:
        """Whether the terminating chunk (and its trailer) has been read."""
        return self._state == "done"

    def feed(self, data: bytes) -> list[bytes]:
        """The body bytes `data` completes; RemoteProtocolError for a garbled chunk."""
        out: list[bytes] = []
        buf = self._buf + data if self._buf else data
        pos = 0
        while pos < len(buf) and self._state != "done":
            if self._state == "data":
                piece = buf[pos : pos + self._left]
                out.append(piece)
                pos += len(piece)
                self._left -= len(piece)
                if self._left == 0:
                    self._state = "crlf"
                continue
            end = buf.find(b"\r\n", pos)
            if end < 0:
                if len(buf) - pos > 1024:
                    raise RemoteProtocolError("the server sent a garbled chunk header")
                break
            line = buf[pos:end]
            pos = end + 2
            if self._state == "crlf":
                if line:
                    raise RemoteProtocolError("the server sent a chunk longer than its size")
                self._state = "size"
            elif self._state == "size":
                size = line.split(b";", 1)[0].strip()
                try:
                    self._left = int(size, 16)
                except ValueError:
                    raise RemoteProtocolError(f"the server sent a garbled chunk size: {size[:20]!r}") from None
                if self._left < 0:
                    raise RemoteProtocolError(f"the server sent a garbled chunk size: {size[:20]!r}")
                self._state = "data" if self._left else "trailer"
            elif not line:  # the blank line that ends the trailer
                self._state = "done"
        self._buf = buf[pos:] if self._state != "done" else b""
        return [piece for piece in out if piece]


def proxy_for(scheme: str, host: str, env: Mapping[str, str]) -> str | None:
    """The proxy the environment names for this scheme and host, or None (as curl and httpx
    read `<scheme>_proxy` / `all_proxy` and `no_proxy`, lower case first)."""
    def var(name: str) -> str:
        return (env.get(name) or env.get(name.upper()) or "").strip()

    proxy = var(f"{scheme}_proxy") or var("all_proxy")
    if not proxy:
        return None
    host = host.lower().strip("[]")
    for entry in var("no_proxy").split(","):
        entry = entry.strip().lower()
        if entry == "*":
            return None
        entry = entry.lstrip(".").split(":")[0] if entry.count(":") <= 1 else entry.strip("[]")
        if entry and (host == entry or host.endswith("." + entry)):
            return None
    return proxy
