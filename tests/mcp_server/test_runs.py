"""`codex` and `codex-reply` against the scripted model server, through the SDK's stdio client."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import input_texts
from tests.mcp_server.harness import NO_SANDBOX, Recorder, connect, setup_home, text_of


def _wait_for_file(path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def _command_then_answer(answer: str) -> list[sc.Turn]:
    return [
        sc.turn(sc.function_call("exec_command", {"cmd": "echo hi > out.txt; echo done"}, "c1"), sc.completed()),
        sc.turn(sc.text_deltas(answer, 3), sc.completed()),
    ]


async def test_codex_runs_a_command_and_returns_the_answer(tmp_path: Path) -> None:
    rec = Recorder()
    with ScriptedModelServer(_command_then_answer("the answer is 42")) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        async with connect(home, ws, rec) as client:
            result = await client.call_tool("codex", {"prompt": "write out.txt, then answer", **NO_SANDBOX})
    assert not result.is_error
    assert text_of(result) == "the answer is 42"
    thread_id = result.structured_content["threadId"]
    assert result.structured_content == {"threadId": thread_id, "content": "the answer is 42"}
    assert (ws / "out.txt").read_text() == "hi\n"
    # Every event went out as `codex/event`, tagged with the tool call and the thread.
    first = rec.events[0]
    assert first["id"] == "" and first["msg"]["type"] == "session_configured"
    assert first["msg"]["session_id"] == thread_id and first["msg"]["cwd"] == str(ws)
    assert {e["_meta"]["threadId"] for e in rec.events} == {thread_id}
    assert len({e["_meta"]["requestId"] for e in rec.events}) == 1
    # As in Codex, the turn's events carry the tool call's request id as their submission id.
    assert all(e["id"] == str(e["_meta"]["requestId"]) for e in rec.events[1:])
    kinds = [e["msg"]["type"] for e in rec.events]
    for kind in ["task_started", "exec_command_begin", "exec_command_end", "agent_message_delta",
                 "agent_message", "task_complete"]:
        assert kind in kinds
    assert kinds[-1] == "task_complete"
    end = rec.msgs("exec_command_end")[0]
    assert end["exit_code"] == 0 and end["stdout"] == "done\n"
    assert srv.requests[0].body_json["model"] == "gpt-5.5"


async def test_codex_arguments_reach_the_session(tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    rec = Recorder()
    with ScriptedModelServer([sc.turn(sc.message("ok"), sc.completed())]) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        async with connect(home, ws, rec) as client:
            result = await client.call_tool("codex", {
                "prompt": "hello", "model": "gpt-5.4", "cwd": "../other", "approval-policy": "never",
                "sandbox": "read-only", "base-instructions": "BASE TEXT", "developer-instructions": "DEV TEXT",
                "config": {"model_reasoning_effort": "high"}, "unknown-arg": 1})
        body = srv.requests[0].body_json
    assert text_of(result) == "ok"
    configured = rec.msgs("session_configured")[0]
    assert configured["cwd"] == str(other) and configured["approval_policy"] == "never"
    assert configured["sandbox_policy"] == {"type": "read-only"}
    assert body["model"] == "gpt-5.4" and body["reasoning"]["effort"] == "high"
    texts = input_texts(body)
    assert texts[0] == "BASE TEXT"  # the base instructions lead the input, as in Codex
    assert "DEV TEXT" in texts and texts[-1] == "hello"


async def test_codex_reply_continues_the_thread(tmp_path: Path) -> None:
    turns = [sc.turn(sc.message("first answer"), sc.completed()),
             sc.turn(sc.message("second answer"), sc.completed()),
             sc.turn(sc.message("third answer"), sc.completed())]
    rec = Recorder()
    with ScriptedModelServer(turns) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        async with connect(home, ws, rec) as client:
            first = await client.call_tool("codex", {"prompt": "remember the word PAPAYA", **NO_SANDBOX})
            thread_id = first.structured_content["threadId"]
            second = await client.call_tool("codex-reply", {"threadId": thread_id, "prompt": "which word?"})
            # Older clients name the thread `conversationId`.
            third = await client.call_tool("codex-reply", {"conversationId": thread_id, "prompt": "again?"})
        bodies = [r.body_json for r in srv.requests]
    assert [text_of(r) for r in (first, second, third)] == ["first answer", "second answer", "third answer"]
    assert second.structured_content == {"threadId": thread_id, "content": "second answer"}
    assert third.structured_content["threadId"] == thread_id
    history = input_texts(bodies[1])
    assert "remember the word PAPAYA" in history and "first answer" in history and "which word?" in history
    assert "second answer" in input_texts(bodies[2])
    assert {e["_meta"]["threadId"] for e in rec.events} == {thread_id}
    assert len(rec.msgs("session_configured")) == 1  # a reply continues; it starts nothing


async def test_two_calls_at_once_run_as_separate_conversations(tmp_path: Path) -> None:
    """One call's command sleeps while the other call starts, finishes and answers."""
    marker = tmp_path / "slow-started"
    slow = sc.turn(sc.function_call("exec_command", {"cmd": f"touch {marker}; sleep 3; echo slept"}, "s1"),
                   sc.completed())
    turns = [slow, sc.turn(sc.message("quick answer"), sc.completed()),
             sc.turn(sc.message("slow answer"), sc.completed())]
    rec = Recorder()
    done_at: dict[str, float] = {}
    with ScriptedModelServer(turns) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        async with connect(home, ws, rec) as client:
            async def call(prompt: str) -> tuple[str, str]:
                result = await client.call_tool("codex", {"prompt": prompt, **NO_SANDBOX})
                done_at[text_of(result)] = time.monotonic()
                return text_of(result), result.structured_content["threadId"]

            slow_call = asyncio.create_task(call("the slow one"))
            await asyncio.to_thread(_wait_for_file, marker)  # the first request got the sleep
            quick = await call("the quick one")
            slowed = await slow_call
        bodies = [r.body_json for r in srv.requests]
    assert quick[0] == "quick answer" and slowed[0] == "slow answer"
    assert quick[1] != slowed[1]
    assert done_at["quick answer"] < done_at["slow answer"] - 1  # it did not wait for the sleep
    # Each conversation's requests hold only its own prompt.
    assert "the slow one" in input_texts(bodies[0]) and "the quick one" not in input_texts(bodies[0])
    assert "the quick one" in input_texts(bodies[1]) and "the slow one" not in input_texts(bodies[1])
    assert "slept\n" in input_texts(bodies[2])[-1]
    per_thread = {e["_meta"]["threadId"] for e in rec.events}
    assert per_thread == {quick[1], slowed[1]}


