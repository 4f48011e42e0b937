"""The seed's state split: turn state lifecycle, approvals, pending input."""

from __future__ import annotations

import asyncio

from pycodex.protocol.models import user_message
from pycodex.protocol.policies import ReviewDecision
from pycodex.protocol.usage import TokenUsage
from pycodex.state import (
    FinishStatus,
    RunningTask,
    SessionState,
    TakenTurn,
    TaskKind,
    TurnSlot,
    TurnState,
)


async def test_clear_pending_denies_waiting_approvals_and_hands_back_input() -> None:
    state = TurnState()
    fut = state.insert_pending_approval("sub")
    state.push_pending_input([user_message("later")])
    assert [i.text() for i in state.clear_pending()] == ["later"]  # type: ignore[union-attr]
    assert await fut is ReviewDecision.DENIED
    assert state.take_pending_input() == []


async def test_second_waiter_on_same_key_denies_the_first() -> None:
    state = TurnState()
    first = state.insert_pending_approval("k")
    second = state.insert_pending_approval("k")
    assert await first is ReviewDecision.DENIED
    assert state.resolve_pending_approval("k", ReviewDecision.APPROVED)
    assert await second is ReviewDecision.APPROVED
    assert not state.resolve_pending_approval("k", ReviewDecision.APPROVED)


def _task(sub_id: str, kind: TaskKind = TaskKind.REGULAR) -> RunningTask:
    return RunningTask(sub_id, kind, asyncio.get_running_loop().create_task(asyncio.sleep(0)))


async def test_a_task_with_queued_input_cannot_finish_until_it_takes_it() -> None:
    slot = TurnSlot()
    slot.start(_task("1"), TurnState())
    assert slot.inject_input([user_message("x")])
    assert slot.begin_finish("1") is FinishStatus.INPUT_PENDING
    assert [i.text() for i in slot.take_pending_input()] == ["x"]  # type: ignore[union-attr]
    assert slot.begin_finish("1") is FinishStatus.FINISHING


async def test_a_finishing_turn_refuses_input_and_is_dropped_at_the_end() -> None:
    slot = TurnSlot()
    state = TurnState()
    slot.start(_task("1"), state)
    fut = state.insert_pending_approval("1")
    assert slot.begin_finish("1") is FinishStatus.FINISHING
    # Input now would be lost by a task that has stopped reading: it must start a new turn.
    assert not slot.inject_input([user_message("y")])
    assert slot.finish_task("1")
    assert slot.turn_state() is None and not slot.is_running()
    assert await fut is ReviewDecision.DENIED
    assert not slot.finish_task("1")
    assert slot.begin_finish("1") is FinishStatus.GONE


async def test_take_all_takes_running_tasks_and_hands_back_input() -> None:
    slot = TurnSlot()
    slot.start(_task("7", TaskKind.COMPACT), TurnState())
    assert slot.inject_input([user_message("queued")])
    taken = slot.take_all()
    assert [t.sub_id for t in taken.aborted] == ["7"] and taken.finishing == []
    assert [i.text() for i in taken.leftover_input] == ["queued"]  # type: ignore[union-attr]
    assert not slot.is_running()
    assert slot.take_all() == TakenTurn([], [], [])


async def test_take_all_leaves_a_finishing_task_to_report_completion() -> None:
    slot = TurnSlot()
    slot.start(_task("3"), TurnState())
    assert slot.begin_finish("3") is FinishStatus.FINISHING
    taken = slot.take_all()
    assert taken.aborted == [] and [t.sub_id for t in taken.finishing] == ["3"]
    assert slot.finish_task("3") and not slot.is_running()


def test_session_state_token_info_accumulates() -> None:
    s = SessionState()
    s.update_token_info(TokenUsage(input_tokens=10, output_tokens=2, total_tokens=12), 100)
    info = s.update_token_info(TokenUsage(input_tokens=5, output_tokens=1, total_tokens=6), 100)
    assert info.total_token_usage.input_tokens == 15
    assert info.last_token_usage.total_tokens == 6


def test_history_snapshot_is_a_copy() -> None:
    s = SessionState()
    s.record_items([user_message("a")])
    snap = s.history_snapshot()
    snap.append(user_message("b"))
    assert s.history_len() == 1
