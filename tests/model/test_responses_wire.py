"""The Responses wire over real HTTP on 127.0.0.1: request shape, events, stream failures."""

from __future__ import annotations

import asyncio
import time

import pytest

from pycodex.model import events as me
from pycodex.model.errors import (
    ApiError,
    ContextWindowExceededError,
    MalformedStreamError,
    RetryableStreamError,
    UsageLimitReachedError,
)
from pycodex.protocol.events import CodexErrorInfo
from pycodex.protocol.models import (
    CustomToolCall,
    FunctionCall,
    FunctionCallOutput,
    LocalShellCall,
    Message,
    Reasoning,
    user_message,
)
from pycodex.protocol.policies import Verbosity
from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.model.support import client, collect, done_items, prompt

DROPPED = "stream disconnected before completion: stream closed before response.completed"


async def test_plain_message() -> None:
    with ScriptedModelServer([sc.turn(sc.message("hello there"), sc.completed(response_id="resp_9"))]) as srv:
        events = await collect(client(srv))
    assert [type(e) for e in events] == [me.OutputItemDone, me.Completed]
    item = done_items(events)[0]
    assert isinstance(item, Message) and item.role == "assistant" and item.text() == "hello there"
    assert isinstance(events[-1], me.Completed) and events[-1].response_id == "resp_9"


async def test_request_body_key_order_and_values() -> None:
    history = [user_message("hi"), FunctionCall(name="f", arguments="{}", call_id="c0"),
               FunctionCallOutput(call_id="c0", output="done")]
    tools = [{"type": "function", "name": "f", "parameters": {"type": "object"}}]
    with ScriptedModelServer([sc.turn(sc.message("x"), sc.completed())]) as srv:
        await collect(client(srv), prompt(tools, history))
    req = srv.requests[0]
    assert (req.method, req.path) == ("POST", "/v1/responses")
    body = req.body_json
    # Codex 0.169's fields in its order; no `instructions`: they lead `input` as a developer message.
    assert list(body) == ["model", "stream", "input", "tools", "tool_choice", "parallel_tool_calls",
                          "reasoning", "store", "include", "prompt_cache_key", "client_metadata"]
    assert body["model"] == "gpt-5.5"
    assert body["input"][0] == {"type": "message", "role": "developer",
                                "content": [{"type": "input_text", "text": "be brief"}]}
    assert [i["type"] for i in body["input"][1:]] == ["message", "function_call", "function_call_output"]
    assert body["input"][3] == {"type": "function_call_output", "call_id": "c0", "output": "done"}
    assert body["tools"] == tools and body["tool_choice"] == "auto" and body["parallel_tool_calls"] is True
    assert body["reasoning"] == {"effort": "high"}  # no summary unless one is chosen
    assert body["store"] is False and body["stream"] is True
    assert body["include"] == ["reasoning.encrypted_content"] and body["prompt_cache_key"] == "conv-1"
    assert body["client_metadata"] == {"session_id": "conv-1", "thread_id": "conv-1"}


async def test_request_without_reasoning_and_with_schema_and_verbosity() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    with ScriptedModelServer([sc.turn(sc.message("{}"), sc.completed())]) as srv:
        c = client(srv, reasoning=False)
        c.settings.verbosity = Verbosity.LOW
        p = prompt(output_schema=schema)
        p.instructions = ""
        await collect(c, p)
    body = srv.requests[0].body_json
    assert "instructions" not in body and "reasoning" not in body and body["include"] == []
    assert body["input"][0]["role"] == "user"  # no instructions: no developer message either
    assert list(body)[-2:] == ["text", "client_metadata"]
    assert body["text"] == {"verbosity": "low", "format": {
        "type": "json_schema", "name": "codex_output_schema", "strict": True, "schema": schema}}


