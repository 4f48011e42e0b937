"""The model wire through httpx, for environments that name a proxy (httpx speaks to HTTP and
SOCKS proxies and reads the proxy variables itself). Gives `transport.Response` and raises the
`http_wire` errors, so the model client cannot tell the two apart."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING

from pycodex.model.http_wire import ConnectError, ReadTimeout, TransportError, WriteTimeout
from pycodex.model.transport import Response

if TYPE_CHECKING:
    import httpx


def _mapped(e: Exception) -> TransportError:
    import httpx

    if isinstance(e, httpx.ReadTimeout):
        return ReadTimeout(str(e) or "read timed out")
    if isinstance(e, httpx.WriteTimeout):
        return WriteTimeout(str(e) or "write timed out")
    if isinstance(e, httpx.ConnectError | httpx.ConnectTimeout | httpx.ProxyError):
        return ConnectError(str(e) or type(e).__name__)
    return TransportError(str(e) or type(e).__name__)


class HttpxClient:
    """The same `post` / `aclose` as `transport.HttpClient`, through an httpx.AsyncClient."""

    def __init__(self, proxy: str, verify: bool) -> None:
        from pycodex.model.http import import_httpx

        self._httpx = import_httpx()
        # The proxy the session's environment names (which may not be this process's).
        self._client: httpx.AsyncClient = self._httpx.AsyncClient(proxy=proxy, verify=verify)

    async def post(self, url: str, content: bytes, headers: Mapping[str, str], *,
                   params: Mapping[str, str] | None = None, connect_timeout: float = 30.0,
                   read_timeout: float | None = None, write_timeout: float = 60.0) -> Response:
        """Send the request; returns once the answer's head has arrived."""
        hx = self._httpx
        timeout = hx.Timeout(connect_timeout, connect=connect_timeout, read=read_timeout,
                             write=write_timeout, pool=connect_timeout)
        request = self._client.build_request("POST", url, content=content, headers=dict(headers),
                                             params=dict(params) if params else None, timeout=timeout)
        try:
            response = await self._client.send(request, stream=True)
        except hx.RequestError as e:
            raise _mapped(e) from e

        async def body() -> AsyncIterator[bytes]:
            try:
                async for chunk in response.aiter_bytes():
                    yield chunk
            except hx.RequestError as e:
                raise _mapped(e) from e
            finally:
                await response.aclose()

        headers_out = {k.lower(): v for k, v in response.headers.items()}
        return Response(response.status_code, response.reason_phrase, headers_out, body(), response.aclose)

    async def aclose(self) -> None:
        """Close the httpx client and its connections."""
        await self._client.aclose()
