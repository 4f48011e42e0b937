"""The scripted model server itself: HTTP behaviour, scenarios, CLI, fixture."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from pycodex.model import events as me
from pycodex.protocol.models import CustomToolCall, FunctionCall, Message, Reasoning
from pycodex.testing import scenario as sc
from pycodex.testing.demo import DEMO_NOTES, demo_scenario
from pycodex.testing.fixtures import ModelServerFactory
from pycodex.testing.render import render_responses
from pycodex.testing.scenario import Turn
from pycodex.testing.scenario_json import ScenarioError, load_scenario, scenario_from_json
from pycodex.testing.server import ScriptedModelServer
from tests.model.support import client, collect, done_items, prompt


def _get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _raw_exchange(port: int, payload: bytes, reads: int = 1) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(payload)
        data = b""
        while data.count(b"HTTP/1.1 ") < reads:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


def test_sync_use_probe_and_models() -> None:
    """From plain sync code: the websocket probe gets 426, /models a list."""
    with ScriptedModelServer([]) as srv:
        assert srv.base_url == f"http://127.0.0.1:{srv.port}/v1"
        status, body = _get(srv.base_url + "/responses")
        assert status == 426 and "websockets" in body["error"]["message"]
        status, body = _get(srv.base_url + "/models")
        assert status == 200 and body["data"][0]["id"]
        status, body = _get(srv.base_url + "/nothing")
        assert status == 404
    assert [r.method for r in srv.requests] == ["GET", "GET", "GET"]


def test_keep_alive_serves_two_requests_on_one_connection() -> None:
    with ScriptedModelServer([]) as srv:
        req = b"GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n"
        data = _raw_exchange(srv.port, req * 2, reads=2)
    assert data.count(b"HTTP/1.1 200 OK") == 2 and b"connection: keep-alive" in data


def test_chunked_request_body_is_read() -> None:
    with ScriptedModelServer([sc.turn(sc.message("ok"), sc.completed())]) as srv:
        body = json.dumps({"model": "m", "input": []}).encode()
        payload = (b"POST /v1/responses HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   + f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")
        data = _raw_exchange(srv.port, payload)
    assert data.startswith(b"HTTP/1.1 200 OK") and b"text/event-stream" in data
    assert srv.requests[0].body_json == {"model": "m", "input": []}


@pytest.mark.parametrize("payload", [b"HELLO\r\n\r\n", b"POST /v1/responses HTTP/1.1\r\nContent-Length: x\r\n\r\n"])
def test_garbage_request_gets_400(payload: bytes) -> None:
    """Bad input tried: a request line that is not HTTP, and a non-numeric content-length."""
    with ScriptedModelServer([sc.turn(sc.message("ok"))]) as srv:
        data = _raw_exchange(srv.port, payload)
        assert data.startswith(b"HTTP/1.1 400 Bad Request") and srv.remaining() == 1


def test_body_that_is_not_json_does_not_consume_a_turn() -> None:
    """Bad input tried: a POST whose body is not JSON."""
    with ScriptedModelServer([sc.turn(sc.message("ok"))]) as srv:
        req = urllib.request.Request(srv.base_url + "/responses", data=b"{oops", method="POST")
        with pytest.raises(urllib.error.HTTPError) as ei:
            urllib.request.urlopen(req, timeout=5)
        assert ei.value.code == 400 and srv.remaining() == 1
        assert srv.requests[0].body == "{oops"


async def test_add_turns_wait_for_requests_and_repeat() -> None:
    with ScriptedModelServer([sc.turn(sc.message("one"), sc.completed())]) as srv:
        srv.add_turns(sc.turn(sc.message("two"), sc.completed()))
        assert srv.remaining() == 2
        texts = [done_items(await collect(client(srv)))[0].text() for _ in range(2)]
        assert texts == ["one", "two"] and len(srv.wait_for_requests(2, timeout=1)) == 2
        with pytest.raises(TimeoutError):
            srv.wait_for_requests(3, timeout=0.05)
    with ScriptedModelServer([sc.turn(sc.message("again"), sc.completed())], repeat=True) as srv:
        texts = [done_items(await collect(client(srv)))[0].text() for _ in range(3)]
    assert texts == ["again"] * 3


async def test_delay_between_events() -> None:
    with ScriptedModelServer([sc.turn(sc.text_deltas(["a"]), sc.delay(300), sc.completed())]) as srv:
        c = client(srv)
        stamps = [(type(e), time.perf_counter()) async for e in c.stream(prompt())]
        await c.aclose()
    t_delta = next(t for k, t in stamps if k is me.OutputTextDelta)
    t_done = next(t for k, t in stamps if k is me.Completed)
    assert t_done - t_delta >= 0.28


def test_stop_cuts_a_stalled_stream_promptly() -> None:
    with ScriptedModelServer([sc.turn(sc.text_deltas(["a"]), sc.stall())]) as srv:
        conn = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        conn.sendall(b"POST /v1/responses HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}")
        srv.wait_for_requests(1)
        t0 = time.perf_counter()
    assert time.perf_counter() - t0 < 2
    conn.settimeout(5)
    data = b""
    while chunk := conn.recv(65536):
        data += chunk
    conn.close()
    assert b"output_text.delta" in data and b"response.completed" not in data


def test_prerendering_coalesces_twenty_thousand_deltas() -> None:
    turn = sc.turn(sc.text_deltas("x" * 20_000, n=20_000), sc.completed())
    segments = render_responses(turn)
    assert len(segments) == 1 and isinstance(segments[0], bytes)
    assert segments[0].count(b"response.output_text.delta") == 2 * 20_000  # event: line + JSON type


def test_text_deltas_split_and_turn_options() -> None:
    events = sc.text_deltas("abcdefg", n=3)
    assert [e["delta"] for e in events[:3]] == ["abc", "de", "fg"]
    t = sc.turn(sc.message("x"), sc.drop_after(1))
    assert t.drop_after == 1 and all("__drop_after__" not in e for e in t.events)
    with pytest.raises(ValueError, match="4xx or 5xx"):
        sc.http_error(200)


def test_json_scenario_round_trip_and_builder_format() -> None:
    turns = [sc.turn(sc.reasoning("r"), sc.function_call("f", {"a": 1}, "c1"), sc.stall(), headers={"x": "1"},
                     delay_ms=5), sc.http_error(429, "slow", {"retry-after": "1"})]
    again = [Turn.from_json(json.loads(json.dumps(t.to_json()))) for t in turns]
    assert again == turns
    data = {"turns": [
        {"events": [{"text_deltas": "hello", "n": 2}, {"function_call": {"name": "f", "arguments": {}, "call_id": "c"}},
                    {"custom_tool_call": {"name": "apply_patch", "input": "p", "call_id": "d"}},
                    {"delay_ms": 10}, "completed"], "drop_after": 9},
        {"http_error": {"status": 500, "body": "boom"}},
        {"malformed": "{bad", "events": [{"message": "m"}]},
    ]}
    a, b, c = scenario_from_json(data)
    assert [e.get("delta") for e in a.events[:2]] == ["hel", "lo"] and a.drop_after == 9
    assert (b.status, b.body) == (500, "boom")
    assert c.events[-1] == sc.raw("{bad")


@pytest.mark.parametrize(("data", "message"), [
    ({"turns": [{"events": [{"bogus": 1}]}]}, "turn 1: an event needs exactly one of"),
    ({"turns": [{"events": ["completed"]}, {"events": ["sleep"]}]}, "turn 2: unknown event 'sleep'"),
    ({"turns": [{"events": [{"function_call": {"name": "f"}}]}]}, "bad 'function_call' event"),
    ({"turns": [{"http_error": {"body": "x"}}]}, "bad http_error"),
    ({"turns": "no"}, "a scenario is a list of turns"),
])
def test_bad_json_scenarios_name_the_problem(data: Any, message: str) -> None:
    """Bad input tried: unknown event keys, unknown event names, missing arguments, bad shapes."""
    with pytest.raises(ScenarioError, match=message):
        scenario_from_json(data)


def test_load_scenario_names_and_bad_specs(tmp_path: Path) -> None:
    """Bad input tried: a missing file, a file that is not JSON, a non-numeric count."""
    assert len(load_scenario("deltas:5")[0].events) == 7  # 5 deltas, the message, completed
    assert len(load_scenario("calls:2")) == 3
    with pytest.raises(ScenarioError, match="neither a built-in scenario"):
        load_scenario(str(tmp_path / "missing.json"))
    (tmp_path / "bad.json").write_text("{nope")
    with pytest.raises(ScenarioError, match="not JSON"):
        load_scenario(str(tmp_path / "bad.json"))
    with pytest.raises(ScenarioError, match="must be a number"):
        load_scenario("deltas:many")


async def test_demo_scenario() -> None:
    with ScriptedModelServer(load_scenario("demo")) as srv:
        turns = [done_items(await collect(client(srv))) for _ in range(3)]
    reasoning, call = turns[0]
    assert isinstance(reasoning, Reasoning) and isinstance(call, FunctionCall)
    assert call.call_id == "call_demo_1" and json.loads(call.arguments) == {"cmd": "ls -1 && cat notes.txt"}
    patch = turns[1][-1]
    assert isinstance(patch, CustomToolCall) and patch.name == "apply_patch"
    assert "*** Add File: hello.txt\n+Hello from pycodex\n" in patch.input
    assert "-todo: say hello\n+done: said hello\n" in patch.input
    old_lines = [ln[1:] for ln in patch.input.splitlines() if ln[:1] in (" ", "-")]
    assert old_lines == DEMO_NOTES.splitlines()  # the patch applies to the demo's notes.txt
    assert isinstance(turns[2][0], Message) and "hello.txt" in turns[2][0].text()
    assert len(demo_scenario()) == 3


async def test_cli_serves_a_json_scenario_from_another_process(tmp_path: Path) -> None:
    scenario = tmp_path / "s.json"
    scenario.write_text(json.dumps([{"events": [{"message": "from a file"}, "completed"]}]))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pycodex.testing.server", "--scenario", str(scenario),
        stdout=asyncio.subprocess.PIPE)
    try:
        assert proc.stdout is not None
        base_url = json.loads(await proc.stdout.readline())["base_url"]
        with ScriptedModelServer([]) as dummy:
            c = client(dummy)
        c.provider = c.provider.model_copy(update={"base_url": base_url})
        events = await collect(c)
    finally:
        proc.terminate()
        code = await asyncio.wait_for(proc.wait(), 10)
    assert done_items(events)[0].text() == "from a file"
    assert code == 0  # SIGTERM stops it cleanly


def test_cli_bad_scenario_exits_2(tmp_path: Path) -> None:
    """Bad input tried: a scenario file with an unknown event."""
    scenario = tmp_path / "s.json"
    scenario.write_text(json.dumps([{"events": ["explode"]}]))
    proc = subprocess.run([sys.executable, "-m", "pycodex.testing.server", "--scenario", str(scenario)],
                          capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 2 and "turn 1: unknown event 'explode'" in proc.stderr and proc.stdout == ""


async def test_model_server_fixture(model_server: ModelServerFactory) -> None:
    srv = model_server([sc.turn(sc.message("via fixture"), sc.completed())])
    assert done_items(await collect(client(srv)))[0].text() == "via fixture"
