"""A turn's request_user_input waiter: answered once, and never left waiting when the turn ends."""

from __future__ import annotations

import asyncio

from pycodex.protocol.ops import RequestUserInputAnswer, RequestUserInputResponse
from pycodex.state import RunningTask, TaskKind, TurnSlot, TurnState

ANSWER = RequestUserInputResponse(answers={"color": RequestUserInputAnswer(answers=["Red"])})


async def test_the_answer_reaches_the_waiter_once() -> None:
    state = TurnState()
    fut = state.insert_pending_user_input("turn-1")
    assert not state.resolve_pending_user_input("turn-2", ANSWER)  # another turn's id: nobody waits
    assert state.resolve_pending_user_input("turn-1", ANSWER)
    assert await fut == ANSWER
    assert not state.resolve_pending_user_input("turn-1", ANSWER)  # a second answer reaches nobody


async def test_a_newer_question_on_the_same_turn_ends_the_older_one_unanswered() -> None:
    state = TurnState()
    first = state.insert_pending_user_input("turn-1")
    second = state.insert_pending_user_input("turn-1")
    assert await first is None
    assert state.resolve_pending_user_input("turn-1", ANSWER) and await second == ANSWER


async def test_turn_cleanup_ends_a_waiting_question_with_approvals() -> None:
    state = TurnState()
    question = state.insert_pending_user_input("turn-1")
    approval = state.insert_pending_approval("turn-1")
    state.clear_pending()
    assert await question is None and approval.done()
    assert not state.resolve_pending_user_input("turn-1", ANSWER)


async def test_abort_takes_the_turn_and_ends_its_waiting_question() -> None:
    slot, state = TurnSlot(), TurnState()
    handle = asyncio.get_running_loop().create_task(asyncio.sleep(3600))
    slot.start(RunningTask(sub_id="turn-1", kind=TaskKind.REGULAR, handle=handle), state)
    question = state.insert_pending_user_input("turn-1")
    taken = slot.take_all()  # what an interrupt does first, before it cancels the task
    handle.cancel()
    assert [t.sub_id for t in taken.aborted] == ["turn-1"]
    assert await asyncio.wait_for(question, 1) is None
