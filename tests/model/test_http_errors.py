"""HTTP-level failures: status errors, retries with backoff / Retry-After, transport errors."""

from __future__ import annotations

import json
import socket
import time

import pytest

from pycodex.model import events as me
from pycodex.model.errors import (
    ApiError,
    ContextWindowExceededError,
    RetryableStreamError,
    UsageLimitReachedError,
)
from pycodex.model.providers import MissingApiKeyError
from pycodex.protocol.events import CodexErrorInfo
from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.model.support import client, collect

OK = sc.turn(sc.message("finally"), sc.completed())


async def test_http_400_is_api_error_with_the_servers_body() -> None:
    """Bad input tried: HTTP 400 with a JSON error body."""
    body = json.dumps({"error": {"message": "Invalid 'input': bad thing", "type": "invalid_request_error"}})
    with ScriptedModelServer([sc.http_error(400, body)]) as srv:
        with pytest.raises(ApiError) as ei:
            await collect(client(srv, request_max_retries=3))
    assert str(ei.value) == body  # Codex shows the raw body
    assert ei.value.status == 400 and ei.value.error_info == CodexErrorInfo.BAD_REQUEST
    assert len(srv.requests) == 1  # a 400 is not retried


async def test_http_401_is_unauthorized_and_not_retried() -> None:
    """Bad input tried: HTTP 401 (a wrong API key)."""
    with ScriptedModelServer([sc.http_error(401, "Incorrect API key provided")]) as srv:
        with pytest.raises(ApiError, match="Incorrect API key") as ei:
            await collect(client(srv, request_max_retries=3))
    assert ei.value.error_info == CodexErrorInfo.UNAUTHORIZED and len(srv.requests) == 1


async def test_http_404_with_empty_body_names_the_status() -> None:
    """Bad input tried: HTTP 404 with no body."""
    with ScriptedModelServer([sc.http_error(404)]) as srv:
        with pytest.raises(ApiError, match="unexpected status 404 Not Found"):
            await collect(client(srv))


async def test_429_and_500_are_retried_then_succeed() -> None:
    turns = [sc.http_error(429, "slow down", {"retry-after": "0"}), sc.http_error(500, "oops"), OK]
    with ScriptedModelServer(turns) as srv:
        t0 = time.perf_counter()
        events = await collect(client(srv, request_max_retries=2))
        elapsed = time.perf_counter() - t0
    assert len(srv.requests) == 3 and isinstance(events[-1], me.Completed)
    assert elapsed >= 0.18  # the 500 waited backoff(2) ~ 0.4 s; the 429 asked for 0 s


async def test_retry_after_header_is_honoured() -> None:
    turns = [sc.http_error(503, "busy", {"retry-after": "0.5"}), OK]
    with ScriptedModelServer(turns) as srv:
        t0 = time.perf_counter()
        await collect(client(srv, request_max_retries=1))
        elapsed = time.perf_counter() - t0
    assert 0.5 <= elapsed < 2.5 and len(srv.requests) == 2


async def test_retries_exhausted_raise_retryable_error_with_status_and_body() -> None:
    """Bad input tried: HTTP 503 on every attempt."""
    with ScriptedModelServer([sc.http_error(503, "down for maintenance", {"retry-after": "0"})] * 3) as srv:
        with pytest.raises(RetryableStreamError) as ei:
            await collect(client(srv, request_max_retries=2))
    assert str(ei.value) == "unexpected status 503 Service Unavailable: down for maintenance"
    assert ei.value.error_info == CodexErrorInfo.INTERNAL_SERVER_ERROR
    assert len(srv.requests) == 3 and srv.remaining() == 0


async def test_429_usage_limit_is_final_and_keeps_rate_limits() -> None:
    """Bad input tried: HTTP 429 saying the usage limit is reached."""
    body = json.dumps({"error": {"type": "usage_limit_reached", "message": "You've hit your usage limit."}})
    headers = sc.rate_limit_headers(primary_used=100, primary_window=300, primary_reset=120)
    with ScriptedModelServer([sc.http_error(429, body, headers), OK]) as srv:
        with pytest.raises(UsageLimitReachedError, match="hit your usage limit") as ei:
            await collect(client(srv, request_max_retries=3))
    assert len(srv.requests) == 1 and ei.value.resets_in_seconds == 120
    assert ei.value.rate_limits is not None and ei.value.rate_limits.primary is not None


async def test_400_context_length_exceeded_is_context_window_error() -> None:
    """Bad input tried: HTTP 400 with code context_length_exceeded."""
    body = json.dumps({"error": {"code": "context_length_exceeded", "message": "Your input exceeds the context window"}})
    with ScriptedModelServer([sc.http_error(400, body)]) as srv:
        with pytest.raises(ContextWindowExceededError, match="exceeds the context window") as ei:
            await collect(client(srv))
    assert ei.value.error_info == CodexErrorInfo.CONTEXT_WINDOW_EXCEEDED


async def test_connection_refused_is_retried_then_reported() -> None:
    """Bad input tried: nothing listens on the provider's port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # the port is now free: connections are refused
    with ScriptedModelServer([]) as srv:
        c = client(srv, request_max_retries=1)
    c.provider = c.provider.model_copy(update={"base_url": f"http://127.0.0.1:{port}/v1"})
    t0 = time.perf_counter()
    with pytest.raises(RetryableStreamError, match=rf"error sending request for url \(http://127.0.0.1:{port}/v1/responses\)") as ei:
        await collect(c)
    assert ei.value.error_info == CodexErrorInfo.HTTP_CONNECTION_FAILED
    assert time.perf_counter() - t0 >= 0.17  # one backoff before the second attempt


async def test_no_turn_left_is_a_clear_500() -> None:
    """Bad input tried: more requests than the scenario scripts."""
    with ScriptedModelServer([]) as srv:
        with pytest.raises(RetryableStreamError, match="no turn left in the scenario"):
            await collect(client(srv))


async def test_missing_api_key_sends_nothing() -> None:
    """Bad input tried: the provider's env_key is not set."""
    with ScriptedModelServer([OK]) as srv:
        with pytest.raises(MissingApiKeyError, match="set the SCRIPTED_KEY environment variable"):
            await collect(client(srv, env={}))
    assert srv.requests == [] and srv.remaining() == 1
