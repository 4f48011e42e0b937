"""The session through the library API: history, mid-turn input, interrupts, many conversations."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from pycodex.config.config import CliOverrides, Config, load_config
from pycodex.protocol import events as ev
from pycodex.protocol import ops
from pycodex.protocol.inputs import TextInput
from pycodex.protocol.policies import AskForApproval, SandboxMode
from pycodex.session.conversation import ConversationManager
from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import input_texts, write_config


def make_config(tmp_path: Path, base_url: str, **kw: Any) -> Config:
    tmp_path.mkdir(parents=True, exist_ok=True)
    home = tmp_path / "home"
    write_config(home, base_url, **kw)
    return load_config(
        CliOverrides(cwd=tmp_path, approval_policy=AskForApproval.NEVER,
                     sandbox_mode=SandboxMode.DANGER_FULL_ACCESS),
        home=home, env={"MOCK_API_KEY": "k", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )


async def wait_for(conv: Any, kind: type, limit: float = 20) -> ev.Event:
    async def loop() -> ev.Event:
        while True:
            e = await conv.next_event()
            if isinstance(e.msg, kind):
                return e  # type: ignore[no-any-return]
    return await asyncio.wait_for(loop(), limit)


async def test_second_turn_resends_the_history(tmp_path: Path) -> None:
    turns = [sc.turn(sc.message("first answer"), sc.completed()),
             sc.turn(sc.message("second answer"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        conv = await ConversationManager().new_conversation(make_config(tmp_path, srv.base_url))
        r1 = await conv.run("question one")
        r2 = await conv.run("question two")
        await conv.shutdown()
    assert (r1.final_message, r2.final_message) == ("first answer", "second answer")
    texts = input_texts(srv.requests[1].body)
    assert texts.index("question one") < texts.index("first answer") < texts.index("question two")


async def test_input_submitted_mid_turn_goes_with_the_next_request(tmp_path: Path) -> None:
    turns = [
        sc.turn(sc.function_call("exec_command", {"cmd": "sleep 1; echo slept"}, "c1"), sc.completed()),
        sc.turn(sc.message("saw it"), sc.completed()),
    ]
    with ScriptedModelServer(turns) as srv:
        conv = await ConversationManager().new_conversation(make_config(tmp_path, srv.base_url))
        run = asyncio.create_task(conv.run("start"))
        await asyncio.sleep(0.5)  # the command is running now
        await conv.submit(ops.UserInput(items=[TextInput(text="also do this")]))
        result = await run
        await conv.shutdown()
    assert result.final_message == "saw it"
    assert len(srv.requests) == 2
    texts = input_texts(srv.requests[1].body)
    assert "also do this" in texts and texts.index("also do this") > texts.index("start")


async def test_interrupt_mid_stream_then_session_still_usable(tmp_path: Path) -> None:
    turns = [
        sc.turn(sc.text_deltas(["thinking..."]), sc.stall()),
        sc.turn(sc.message("fresh turn works"), sc.completed()),
    ]
    with ScriptedModelServer(turns) as srv:
        conv = await ConversationManager().new_conversation(make_config(tmp_path, srv.base_url))
        sub = await conv.submit(ops.UserInput(items=[TextInput(text="long one")]))
        await wait_for(conv, ev.AgentMessageDelta)
        await conv.submit(ops.Interrupt())
        aborted = await wait_for(conv, ev.TurnAborted)
        assert aborted.id == sub and aborted.msg.reason is ev.TurnAbortReason.INTERRUPTED
        result = await conv.run("again")
        await conv.shutdown()
    assert result.final_message == "fresh turn works"


async def test_interrupt_during_command_kills_it_and_next_request_has_aborted_output(tmp_path: Path) -> None:
    marker = tmp_path / "never.txt"
    turns = [
        sc.turn(sc.function_call("exec_command", {"cmd": f"sleep 30; touch {marker}", "yield_time_ms": 20000}, "c9"),
                sc.completed()),
        sc.turn(sc.message("after interrupt"), sc.completed()),
    ]
    with ScriptedModelServer(turns) as srv:
        conv = await ConversationManager().new_conversation(make_config(tmp_path, srv.base_url))
        await conv.submit(ops.UserInput(items=[TextInput(text="run it")]))
        await wait_for(conv, ev.ExecCommandBegin)
        await conv.submit(ops.Interrupt())
        await wait_for(conv, ev.TurnAborted)
        result = await conv.run("continue")
        await conv.shutdown()
    assert result.final_message == "after interrupt"
    outputs = {i["call_id"]: i["output"] for i in srv.requests[1].body["input"]
               if i["type"] == "function_call_output"}
    assert outputs == {"c9": "aborted"}
    assert not marker.exists()


async def test_compact_during_a_turn_is_injected_not_a_new_task(tmp_path: Path) -> None:
    turns = [sc.turn(sc.function_call("exec_command", {"cmd": "sleep 1"}, "c1"), sc.completed()),
             sc.turn(sc.message("summary written"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        conv = await ConversationManager().new_conversation(make_config(tmp_path, srv.base_url))
        first = await conv.submit(ops.UserInput(items=[TextInput(text="one")]))
        await wait_for(conv, ev.ExecCommandBegin)
        await conv.submit(ops.Compact())
        done = await wait_for(conv, ev.TaskComplete)
        assert done.id == first
        await conv.shutdown()
    assert any("write a handoff" in t for t in input_texts(srv.requests[1].body))


async def test_spawning_a_task_replaces_the_running_one(tmp_path: Path) -> None:
    from pycodex.state import TaskKind
    from pycodex.tasks.compact import run_compact_task

    turns = [sc.turn(sc.text_deltas(["..."]), sc.stall()), sc.turn(sc.message("summary"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        conv = await ConversationManager().new_conversation(make_config(tmp_path, srv.base_url))
        first = await conv.submit(ops.UserInput(items=[TextInput(text="one")]))
        await wait_for(conv, ev.AgentMessageDelta)
        session = conv._codex.session
        assert session is not None
        tc = conv._codex.initial_turn_context
        assert tc is not None
        await session.spawn_task(tc, "replacement", TaskKind.COMPACT, run_compact_task)
        aborted = await wait_for(conv, ev.TurnAborted)
        assert aborted.id == first and aborted.msg.reason is ev.TurnAbortReason.REPLACED
        done = await wait_for(conv, ev.TaskComplete)
        assert done.id == "replacement"
        await conv.shutdown()


async def test_many_conversations_in_one_process_do_not_cross_talk(tmp_path: Path) -> None:
    with ScriptedModelServer([sc.turn(sc.message("A"), sc.completed())]) as a, \
         ScriptedModelServer([sc.turn(sc.message("B"), sc.completed())]) as b:
        mgr = ConversationManager()
        ca = await mgr.new_conversation(make_config(tmp_path / "a", a.base_url))
        cb = await mgr.new_conversation(make_config(tmp_path / "b", b.base_url))
        ra, rb = await asyncio.gather(ca.run("to a"), cb.run("to b"))
        await mgr.shutdown_all()
    assert (ra.final_message, rb.final_message) == ("A", "B")
    assert ca.id != cb.id
    assert "to b" not in input_texts(a.requests[0].body)