async def test_request_headers() -> None:
    with ScriptedModelServer([sc.turn(sc.message("x"), sc.completed())] * 2) as srv:
        await collect(client(srv))
        await collect(client(srv, env={"SCRIPTED_KEY": "k2", "CODEX_INTERNAL_ORIGINATOR_OVERRIDE": "codex_sdk_ts",
                                       "ORG": "org-1"},
                             http_headers={"X-Static": "s"}, env_http_headers={"OpenAI-Organization": "ORG"},
                             query_params={"api-version": "2025-01-01"}))
    h = srv.requests[0].headers
    assert h["authorization"] == "Bearer secret" and h["openai-beta"] == "responses=experimental"
    assert h["originator"] == "pycodex_exec" and h["accept"] == "text/event-stream"
    assert h["session_id"] == "conv-1" and h["conversation_id"] == "conv-1"
    assert h["content-type"] == "application/json"
    h2 = srv.requests[1].headers
    assert h2["originator"] == "codex_sdk_ts" and h2["authorization"] == "Bearer k2"
    assert h2["x-static"] == "s" and h2["openai-organization"] == "org-1"
    assert srv.requests[1].query == {"api-version": "2025-01-01"}


async def test_twenty_thousand_deltas_decode_fast() -> None:
    n = 20_000
    with ScriptedModelServer([sc.turn(sc.text_deltas([f"{i} " for i in range(n)]), sc.completed())]) as srv:
        t0 = time.perf_counter()
        events = await collect(client(srv))
        elapsed = time.perf_counter() - t0
    deltas = [e.delta for e in events if isinstance(e, me.OutputTextDelta)]
    assert len(deltas) == n and deltas[:2] == ["0 ", "1 "] and deltas[-1] == f"{n - 1} "
    assert done_items(events)[0].text() == "".join(deltas)
    print(f"\n{n} deltas over HTTP decoded in {elapsed:.3f}s ({elapsed / n * 1e6:.1f} us/delta)")


async def test_reasoning_summary_and_raw_content() -> None:
    turn = sc.turn(sc.reasoning("**Plan** look first", raw="raw thoughts"), sc.message("ok"), sc.completed())
    with ScriptedModelServer([turn]) as srv:
        events = await collect(client(srv))
    kinds = [type(e) for e in events]
    assert kinds[:2] == [me.OutputItemAdded, me.ReasoningSummaryPartAdded]
    summary = "".join(e.delta for e in events if isinstance(e, me.ReasoningSummaryDelta))
    assert summary == "**Plan** look first"
    assert [e.delta for e in events if isinstance(e, me.ReasoningContentDelta)] == ["raw thoughts"]
    item = done_items(events)[0]
    assert isinstance(item, Reasoning) and item.summary[0].text == "**Plan** look first"
    assert item.content is not None and item.content[0].text == "raw thoughts"


async def test_tool_call_items() -> None:
    turn = sc.turn(sc.function_call("exec_command", {"cmd": "ls"}, "c1"),
                   sc.custom_tool_call("apply_patch", "*** Begin Patch\n*** End Patch", "c2"),
                   sc.local_shell_call(["ls", "-la"], "c3"), sc.completed())
    with ScriptedModelServer([turn]) as srv:
        items = done_items(await collect(client(srv)))
    fc, ctc, lsc = items
    assert isinstance(fc, FunctionCall) and (fc.name, fc.arguments, fc.call_id) == ("exec_command", '{"cmd": "ls"}', "c1")
    assert isinstance(ctc, CustomToolCall) and ctc.input.startswith("*** Begin Patch") and ctc.call_id == "c2"
    assert isinstance(lsc, LocalShellCall) and lsc.action.command == ["ls", "-la"] and lsc.call_id == "c3"


async def test_usage_becomes_token_usage() -> None:
    usage = sc.Usage(input_tokens=1200, output_tokens=80, cached=1000, reasoning_tokens=64)
    with ScriptedModelServer([sc.turn(sc.message("x"), sc.completed(usage))]) as srv:
        done = (await collect(client(srv)))[-1]
    assert isinstance(done, me.Completed) and done.usage is not None
    u = done.usage
    assert (u.input_tokens, u.cached_input_tokens, u.output_tokens, u.reasoning_output_tokens, u.total_tokens) == (
        1200, 1000, 80, 64, 1280)


async def test_web_search_call_added_then_done() -> None:
    with ScriptedModelServer([sc.turn(sc.web_search_call("weather"), sc.completed())]) as srv:
        events = await collect(client(srv))
    assert isinstance(events[0], me.OutputItemAdded) and events[0].item.id == events[1].item.id