async def test_threads_are_in_the_session_store(tmp_path: Path) -> None:
    """`pycodex sessions list` lists the thread, `pycodex exec resume` continues it, and a new
    server process continues it with `codex-reply`."""
    turns = [sc.turn(sc.message("stored answer"), sc.completed()),
             sc.turn(sc.message("resumed by exec"), sc.completed()),
             sc.turn(sc.message("resumed by a new server"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        async with connect(home, ws, Recorder()) as client:
            first = await client.call_tool("codex", {"prompt": "store me", **NO_SANDBOX})
        thread_id = first.structured_content["threadId"]
        env = {**os.environ, "PYCODEX_HOME": str(home), "MOCK_API_KEY": "test-key"}
        listed = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "pycodex.cli.main", "sessions", "list", "--json"],
            capture_output=True, text=True, env=env, check=True, timeout=60)
        rows = [json.loads(line) for line in listed.stdout.splitlines()]
        resumed = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "pycodex.cli.main", "exec", "--json", "--skip-git-repo-check", "-C", str(ws),
             "resume", thread_id, "go on"], capture_output=True, text=True, env=env, timeout=60, check=False)
        async with connect(home, ws, Recorder()) as client:
            later = await client.call_tool("codex-reply", {"threadId": thread_id, "prompt": "and now?"})
        bodies = [r.body_json for r in srv.requests]
    row = next(r for r in rows if r.get("thread_id") == thread_id)
    assert row["first_user_message"] == "store me"
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed by exec" in resumed.stdout
    assert "store me" in input_texts(bodies[1]) and "stored answer" in input_texts(bodies[1])
    assert text_of(later) == "resumed by a new server"
    assert later.structured_content["threadId"] == thread_id
    assert {"store me", "go on", "and now?"} <= set(input_texts(bodies[2]))
