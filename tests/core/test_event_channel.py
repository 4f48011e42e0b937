"""The session's event channel: order kept, a waiting reader woken, empty reported."""

from __future__ import annotations

import asyncio

import pytest

from pycodex.session.event_channel import EventChannel


async def test_order_and_wakeup() -> None:
    ch: EventChannel[int] = EventChannel()
    reader = asyncio.create_task(ch.get())
    await asyncio.sleep(0)
    assert not reader.done()
    for i in range(3):
        ch.put_nowait(i)
    assert await reader == 0
    assert [ch.get_nowait(), await ch.get()] == [1, 2]
    assert ch.empty()


async def test_get_nowait_on_empty_and_a_cancelled_reader() -> None:
    """Bad input tried: reading an empty channel without waiting, and a reader cancelled while
    waiting (the next put must reach the next reader)."""
    ch: EventChannel[str] = EventChannel()
    with pytest.raises(asyncio.QueueEmpty):
        ch.get_nowait()
    waiting = asyncio.create_task(ch.get())
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    ch.put_nowait("x")
    assert await asyncio.wait_for(ch.get(), 1) == "x"
