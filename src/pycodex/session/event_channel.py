"""The session → client event channel: a deque with one waiting reader.

asyncio.Queue does bookkeeping nobody here uses (task accounting, a bound, putter wake-ups)
on every put and get; a streamed answer puts thousands of deltas. One reader at a time
(`Codex.next_event`), any number of writers, unbounded, first in first out.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class EventChannel(Generic[T]):
    """put_nowait / get / get_nowait, as asyncio.Queue's (get_nowait raises QueueEmpty)."""

    def __init__(self) -> None:
        self._items: deque[T] = deque()
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: T) -> None:
        """Queue an item and wake the reader if it waits."""
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    async def get(self) -> T:
        """The next item, waiting for one."""
        while not self._items:
            waiter = asyncio.get_running_loop().create_future()
            self._waiter = waiter
            try:
                await waiter
            finally:
                if self._waiter is waiter:
                    self._waiter = None
        return self._items.popleft()

    def get_nowait(self) -> T:
        """The next item; asyncio.QueueEmpty if there is none."""
        if not self._items:
            raise asyncio.QueueEmpty
        return self._items.popleft()

    def qsize(self) -> int:
        """How many items wait."""
        return len(self._items)

    def empty(self) -> bool:
        """Whether no item waits."""
        return not self._items
