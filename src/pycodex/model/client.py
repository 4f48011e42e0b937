"""The model client: one streaming request per call, HTTP-level retries, rate-limit headers.

Two retry levels, as in Codex:
- here, the HTTP request is retried `request_max_retries` times on transport errors and on
  408/409/429/5xx (waiting the server's Retry-After, else `backoff`), each retry announced by a
  `Retrying` event before its wait; then the error is raised;
- the caller (the turn loop) retries the whole request on any `RetryableStreamError` up to
  `stream_max_retries` times, with `backoff` or the error's `retry_after`.

Heavy modules (httpx, pydantic models) are imported on first use so that importing the client
costs almost nothing.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any

from pycodex.model.retry import backoff
from pycodex.protocol.text import encode_utf8

if TYPE_CHECKING:
    import httpx

    from pycodex.model.events import ResponseEvent, Retrying
    from pycodex.model.prompt import ModelSettings, Prompt
    from pycodex.model.providers import ModelProviderInfo

__all__ = ["DEFAULT_ORIGINATOR", "ModelClient", "backoff"]

DEFAULT_ORIGINATOR = "pycodex_exec"
ORIGINATOR_ENV = "CODEX_INTERNAL_ORIGINATOR_OVERRIDE"
CONNECT_TIMEOUT_S = 30.0
WRITE_TIMEOUT_S = 60.0
MAX_ERROR_BODY = 64 * 1024  # an error page is for a message, not for memory

Decoder = Callable[["httpx.Response", float], AsyncIterator["ResponseEvent"]]


def _header_safe(value: str) -> bool:
    # A control character would make httpx refuse the whole request.
    return value.isprintable()


class ModelClient:
    """Streams responses for one conversation from one provider and model."""

    def __init__(
        self,
        provider: ModelProviderInfo,
        settings: ModelSettings,
        conversation_id: str,
        http: httpx.AsyncClient | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.provider = provider
        self.settings = settings
        self.conversation_id = conversation_id
        self._http = http
        self._owns_http = http is None
        self._env: Mapping[str, str] = dict(os.environ) if env is None else env

    # ---- the request ------------------------------------------------------------------------

    def headers(self) -> dict[str, str]:
        """The request headers; raises MissingApiKeyError when the provider's key is unset."""
        from pycodex import __version__
        from pycodex.model.providers import api_key_for

        originator = self._env.get(ORIGINATOR_ENV, "").strip() or DEFAULT_ORIGINATOR
        if not _header_safe(originator):
            originator = DEFAULT_ORIGINATOR
        headers = {
            "content-type": "application/json",
            "accept": "text/event-stream",
            "originator": originator,
            "user-agent": f"{originator}/{__version__}",
            "session_id": self.conversation_id,
            "conversation_id": self.conversation_id,
        }
        if self.provider.wire_api == "responses":
            headers["openai-beta"] = "responses=experimental"
        key = api_key_for(self.provider, self._env)
        if key:
            headers["authorization"] = f"Bearer {key}"
        # Provider headers win; names are case-insensitive, so merge them lowercased.
        for name, value in self.provider.headers(self._env).items():
            if _header_safe(name) and _header_safe(value):
                headers[name.lower()] = value
        return headers

    def build(self, prompt: Prompt) -> tuple[str, dict[str, Any], Decoder]:
        """The URL, the JSON body and the stream decoder for this provider's wire."""
        if self.provider.wire_api == "chat":
            from pycodex.model.chat import build_chat_request, custom_tool_names, decode_chat_stream

            names = custom_tool_names(prompt.tools)

            def decode(response: httpx.Response, idle: float) -> AsyncIterator[ResponseEvent]:
                return decode_chat_stream(response, idle, names)

            body = build_chat_request(prompt, self.settings)
            return self.provider.url("/chat/completions"), body, decode
        from pycodex.model.responses import build_responses_request, decode_responses_stream

        body = build_responses_request(prompt, self.settings, self.conversation_id)
        return self.provider.url("/responses"), body, decode_responses_stream

    # ---- streaming --------------------------------------------------------------------------

    async def stream(self, prompt: Prompt) -> AsyncIterator[ResponseEvent]:
        """The response to one request as events, ending with Completed; raises a ModelError."""
        from pycodex.model.events import RateLimits, Retrying
        from pycodex.model.ratelimits import parse_rate_limits

        url, body, decode = self.build(prompt)
        headers = self.headers()
        idle = self.provider.stream_idle_timeout_ms / 1000
        response: httpx.Response | None = None
        async for step in self._send(url, body, headers, idle):
            if isinstance(step, Retrying):
                yield step  # shown to the user before the wait, not after
            else:
                response = step
        assert response is not None  # _send yields the response or raises
        try:
            snapshot = parse_rate_limits(response.headers)
            if snapshot is not None:
                yield RateLimits(snapshot)
            async for event in decode(response, idle):
                yield event
        finally:
            await response.aclose()

    async def _send(
        self, url: str, body: dict[str, Any], headers: dict[str, str], idle: float
    ) -> AsyncIterator[Retrying | httpx.Response]:
        """POST with HTTP-level retries: a Retrying before each wait, then the open 2xx response."""
        import asyncio  # loaded by whoever runs this coroutine; not needed to import the client

        from pycodex.model.errors import RetryableStreamError
        from pycodex.model.events import Retrying
        from pycodex.model.failures import status_error, transport_error
        from pycodex.model.http import import_httpx
        from pycodex.model.ratelimits import parse_rate_limits
        from pycodex.model.retry import retry_after_seconds

        httpx = import_httpx()
        client = self._client()
        # Serialised once for every attempt; compact and UTF-8 as httpx's json= would be.
        content = encode_utf8(json.dumps(body, ensure_ascii=False, separators=(",", ":")))
        # The read timeout is the idle timeout: it bounds every wait for data from the server.
        timeout = httpx.Timeout(CONNECT_TIMEOUT_S, connect=CONNECT_TIMEOUT_S, read=idle,
                                write=WRITE_TIMEOUT_S, pool=CONNECT_TIMEOUT_S)
        params = self.provider.query_params or None
        attempts = self.provider.request_max_retries + 1
        for attempt in range(1, attempts + 1):
            request = client.build_request(
                "POST", url, content=content, headers=headers, params=params, timeout=timeout
            )
            try:
                response = await client.send(request, stream=True)
            except httpx.RequestError as e:
                error: Exception = transport_error(url, e)
            else:
                if response.is_success:
                    yield response
                    return
                text = await _read_error_body(response)
                error = status_error(
                    response.status_code,
                    response.reason_phrase,
                    text,
                    retry_after=retry_after_seconds(response.headers),
                    rate_limits=parse_rate_limits(response.headers),
                    provider=self.provider,
                )
            if not isinstance(error, RetryableStreamError) or attempt == attempts:
                raise error
            delay = error.retry_after if error.retry_after is not None else backoff(attempt)
            yield Retrying(attempt, attempts - 1, delay, str(error))
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # the loop returns or raises

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            from pycodex.model.http import import_httpx

            httpx = import_httpx()
            # Loading the CA bundle costs ~50 ms; plain-http providers never need it.
            self._http = httpx.AsyncClient(verify=self.provider.base_url.startswith("https://"))
        return self._http

    async def aclose(self) -> None:
        """Close the HTTP client if this client created it."""
        if self._owns_http and self._http is not None:
            await self._http.aclose()
            self._http = None


async def _read_error_body(response: httpx.Response) -> str:
    """The error answer's text (at most MAX_ERROR_BODY bytes); "" if the connection fails."""
    data = bytearray()
    try:
        async for chunk in response.aiter_bytes():
            data += chunk
            if len(data) >= MAX_ERROR_BODY:
                break
    except Exception:  # the status alone still makes a useful error
        pass
    finally:
        await response.aclose()
    return bytes(data[:MAX_ERROR_BODY]).decode("utf-8", errors="replace")
