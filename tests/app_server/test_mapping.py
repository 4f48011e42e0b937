"""The pure parts: session events → v2 messages, and a rollout → turns (no process needed)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from pycodex.app_server.history import rebuild_turns, turn_id_for
from pycodex.app_server.mapping import ApprovalAsk, EventMapper, Notify, Out
from pycodex.protocol import events as ev
from pycodex.protocol import models as m
from pycodex.rollout.items import RolloutItem
from tests.app_server.schema import V2Schema

THREAD = "thread-1"


def _mapper() -> EventMapper:
    ticks = itertools.count(1_000_000)
    ids = itertools.count(1)
    return EventMapper(THREAD, lambda: next(ticks), new_id=lambda: f"id{next(ids)}")


def _run(mapper: EventMapper, sub: str, *msgs: Any) -> list[Out]:
    out: list[Out] = []
    for msg in msgs:
        out += mapper.map(ev.Event(id=sub, msg=msg))
    return out


def _check(schema: V2Schema, outs: list[Out]) -> list[tuple[str, dict[str, Any]]]:
    for i, o in enumerate(outs):
        if isinstance(o, Notify):
            schema.check_notification({"method": o.method, "params": o.params})
        else:
            schema.check_server_request({"id": i, "method": o.method, "params": o.params})
    return [(o.method, o.params) for o in outs]


def test_reasoning_parts_are_numbered_from_zero(v2schema: V2Schema) -> None:
    mapper = _mapper()
    sub = "s1"
    turn_id = mapper.reserve_turn(sub)
    outs = _run(mapper, sub, ev.TaskStarted(), ev.AgentReasoningSectionBreak(),
                ev.AgentReasoningDelta(delta="first"), ev.AgentReasoningSectionBreak(),
                ev.AgentReasoningDelta(delta="second"), ev.AgentReasoning(text="first"),
                ev.AgentReasoning(text="second"), ev.AgentMessage(message="done"), ev.TaskComplete())
    sent = _check(v2schema, outs)
    assert turn_id == turn_id_for(THREAD, 0)
    parts = [p["summaryIndex"] for meth, p in sent if meth == "item/reasoning/summaryPartAdded"]
    deltas = [(p["summaryIndex"], p["delta"]) for meth, p in sent if meth == "item/reasoning/summaryTextDelta"]
    assert parts == [0, 1] and deltas == [(0, "first"), (1, "second")]
    done = [p["item"] for meth, p in sent if meth == "item/completed"]
    assert done[0] == {"type": "reasoning", "id": "id1", "summary": ["first", "second"], "content": []}
    assert sent[-1][0] == "turn/completed" and sent[-1][1]["turn"]["status"] == "completed"
    assert sent[-1][1]["turn"]["id"] == turn_id


def test_a_turn_that_ends_before_it_starts_is_still_seen(v2schema: V2Schema) -> None:
    """A submitted turn the session refuses (it has stopped): an error and an end, no start."""
    mapper = _mapper()
    turn_id = mapper.reserve_turn("s1")
    sent = _check(v2schema, _run(mapper, "s1", ev.ErrorEvent(message="session stopped: disk full"),
                                 ev.TaskComplete()))
    assert [meth for meth, _ in sent] == ["thread/status/changed", "turn/started", "error",
                                          "thread/status/changed", "turn/completed"]
    turn = sent[-1][1]["turn"]
    assert turn["id"] == turn_id and turn["status"] == "failed"
    assert turn["error"]["message"] == "session stopped: disk full"
    assert mapper.pending_turn() is None and mapper.turn is None


def test_approvals_start_the_item_and_a_decline_completes_it(v2schema: V2Schema) -> None:
    mapper = _mapper()
    mapper.reserve_turn("s1")
    argv = ["/bin/bash", "-lc", "rm -rf build"]
    outs = _run(mapper, "s1", ev.TaskStarted(),
                ev.ExecApprovalRequest(call_id="c1", command=argv, cwd=Path("/w"), reason="why"))
    asks = [o for o in outs if isinstance(o, ApprovalAsk)]
    assert len(asks) == 1 and asks[0].event_id == "s1" and asks[0].kind == "exec"
    sent = _check(v2schema, outs)
    started = [p["item"] for meth, p in sent if meth == "item/started"]
    assert started == [{"type": "commandExecution", "id": "c1", "command": "/bin/bash -lc 'rm -rf build'",
                        "cwd": "/w", "commandActions": [{"type": "unknown", "command": "rm -rf build"}],
                        "status": "inProgress", "aggregatedOutput": None, "exitCode": None,
                        "durationMs": None, "processId": None, "source": "agent"}]
    flags = [p["status"] for meth, p in sent if meth == "thread/status/changed"]
    assert flags[-1] == {"type": "active", "activeFlags": ["waitingOnApproval"]}
    declined = _check(v2schema, mapper.approval_answered("c1", approved=False))
    assert declined[-1][1]["item"]["status"] == "declined"
    # An approved command is not started twice: its begin event updates the open item.
    outs = _run(mapper, "s1", ev.ExecApprovalRequest(call_id="c2", command=argv, cwd=Path("/w")))
    outs += mapper.approval_answered("c2", approved=True)
    outs += _run(mapper, "s1", ev.ExecCommandBegin(call_id="c2", command=argv, cwd=Path("/w")),
                 ev.ExecCommandEnd(call_id="c2", exit_code=1, aggregated_output="no\n",
                                   duration=ev.Duration.of(0.25)))
    sent = _check(v2schema, outs)
    assert [p["item"]["id"] for meth, p in sent if meth == "item/started"] == ["c2"]
    end = next(p["item"] for meth, p in sent if meth == "item/completed")
    assert (end["status"], end["exitCode"], end["aggregatedOutput"], end["durationMs"]) == ("failed", 1, "no\n", 250)


def test_rebuilt_turns_survive_a_crash_mid_turn() -> None:
    """A rollout cut off mid-turn (bad input from a crash): the last turn is `interrupted`,
    its call without an output is a failed command; the first turn is whole."""
    call = m.FunctionCall(name="exec_command", arguments='{"cmd": "make"}', call_id="c1")
    out = m.FunctionCallOutput(call_id="c1", output="Chunk ID: x\nWall time: 0.1 seconds\n"
                               "Process exited with code 2\nOriginal token count: 1\nOutput:\nboom\n")
    items = [
        RolloutItem("event_msg", ev.TaskStarted()), RolloutItem("event_msg", ev.UserMessageEvent(message="build")),
        RolloutItem("response_item", call), RolloutItem("response_item", out),
        RolloutItem("event_msg", ev.AgentMessage(message="it failed")), RolloutItem("event_msg", ev.TaskComplete()),
        RolloutItem("event_msg", ev.TaskStarted()), RolloutItem("event_msg", ev.UserMessageEvent(message="again")),
        RolloutItem("response_item", m.FunctionCall(name="exec_command", arguments='{"cmd": "make"}', call_id="c2")),
    ]
    turns = rebuild_turns(THREAD, "/w", items)
    assert [t.status for t in turns] == ["completed", "interrupted"]
    assert [t.id for t in turns] == [turn_id_for(THREAD, 0), turn_id_for(THREAD, 1)]
    first = turns[0].items[1]
    assert first.type == "commandExecution" and first.exit_code == 2 and first.aggregated_output == "boom\n"
    second = turns[1].items[1]
    assert second.type == "commandExecution" and second.status == "failed" and second.exit_code is None


def test_output_split_inside_a_character_is_decoded_whole(v2schema: V2Schema) -> None:
    """Bad input for a naive decoder: a UTF-8 character cut between two output chunks."""
    import base64

    mapper = _mapper()
    mapper.reserve_turn("s1")
    data = "héllo".encode()
    chunks = [data[:2], data[2:]]  # the é is split
    outs = _run(mapper, "s1", ev.TaskStarted(),
                ev.ExecCommandBegin(call_id="c1", command=["echo"], cwd=Path("/w")),
                *(ev.ExecCommandOutputDelta(call_id="c1", stream=ev.ExecOutputStream.STDOUT,
                                            chunk=base64.b64encode(c).decode()) for c in chunks))
    sent = _check(v2schema, outs)
    assert "".join(p["delta"] for meth, p in sent if meth == "item/commandExecution/outputDelta") == "héllo"
