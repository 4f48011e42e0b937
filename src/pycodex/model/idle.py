"""An idle timeout for a stream that costs one assignment per event, not a timer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TypeVar

T = TypeVar("T")


class IdleTimeout(Exception):
    """No data arrived within the idle limit."""


async def with_idle_timeout(source: AsyncIterator[T], idle: float) -> AsyncIterator[T]:
    """Re-yield `source`, raising IdleTimeout when it is silent for `idle` seconds."""
    loop = asyncio.get_running_loop()
    consumer = asyncio.current_task()
    last = loop.time()
    fired = False

    async def watch() -> None:
        nonlocal fired
        while True:
            wait = last + idle - loop.time()
            if wait <= 0:
                fired = True
                if consumer is not None:
                    consumer.cancel()
                return
            await asyncio.sleep(wait)

    watchdog = loop.create_task(watch())
    try:
        async for item in source:
            last = loop.time()
            yield item
    except asyncio.CancelledError:
        if fired:
            # Our own cancellation: clear it so the caller sees a timeout, not a cancel.
            if consumer is not None:
                consumer.uncancel()
            raise IdleTimeout(f"no data for {idle:g}s") from None
        raise
    finally:
        watchdog.cancel()
