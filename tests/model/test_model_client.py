"""The model client against the scripted server over real HTTP on 127.0.0.1."""

from __future__ import annotations

import time
from typing import Any

import pytest

from pycodex.model import events as me
from pycodex.model.client import ModelClient
from pycodex.model.errors import (
    ApiError,
    ContextWindowExceededError,
    MalformedStreamError,
    RetryableStreamError,
    UsageLimitReachedError,
)
from pycodex.model.prompt import ModelSettings, Prompt
from pycodex.model.providers import (
    MissingApiKeyError,
    ModelProviderInfo,
    api_key_for,
    built_in_providers,
)
from pycodex.protocol.models import FunctionCall, Message, user_message
from pycodex.protocol.policies import ReasoningEffort
from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer


def client(srv: ScriptedModelServer, wire: str = "responses", retries: int = 0, idle_ms: int = 300_000) -> ModelClient:
    p = ModelProviderInfo(name="m", base_url=srv.base_url, wire_api=wire, env_key="K",  # type: ignore[arg-type]
                          request_max_retries=retries, stream_idle_timeout_ms=idle_ms)
    return ModelClient(p, ModelSettings(model="gpt-5.5", effort=ReasoningEffort.HIGH, supports_reasoning=True),
                       "conv-1", env={"K": "secret"})


async def collect(c: ModelClient, tools: list[dict[str, Any]] | None = None) -> list[Any]:
    return [e async for e in c.stream(Prompt(input=[user_message("hi")], tools=tools or [], instructions="be brief"))]


async def test_request_body_and_headers() -> None:
    with ScriptedModelServer([sc.turn(sc.message("x"), sc.completed())]) as srv:
        await collect(client(srv), tools=[{"type": "function", "name": "f", "parameters": {}}])
    req = srv.requests[0]
    assert req.path == "/v1/responses"
    assert list(req.body) == ["model", "instructions", "input", "tools", "tool_choice", "parallel_tool_calls",
                              "reasoning", "store", "stream", "include", "prompt_cache_key"]
    assert req.body["reasoning"] == {"effort": "high", "summary": "auto"} and req.body["store"] is False
    assert req.body["prompt_cache_key"] == "conv-1"
    assert req.headers["authorization"] == "Bearer secret" and req.headers["session_id"] == "conv-1"
    assert req.headers["openai-beta"] == "responses=experimental"


async def test_items_deltas_and_usage() -> None:
    turn = sc.turn(sc.reasoning("think"), sc.text_deltas(["he", "llo"]),
                   sc.function_call("f", {"a": 1}, "c1"), sc.completed(input_tokens=7, cached=3, reasoning_tokens=2))
    with ScriptedModelServer([turn]) as srv:
        evs = await collect(client(srv))
    assert [e.delta for e in evs if isinstance(e, me.OutputTextDelta)] == ["he", "llo"]
    done = [e.item for e in evs if isinstance(e, me.OutputItemDone)]
    assert isinstance(done[1], Message) and done[1].text() == "hello"
    assert isinstance(done[2], FunctionCall) and done[2].call_id == "c1"
    usage = evs[-1].usage
    assert (usage.input_tokens, usage.cached_input_tokens, usage.reasoning_output_tokens) == (7, 3, 2)


async def test_twenty_thousand_deltas_decode() -> None:
    with ScriptedModelServer([sc.turn(sc.text_deltas([f"{i} " for i in range(20_000)]), sc.completed())]) as srv:
        t0 = time.perf_counter()
        evs = await collect(client(srv))
        elapsed = time.perf_counter() - t0
    assert sum(isinstance(e, me.OutputTextDelta) for e in evs) == 20_000
    print(f"20k deltas decoded in {elapsed:.3f}s")


async def test_http_400_is_api_error_with_server_text() -> None:
    """Bad input tried: HTTP 400 with an error body."""
    with ScriptedModelServer([sc.http_error(400, '{"error": {"message": "bad thing"}}')]) as srv:
        with pytest.raises(ApiError, match="bad thing") as ei:
            await collect(client(srv, retries=3))
    assert ei.value.status == 400 and len(srv.requests) == 1  # 400 is not retried