async def test_unknown_item_type_is_skipped() -> None:
    """Bad input tried: an output item of a type we do not know."""
    future = {"type": "response.output_item.done", "item": {"type": "hologram", "id": "h1"}}
    with ScriptedModelServer([sc.turn(future, sc.message("still fine"), sc.completed())]) as srv:
        events = await collect(client(srv))
    assert [i.text() for i in done_items(events)] == ["still fine"]


async def test_known_item_with_missing_field_is_malformed() -> None:
    """Bad input tried: a function_call item without call_id."""
    bad = {"type": "response.output_item.done", "item": {"type": "function_call", "name": "f", "arguments": "{}"}}
    with ScriptedModelServer([sc.turn(bad, sc.completed())]) as srv:
        with pytest.raises(MalformedStreamError, match=r"'function_call' item .*call_id"):
            await collect(client(srv))


async def test_stream_dropped_mid_way_has_codex_text() -> None:
    """Bad input tried: the connection closes after two deltas, before response.completed."""
    turn = sc.turn(sc.text_deltas(["a", "b", "c"]), sc.completed(), drop_after=2)
    with ScriptedModelServer([turn]) as srv:
        got: list[me.ResponseEvent] = []
        with pytest.raises(RetryableStreamError) as ei:
            async for e in client(srv).stream(prompt()):
                got.append(e)
    assert str(ei.value) == DROPPED and ei.value.retry_after is None
    assert [e.delta for e in got if isinstance(e, me.OutputTextDelta)] == ["a", "b"]
    assert ei.value.error_info == CodexErrorInfo.RESPONSE_STREAM_DISCONNECTED


async def test_drop_marker_inside_turn() -> None:
    """Bad input tried: a stream cut right after a function call item."""
    with ScriptedModelServer([sc.turn(sc.function_call("f", {}, "c1"), sc.drop(), sc.completed())]) as srv:
        with pytest.raises(RetryableStreamError, match=r"stream closed before response\.completed"):
            await collect(client(srv))


async def test_response_failed_is_retryable_with_codex_text() -> None:
    """Bad input tried: response.failed with a server error."""
    turns = [sc.turn(sc.failed("the model crashed", code="server_error")),
             sc.turn(sc.failed("Rate limit reached. Please try again in 1.5s.", code="rate_limit_exceeded"))]
    with ScriptedModelServer(turns) as srv:
        with pytest.raises(RetryableStreamError) as first:
            await collect(client(srv))
        with pytest.raises(RetryableStreamError) as second:
            await collect(client(srv))
    assert str(first.value) == "stream disconnected before completion: the model crashed"
    assert second.value.retry_after == 1.5


@pytest.mark.parametrize(("code", "error"), [("context_length_exceeded", ContextWindowExceededError),
                                             ("insufficient_quota", UsageLimitReachedError),
                                             ("invalid_prompt", ApiError)])
async def test_response_failed_final_codes(code: str, error: type[Exception]) -> None:
    """Bad input tried: response.failed with a code no retry can fix."""
    with ScriptedModelServer([sc.turn(sc.failed(f"failed: {code}", code=code))]) as srv:
        with pytest.raises(error, match=f"failed: {code}") as ei:
            await collect(client(srv))
    assert not isinstance(ei.value, RetryableStreamError)


async def test_response_incomplete_is_retryable() -> None:
    """Bad input tried: response.incomplete (max_output_tokens)."""
    with ScriptedModelServer([sc.turn(sc.text_deltas("partial"), sc.incomplete())]) as srv:
        with pytest.raises(RetryableStreamError, match="reason: max_output_tokens"):
            await collect(client(srv))


async def test_malformed_sse_data_is_a_clear_error() -> None:
    """Bad input tried: an SSE data line that is not JSON, after a valid delta."""
    with ScriptedModelServer([sc.malformed(sc.text_deltas(["ok"]), data="{this is not json")]) as srv:
        with pytest.raises(MalformedStreamError) as ei:
            await collect(client(srv))
    msg = str(ei.value)
    assert "malformed SSE data from the model server" in msg and "not valid JSON" in msg
    assert "{this is not json" in msg and "\n" not in msg


