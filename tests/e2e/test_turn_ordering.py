"""Turns never interleave and input is never lost, whenever it arrives.

For every kind of event a turn emits, a second input is submitted the moment that event is
seen (several times each, including bursts of inputs). Invariants, as Codex keeps them:
- no `task_started` while another task runs;
- every started task ends with exactly one `task_complete` or `turn_aborted`;
- every input reaches the model: folded into the running turn or opening the next one.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from pycodex.config.config import CliOverrides, load_config
from pycodex.protocol import events as ev
from pycodex.protocol import ops
from pycodex.protocol.inputs import TextInput
from pycodex.protocol.policies import AskForApproval, SandboxMode
from pycodex.session.conversation import ConversationManager
from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import input_texts, write_config

TRIGGERS = [
    "task_started", "user_message", "exec_command_begin", "exec_command_output_delta",
    "exec_command_end", "token_count", "agent_message_delta", "agent_message",
]
ROUNDS = 3


def _turns() -> list[sc.Turn]:
    first = [
        sc.turn(sc.function_call("exec_command", {"cmd": "echo hi"}, "c1"), sc.completed()),
        sc.turn(sc.text_deltas("done with a", 3), sc.message("done with a"), sc.completed()),
    ]
    # Enough answers for any interleaving: folded input costs one more request, a new turn one.
    return first + [sc.turn(sc.message(f"answer {i}"), sc.completed()) for i in range(8)]


def _check_ordering(events: list[ev.Event]) -> None:
    running: str | None = None
    ended: dict[str, int] = {}
    started: list[str] = []
    for e in events:
        if isinstance(e.msg, ev.TaskStarted):
            assert running is None, f"task_started({e.id}) while task {running} runs"
            running = e.id
            started.append(e.id)
        elif isinstance(e.msg, ev.TaskComplete | ev.TurnAborted):
            assert running == e.id, f"{e.msg.type}({e.id}) but the running task is {running}"
            ended[e.id] = ended.get(e.id, 0) + 1
            running = None
    assert running is None, f"task {running} never ended"
    assert all(ended.get(s) == 1 for s in started), (started, ended)


async def _round(tmp_path: Path, trigger: str, burst: int, delay_s: float = 0.0) -> None:
    ws = tmp_path / "ws"
    ws.mkdir(parents=True, exist_ok=True)
    with ScriptedModelServer(_turns()) as srv:
        write_config(tmp_path / "home", srv.base_url)
        cfg = load_config(
            CliOverrides(cwd=ws, approval_policy=AskForApproval.NEVER, sandbox_mode=SandboxMode.DANGER_FULL_ACCESS),
            home=tmp_path / "home", env={"MOCK_API_KEY": "k", "PATH": os.environ["PATH"], "HOME": str(tmp_path)},
        )
        conv = await ConversationManager().new_conversation(cfg)
        events: list[ev.Event] = []
        extra = [f"extra input {i}" for i in range(burst)]
        await conv.submit(ops.UserInput(items=[TextInput(text="first input")]))
        sent = False

        async def submit_extra() -> None:
            await asyncio.sleep(delay_s)
            for text in extra:
                await conv.submit(ops.UserInput(items=[TextInput(text=text)]))

        submitter: asyncio.Task[None] | None = None
        try:
            async with asyncio.timeout(20):
                while True:
                    e = await conv.next_event()
                    events.append(e)
                    if not sent and e.msg.type == trigger:
                        sent = True
                        submitter = asyncio.create_task(submit_extra())
                    seen = [t for r in srv.requests for t in input_texts(r.body)]
                    ended = isinstance(e.msg, ev.TaskComplete | ev.TurnAborted)
                    done = submitter is not None and submitter.done()
                    if done and ended and all(x in seen for x in extra) and not conv_running(events):
                        break
        finally:
            if submitter is not None:
                await submitter
            await conv.shutdown()
        assert sent, f"the turn never emitted {trigger}"
        _check_ordering(events)


def conv_running(events: list[ev.Event]) -> bool:
    """Whether, by the events so far, a task is still running."""
    running = False
    for e in events:
        if isinstance(e.msg, ev.TaskStarted):
            running = True
        elif isinstance(e.msg, ev.TaskComplete | ev.TurnAborted):
            running = False
    return running


@pytest.mark.parametrize("trigger", TRIGGERS)
async def test_input_at_every_event_is_folded_or_queued_never_interleaved(tmp_path: Path, trigger: str) -> None:
    for i in range(ROUNDS):
        await _round(tmp_path / f"r{i}", trigger, burst=1 + i)


async def test_input_around_the_end_of_a_turn_opens_the_next_turn_after_it(tmp_path: Path) -> None:
    # The window that used to break: input processed while the finished turn was still
    # flushing its rollout started the next turn before task_complete was reported. The
    # submission time is swept across the turn's end, 0-20 ms after its last answer.
    for i in range(40):
        await _round(tmp_path / f"r{i}", "agent_message", burst=1 + i % 2, delay_s=(i % 20) / 1000)


async def test_input_during_a_failing_request_is_answered_not_just_recorded(tmp_path: Path) -> None:
    # The first request fails after 300 ms; input submitted meanwhile must reach the model in
    # a retry within the same turn, not be left in the history unanswered.
    ws = tmp_path / "ws"
    ws.mkdir()
    turns = [sc.turn(sc.delay(300), sc.failed("the model crashed")), sc.turn(sc.message("answer to b"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        write_config(tmp_path / "home", srv.base_url)
        cfg = load_config(CliOverrides(cwd=ws), home=tmp_path / "home",
                          env={"MOCK_API_KEY": "k", "PATH": os.environ["PATH"], "HOME": str(tmp_path)})
        conv = await ConversationManager().new_conversation(cfg)
        await conv.submit(ops.UserInput(items=[TextInput(text="a")]))
        events: list[ev.Event] = []
        async with asyncio.timeout(20):
            while True:
                e = await conv.next_event()
                events.append(e)
                if isinstance(e.msg, ev.TaskStarted):
                    await asyncio.sleep(0.1)  # the first request is on its way (it fails at 300 ms)
                    await conv.submit(ops.UserInput(items=[TextInput(text="b")]))
                if isinstance(e.msg, ev.TaskComplete | ev.TurnAborted):
                    break
        await conv.shutdown()
        assert len(srv.requests) == 2
        assert [t for t in input_texts(srv.requests[0].body) if t in ("a", "b")] == ["a"]
        assert [t for t in input_texts(srv.requests[1].body) if t in ("a", "b")] == ["a", "b"]
    _check_ordering(events)
    assert isinstance(events[-1].msg, ev.TaskComplete) and events[-1].msg.last_agent_message == "answer to b"
    assert any(isinstance(e.msg, ev.ErrorEvent) for e in events)
