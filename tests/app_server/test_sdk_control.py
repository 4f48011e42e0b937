"""Controlling turns through the official SDK: interrupt, steer, two threads at once; and
model/list and the API-key account."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import pytest

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.app_server.harness import require_sdk, sdk_config, setup_home, tapped
from tests.app_server.schema import V2Schema
from tests.e2e.helpers import input_texts

require_sdk()
from openai_codex import AsyncCodex, Codex  # noqa: E402
from openai_codex.api import ApprovalMode, Sandbox  # noqa: E402
from openai_codex.errors import CodexError  # noqa: E402


def _start(codex: Any, ws: Path) -> Any:
    return codex.thread_start(cwd=str(ws), sandbox=Sandbox.full_access, approval_mode=ApprovalMode.deny_all)


def _long(cmd: str, call_id: str) -> list[dict[str, Any]]:
    return sc.function_call("exec_command", {"cmd": cmd, "yield_time_ms": 60000}, call_id)


def test_interrupt_kills_a_long_command(tmp_path: Path, v2schema: V2Schema) -> None:
    tap = tmp_path / "tap"
    marker = tmp_path / "pid"
    turns = [sc.turn(_long(f"echo $$ > {marker}; exec sleep 300", "c1"), sc.completed()),
             sc.turn(sc.message("after the interrupt"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        with Codex(sdk_config(home, ws, tap)) as codex:
            thread = _start(codex, ws)
            handle = thread.turn("run something long")
            events = []
            for event in handle.stream():
                events.append(event)
                if event.method == "item/started" and event.payload.item.root.type == "commandExecution":
                    _wait_for_file(marker)
                    started = time.monotonic()
                    assert handle.interrupt().model_dump() == {}
            took = time.monotonic() - started
            after = thread.run("go on")
    completed = events[-1].payload.turn
    assert completed.status.value == "interrupted" and completed.id == handle.id
    assert took < 10
    assert not _alive(int(marker.read_text()))
    command = [e.payload.item.root for e in events if e.method == "item/completed"
               and e.payload.item.root.type == "commandExecution"]
    assert command and command[0].status.value in ("failed", "completed")
    assert after.final_response == "after the interrupt"
    sent, received = tapped(tap)
    v2schema.check_all(sent, received)


def test_steer_folds_input_into_the_running_turn(tmp_path: Path, v2schema: V2Schema) -> None:
    """Steering mid-turn adds the input to the running turn's next request; steering with a
    stale turn id (bad input) is refused with the id that runs."""
    tap = tmp_path / "tap"
    gate = tmp_path / "gate"
    turns = [sc.turn(_long(f"while [ ! -e {gate} ]; do sleep 0.05; done; echo through", "c1"), sc.completed()),
             sc.turn(sc.message("steered answer"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        with Codex(sdk_config(home, ws, tap)) as codex:
            thread = _start(codex, ws)
            handle = thread.turn("start working")
            events = []
            for event in handle.stream():
                events.append(event)
                if event.method == "item/started" and event.payload.item.root.type == "commandExecution":
                    steered = handle.steer("also mention bananas")
                    with pytest.raises(CodexError, match="expected active turn id"):
                        codex._client.turn_steer(thread.id, "not-the-turn", "nope")
                    gate.touch()
    assert steered.turn_id == handle.id
    assert events[-1].payload.turn.status.value == "completed"
    assert "also mention bananas" in input_texts(srv.requests[1].body_json)
    users = [e.payload.item.root for e in events if e.method == "item/completed"
             and e.payload.item.root.type == "userMessage"]
    assert [u.content[0].root.text for u in users] == ["start working", "also mention bananas"]
    sent, received = tapped(tap)
    v2schema.check_all(sent, received)


def test_two_threads_run_at_once(tmp_path: Path, v2schema: V2Schema) -> None:
    """Two threads, each its own session, each turn with a 1.5 s command: both finish in
    about the time of one, each command in its own thread's directory."""
    tap = tmp_path / "tap"
    cmd = "sleep 1.5; pwd"
    turns = [sc.turn(_long(cmd, "a"), sc.completed()), sc.turn(_long(cmd, "b"), sc.completed()),
             sc.turn(sc.message("done"), sc.completed()), sc.turn(sc.message("done"), sc.completed())]
    ws_a, ws_b = tmp_path / "a", tmp_path / "b"
    ws_a.mkdir()
    ws_b.mkdir()

    async def main() -> list[Any]:
        async with AsyncCodex(sdk_config(home, ws, tap)) as codex:
            ta = await _start_async(codex, ws_a)
            tb = await _start_async(codex, ws_b)
            return list(await asyncio.gather(ta.run("in a"), tb.run("in b")))

    with ScriptedModelServer(turns) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        started = time.monotonic()
        results = asyncio.run(main())
        took = time.monotonic() - started
    for result, where in zip(results, (ws_a, ws_b), strict=True):
        assert result.status.value == "completed" and result.final_response == "done"
        command = next(i.root for i in result.items if i.root.type == "commandExecution")
        assert command.aggregated_output.strip() == str(where)
    assert took < 2.9 + 2.0, "the turns ran one after the other"  # start-up included
    sent, received = tapped(tap)
    v2schema.check_all(sent, received)
    ids = {m["params"]["threadId"] for m in received if m.get("method") == "turn/completed"}
    assert len(ids) == 2


async def _start_async(codex: Any, ws: Path) -> Any:
    return await codex.thread_start(cwd=str(ws), sandbox=Sandbox.full_access,
                                    approval_mode=ApprovalMode.deny_all)


def test_model_list_and_api_key_account(tmp_path: Path, v2schema: V2Schema) -> None:
    """Without a key in the environment a turn fails; after account/login/start with an API
    key the same server's threads use it; logout forgets it. Bad input: an unsupported login
    type and an empty key are refused naming the field."""
    tap = tmp_path / "tap"
    bad_login = {"type": "chatgpt"}
    with ScriptedModelServer([sc.turn(sc.message("with the key"), sc.completed())]) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        env = {k: v for k, v in os.environ.items() if k != "MOCK_API_KEY"}
        config = sdk_config(home, ws, tap)
        config.env = {**env, **{k: v for k, v in (config.env or {}).items() if k != "MOCK_API_KEY"}}
        with Codex(config) as codex:
            models = codex.models()
            before = codex.account()
            with pytest.raises(RuntimeError, match="MOCK_API_KEY"):
                _start(codex, ws).run("no key yet")
            with pytest.raises(CodexError, match="type"):
                codex._client.account_login_start(bad_login)
            with pytest.raises(CodexError, match="apiKey"):
                codex._client.account_login_start({"type": "apiKey", "apiKey": " "})
            codex.login_api_key("sk-from-login")
            during = codex.account()
            answer = _start(codex, ws).run("now with a key")
            codex.logout()
            after = codex.account()
    assert [m.id for m in models.data if m.is_default] == ["gpt-5.5"]
    assert before.account is None and during.account is not None and after.account is None
    assert during.account.root.type == "apiKey"
    assert answer.final_response == "with the key"
    assert srv.requests[-1].headers["authorization"] == "Bearer sk-from-login"
    sent, received = tapped(tap)
    v2schema.check_all(sent, received)
    assert "sk-from-login" not in (home / "config.toml").read_text()


def _wait_for_file(path: Path, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.read_text().strip()):
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False