async def test_sse_data_that_is_not_an_object() -> None:
    """Bad input tried: an SSE data line holding a JSON array."""
    with ScriptedModelServer([sc.turn(sc.raw("[1, 2]"))]) as srv:
        with pytest.raises(MalformedStreamError, match="not a JSON object"):
            await collect(client(srv))


async def test_answer_that_is_not_sse() -> None:
    """Bad input tried: HTTP 200 with content-type application/json instead of a stream."""
    turn = sc.turn(sc.raw('{"output": []}'), headers={"content-type": "application/json"})
    with ScriptedModelServer([turn]) as srv:
        with pytest.raises(MalformedStreamError, match="'application/json' instead of an SSE stream"):
            await collect(client(srv))


async def test_idle_timeout() -> None:
    """Bad input tried: the server goes silent mid-stream."""
    with ScriptedModelServer([sc.turn(sc.text_deltas(["a"]), sc.stall())]) as srv:
        t0 = time.perf_counter()
        with pytest.raises(RetryableStreamError, match="idle timeout") as ei:
            await collect(client(srv, stream_idle_timeout_ms=300))
        elapsed = time.perf_counter() - t0
    assert str(ei.value).startswith("stream disconnected before completion: ")
    assert 0.25 < elapsed < 3


async def test_idle_timeout_does_not_count_the_consumers_time() -> None:
    """A slow consumer (e.g. running a tool between items) is not an idle server."""
    turn = sc.turn(sc.function_call("f", {}, "c1"), sc.function_call("g", {}, "c2"), sc.completed())
    with ScriptedModelServer([turn]) as srv:
        c = client(srv, stream_idle_timeout_ms=100)
        seen = []
        async for e in c.stream(prompt()):
            seen.append(e)
            await asyncio.sleep(0.15)  # longer than the idle limit
        await c.aclose()
    assert isinstance(seen[-1], me.Completed) and len(done_items(seen)) == 2


async def test_rate_limit_headers_become_the_first_event() -> None:
    headers = sc.rate_limit_headers(primary_used=12.5, primary_window=300, primary_reset=30,
                                    secondary_used=40, secondary_window=10080, secondary_reset_at=1_900_000_000)
    with ScriptedModelServer([sc.turn(sc.message("x"), sc.completed(), headers=headers)]) as srv:
        events = await collect(client(srv))
    first = events[0]
    assert isinstance(first, me.RateLimits)
    p, s = first.snapshot.primary, first.snapshot.secondary
    assert p is not None and (p.used_percent, p.window_minutes, p.resets_in_seconds) == (12.5, 300, 30)
    assert s is not None and (s.used_percent, s.window_minutes, s.resets_at) == (40.0, 10080, 1_900_000_000)


async def test_no_rate_limit_event_without_headers() -> None:
    with ScriptedModelServer([sc.turn(sc.message("x"), sc.completed())]) as srv:
        events = await collect(client(srv))
    assert not any(isinstance(e, me.RateLimits) for e in events)


async def test_connection_cut_inside_the_http_body() -> None:
    """Bad input tried: the server promises 100000 body bytes and closes after one event."""
    turn = sc.turn(sc.text_deltas(["a"]), sc.drop(), headers={"content-length": "100000"})
    with ScriptedModelServer([turn]) as srv:
        with pytest.raises(RetryableStreamError, match=r"^stream disconnected before completion: peer closed") as ei:
            await collect(client(srv))
    assert ei.value.error_info == CodexErrorInfo.RESPONSE_STREAM_DISCONNECTED


async def test_closing_the_stream_early_releases_the_connection() -> None:
    """An interrupted turn closes its stream; the server sees the client leave."""
    with ScriptedModelServer([sc.turn(sc.text_deltas(["a"]), sc.stall())]) as srv:
        c = client(srv)
        agen = c.stream(prompt())
        first = await anext(agen)
        assert srv.open_connections == 1
        await agen.aclose()
        await c.aclose()
        for _ in range(100):
            if srv.open_connections == 0:
                break
            await asyncio.sleep(0.01)
        assert srv.open_connections == 0
    assert isinstance(first, me.OutputTextDelta)
