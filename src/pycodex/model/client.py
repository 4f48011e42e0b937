"""The model client: one streaming request, HTTP retries, rate-limit headers."""

from __future__ import annotations

import asyncio
import email.utils
import os
import random
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from pycodex.model.errors import ApiError, RetryableStreamError
from pycodex.model.events import RateLimits, ResponseEvent
from pycodex.model.prompt import ModelSettings, Prompt
from pycodex.model.providers import ModelProviderInfo, api_key_for
from pycodex.model.ratelimits import parse_rate_limits
from pycodex.protocol.events import CodexErrorInfo

if TYPE_CHECKING:
    import httpx

RETRYABLE_STATUS = {408, 409, 429, 500, 502, 503, 504}


def backoff(attempt: int) -> float:
    """Seconds to wait before retry `attempt` (1-based): 0.2 s doubling, ±10 % jitter."""
    delay: float = 0.2 * (2 ** max(0, attempt - 1)) * random.uniform(0.9, 1.1)
    return delay


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """The server's Retry-After (seconds or an HTTP date), if any."""
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        when = email.utils.parsedate_to_datetime(raw)
        return max(0.0, when.timestamp() - time.time()) if when else None


class ModelClient:
    """Streams responses from one provider for one model."""

    def __init__(
        self,
        provider: ModelProviderInfo,
        settings: ModelSettings,
        conversation_id: str,
        http: httpx.AsyncClient | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.provider = provider
        self.settings = settings
        self.conversation_id = conversation_id
        self._http = http
        self._env = dict(os.environ) if env is None else env

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            from pycodex.model.http import import_httpx

            httpx = import_httpx()
            self._http = httpx.AsyncClient(timeout=httpx.Timeout(30.0, read=None))
        return self._http

    def _headers(self) -> dict[str, str]:
        headers = {
            "accept": "text/event-stream",
            "content-type": "application/json",
            "originator": self._env.get("CODEX_INTERNAL_ORIGINATOR_OVERRIDE", "pycodex_exec"),
            "session_id": self.conversation_id,
            "conversation_id": self.conversation_id,
        }
        key = api_key_for(self.provider, self._env)
        if key:
            headers["authorization"] = f"Bearer {key}"
        headers.update(self.provider.headers(self._env))
        return headers

    async def stream(self, prompt: Prompt) -> AsyncIterator[ResponseEvent]:
        """The response to one request, as events; raises a ModelError on failure."""
        headers = self._headers()
        if self.provider.wire_api == "chat":
            from pycodex.model.chat import build_chat_request, decode_chat_stream

            path, body = "/chat/completions", build_chat_request(prompt, self.settings)
            decode: Any = decode_chat_stream
        else:
            from pycodex.model.responses import build_responses_request, decode_responses_stream

            path = "/responses"
            body = build_responses_request(prompt, self.settings, self.conversation_id)
            headers.setdefault("OpenAI-Beta", "responses=experimental")
            decode = decode_responses_stream
        url = self.provider.base_url.rstrip("/") + path
        idle = self.provider.stream_idle_timeout_ms / 1000
        async with self._open(url, body, headers) as response:
            snapshot = parse_rate_limits(response.headers)
            if snapshot is not None:
                yield RateLimits(snapshot)
            async for event in decode(response, idle):
                yield event

    def _open(self, url: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
        return _RetryingStream(self._client(), url, body, headers, self.provider)


class _RetryingStream:
    """Opens the streaming POST, retrying transport errors and retryable statuses."""

    def __init__(
        self, http: httpx.AsyncClient, url: str, body: dict[str, Any], headers: dict[str, str],
        provider: ModelProviderInfo,
    ) -> None:
        self._http, self._url, self._body, self._headers = http, url, body, headers
        self._provider = provider
        self._cm: Any = None

    async def __aenter__(self) -> httpx.Response:
        import httpx

        params = self._provider.query_params or None
        attempts = self._provider.request_max_retries + 1
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            cm = self._http.stream("POST", self._url, json=self._body, headers=self._headers, params=params)
            try:
                response = await cm.__aenter__()
            except httpx.TransportError as e:
                if last:
                    raise RetryableStreamError(
                        f"stream disconnected before completion: {type(e).__name__}: {e}",
                    ) from e
                await asyncio.sleep(backoff(attempt))
                continue
            if response.status_code < 400:
                self._cm = cm
                return response
            text = (await response.aread()).decode("utf-8", errors="replace")
            await cm.__aexit__(None, None, None)
            status = response.status_code
            if status in RETRYABLE_STATUS and not last:
                await asyncio.sleep(retry_after_seconds(response.headers) or backoff(attempt))
                continue
            raise _status_error(status, text, retry_after_seconds(response.headers))
        raise AssertionError("unreachable")

    async def __aexit__(self, *exc: object) -> None:
        if self._cm is not None:
            await self._cm.__aexit__(*exc)


def _status_error(status: int, text: str, retry_after: float | None) -> Exception:
    from pycodex.model.errors import ContextWindowExceededError, UsageLimitReachedError

    lowered = text.lower()
    if "context_length_exceeded" in lowered:
        return ContextWindowExceededError(text)
    if status == 429 and ("usage_limit" in lowered or "insufficient_quota" in lowered):
        return UsageLimitReachedError(text)
    if status in RETRYABLE_STATUS:
        return RetryableStreamError(
            f"unexpected status {status}: {text}", retry_after
        )
    info = {
        400: CodexErrorInfo.BAD_REQUEST,
        401: CodexErrorInfo.UNAUTHORIZED,
        403: CodexErrorInfo.UNAUTHORIZED,
    }.get(status, CodexErrorInfo.HTTP_CONNECTION_FAILED)
    return ApiError(status, text or f"HTTP {status}", info)