async def test_429_and_500_are_retried_then_succeed() -> None:
    turns = [sc.http_error(429, "slow down", {"retry-after": "0"}), sc.http_error(500, "oops"),
             sc.turn(sc.message("finally"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        evs = await collect(client(srv, retries=2))
    assert len(srv.requests) == 3 and isinstance(evs[-1], me.Completed)


async def test_retries_exhausted_is_retryable_stream_error() -> None:
    with ScriptedModelServer([sc.http_error(503, "down")] * 2) as srv:
        with pytest.raises(RetryableStreamError, match="503"):
            await collect(client(srv, retries=1))
    assert len(srv.requests) == 2


async def test_usage_limit_and_context_window_are_recognised() -> None:
    turns = [sc.http_error(429, '{"error": {"type": "usage_limit_reached"}}'),
             sc.turn(sc.failed("too long", code="context_length_exceeded"))]
    with ScriptedModelServer(turns) as srv:
        with pytest.raises(UsageLimitReachedError):
            await collect(client(srv))
        with pytest.raises(ContextWindowExceededError):
            await collect(client(srv))


async def test_response_failed_is_retryable_with_codex_text() -> None:
    with ScriptedModelServer([sc.turn(sc.failed("the model crashed"))]) as srv:
        with pytest.raises(RetryableStreamError, match="stream disconnected before completion: the model crashed"):
            await collect(client(srv))


async def test_idle_timeout() -> None:
    """Bad input tried: the server stops sending mid-stream."""
    with ScriptedModelServer([sc.turn(sc.text_deltas(["a"]), sc.stall())]) as srv:
        with pytest.raises(RetryableStreamError, match="idle timeout"):
            await collect(client(srv, idle_ms=300))


async def test_malformed_data() -> None:
    """Bad input tried: an SSE data line that is not JSON."""
    with ScriptedModelServer([sc.malformed()]) as srv:
        with pytest.raises(MalformedStreamError, match="malformed SSE data"):
            await collect(client(srv))


async def test_rate_limit_headers_become_first_event() -> None:
    turn = sc.turn(sc.message("x"), sc.completed(), headers=sc.rate_limit_headers(primary_used=12.5, primary_window=60, primary_reset=30))
    with ScriptedModelServer([turn]) as srv:
        evs = await collect(client(srv))
    assert isinstance(evs[0], me.RateLimits)
    p = evs[0].snapshot.primary
    assert (p.used_percent, p.window_minutes, p.resets_in_seconds) == (12.5, 60, 30)


async def test_chat_wire_text_tool_calls_and_usage() -> None:
    turn = sc.turn(sc.text_deltas(["hel", "lo"]), sc.function_call("f", {"x": 1}, "c1"),
                   sc.function_call("g", {}, "c2"), sc.completed(input_tokens=9, output_tokens=4))
    with ScriptedModelServer([turn]) as srv:
        evs = await collect(client(srv, wire="chat"), tools=[{"type": "function", "name": "f", "parameters": {}},
                                                             {"type": "custom", "name": "apply_patch"}])
    body = srv.requests[0].body
    assert srv.requests[0].path == "/v1/chat/completions"
    assert body["messages"][0] == {"role": "system", "content": "be brief"}
    assert [t["function"]["name"] for t in body["tools"]] == ["f", "apply_patch"]
    done = [e.item for e in evs if isinstance(e, me.OutputItemDone)]
    assert done[0].text() == "hello" and [d.call_id for d in done[1:]] == ["c1", "c2"]
    assert evs[-1].usage.input_tokens == 9


def test_missing_api_key_names_the_variable() -> None:
    """Bad input tried: OPENAI_API_KEY unset."""
    with pytest.raises(MissingApiKeyError, match="OPENAI_API_KEY"):
        api_key_for(built_in_providers({})["openai"], {})
    assert api_key_for(built_in_providers({})["openai"], {"CODEX_API_KEY": "k"}) == "k"
    assert api_key_for(built_in_providers({})["ollama"], {}) is None
