"""The local engine: up to `jobs` sessions at once in this process, one asyncio task each."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from pycodex.batch.results import TaskResult, should_retry
from pycodex.batch.runner import RunSettings, run_task
from pycodex.batch.tasks import TaskSpec


class Reporter(Protocol):
    """Where an engine reports progress (the display and the bookkeeping)."""

    def started(self, task_id: str, attempt: int) -> None:
        """A task (or a retry of it) started."""

    def tokens(self, task_id: str, total: int) -> None:
        """A running task's token count so far."""

    def finished(self, result: TaskResult) -> None:
        """A task has its final result (retries done)."""


async def run_local(
    tasks: Sequence[TaskSpec],
    settings: RunSettings,
    out_dir: Path,
    *,
    jobs: int,
    retries: int,
    stop: asyncio.Event,
    report: Reporter,
) -> dict[str, TaskResult]:
    """Run the tasks, `jobs` at a time, in file order; stops starting new ones once `stop` is set."""
    results: dict[str, TaskResult] = {}
    slots = asyncio.Semaphore(jobs)

    async def one(task: TaskSpec) -> None:
        async with slots:
            if stop.is_set():
                return  # never started: the driver records it as such
            attempt = 1
            while True:
                report.started(task.id, attempt)
                result = await run_task(task, settings, out_dir / task.id, attempt=attempt,
                                        stop=stop, on_tokens=report.tokens)
                if should_retry(result, attempt, retries) and not stop.is_set():
                    attempt += 1
                    continue
                results[task.id] = result
                report.finished(result)
                return

    await asyncio.gather(*(one(t) for t in tasks))
    return results
