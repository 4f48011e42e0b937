"""The seed's state split: turn state lifecycle, approvals, pending input."""

from __future__ import annotations

import asyncio

from pycodex.protocol.models import user_message
from pycodex.protocol.policies import ReviewDecision
from pycodex.protocol.usage import TokenUsage
from pycodex.state import RunningTask, SessionState, TaskKind, TurnSlot, TurnState


async def test_clear_pending_denies_waiting_approvals_and_drops_input() -> None:
    state = TurnState()
    fut = state.insert_pending_approval("sub")
    state.push_pending_input([user_message("later")])
    state.clear_pending()
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


async def test_turn_slot_finish_drops_turn_state_when_last_task_ends() -> None:
    slot = TurnSlot()
    handle = asyncio.get_running_loop().create_task(asyncio.sleep(0))
    state = slot.start(RunningTask("1", TaskKind.REGULAR, handle))
    fut = state.insert_pending_approval("1")
    assert slot.inject_input([user_message("x")])
    assert slot.finish_task("1")
    assert slot.turn_state() is None and not slot.is_running()
    assert await fut is ReviewDecision.DENIED
    assert not slot.inject_input([user_message("y")])
    assert not slot.finish_task("1")
    await handle


async def test_take_all_returns_tasks_and_clears() -> None:
    slot = TurnSlot()
    handle = asyncio.get_running_loop().create_task(asyncio.sleep(0))
    slot.start(RunningTask("7", TaskKind.COMPACT, handle))
    tasks = slot.take_all()
    assert [t.sub_id for t in tasks] == ["7"]
    assert slot.take_all() == []
    await handle


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
