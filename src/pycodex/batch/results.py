"""Result bookkeeping: result.json's shape, what a rerun skips, the tally, the exit code (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pycodex.batch.tasks import TaskSpec


class Status(StrEnum):
    """How a task ended."""

    COMPLETED = "completed"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    ABORTED = "aborted"  # stopped by Ctrl-C (or never started before it)


NOT_STARTED = "not started: the batch was interrupted first"


@dataclass
class TaskResult:
    """What `DIR/<id>/result.json` holds."""

    id: str
    status: Status
    final_message: str | None = None
    usage: dict[str, int] | None = None
    thread_id: str | None = None
    rollout: str | None = None
    error: str | None = None
    duration_s: float = 0.0
    attempts: int = 1
    task_digest: str = ""  # the task line this result is for (see TaskSpec.digest)

    def to_json(self) -> dict[str, Any]:
        """The JSON object, keys in a fixed order."""
        return {
            "id": self.id,
            "status": self.status.value,
            "final_message": self.final_message,
            "usage": self.usage,
            "thread_id": self.thread_id,
            "rollout": self.rollout,
            "error": self.error,
            "duration_s": round(self.duration_s, 3),
            "attempts": self.attempts,
            "task_digest": self.task_digest,
        }

    @classmethod
    def from_json(cls, obj: Any) -> TaskResult | None:
        """A result read back; None when it is not one (a torn or foreign file)."""
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
            return None
        try:
            status = Status(str(obj.get("status")))
        except ValueError:
            return None
        usage = obj.get("usage")
        return cls(
            id=obj["id"],
            status=status,
            final_message=_opt_str(obj.get("final_message")),
            usage=usage if isinstance(usage, dict) else None,
            thread_id=_opt_str(obj.get("thread_id")),
            rollout=_opt_str(obj.get("rollout")),
            error=_opt_str(obj.get("error")),
            duration_s=float(obj.get("duration_s") or 0.0),
            attempts=int(obj.get("attempts") or 1),
            task_digest=str(obj.get("task_digest") or ""),
        )

    @property
    def tokens(self) -> int:
        """Total tokens used."""
        return int((self.usage or {}).get("total_tokens", 0))


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@dataclass
class RunPlan:
    """Which tasks run now and which keep their completed result."""

    run: list[TaskSpec] = field(default_factory=list)
    kept: dict[str, TaskResult] = field(default_factory=dict)


def plan_run(tasks: Iterable[TaskSpec], previous: Mapping[str, TaskResult]) -> RunPlan:
    """Completed tasks whose line is unchanged are kept; everything else runs (again)."""
    plan = RunPlan()
    for task in tasks:
        old = previous.get(task.id)
        if old is not None and old.status is Status.COMPLETED and old.task_digest == task.digest:
            plan.kept[task.id] = old
        else:
            plan.run.append(task)
    return plan


def not_started(task: TaskSpec) -> TaskResult:
    """The result of a task the batch never got to."""
    return TaskResult(id=task.id, status=Status.ABORTED, error=NOT_STARTED, attempts=0,
                      task_digest=task.digest)


def in_task_order(tasks: Iterable[TaskSpec], results: Mapping[str, TaskResult]) -> list[TaskResult]:
    """One result per task, in the file's order (missing ones: not started)."""
    return [results.get(t.id) or not_started(t) for t in tasks]


def exit_code(results: Iterable[TaskResult], interrupted: bool) -> int:
    """0 when every task completed, 130 after Ctrl-C, 1 otherwise."""
    if interrupted:
        return 130
    return 0 if all(r.status is Status.COMPLETED for r in results) else 1


def should_retry(result: TaskResult, attempt: int, retries: int) -> bool:
    """Whether a finished attempt is tried again (failed or timed out, retries left)."""
    return result.status in (Status.FAILED, Status.TIMED_OUT) and attempt <= retries


@dataclass
class Tally:
    """Live counts for the progress display."""

    total: int
    kept: int = 0  # completed in an earlier run
    completed: int = 0
    failed: int = 0  # failed, timed out or aborted
    running: set[str] = field(default_factory=set)
    tokens: dict[str, int] = field(default_factory=dict)  # by task, live

    @property
    def done(self) -> int:
        """Tasks that have a final result."""
        return self.kept + self.completed + self.failed

    @property
    def total_tokens(self) -> int:
        """Tokens used by this run's tasks so far."""
        return sum(self.tokens.values())

    def start(self, task_id: str) -> None:
        """A task (or its retry) started."""
        self.running.add(task_id)

    def set_tokens(self, task_id: str, tokens: int) -> None:
        """A running task's token count so far."""
        self.tokens[task_id] = tokens

    def finish(self, result: TaskResult) -> None:
        """A task has its final result."""
        self.running.discard(result.id)
        self.tokens[result.id] = result.tokens
        if result.status is Status.COMPLETED:
            self.completed += 1
        else:
            self.failed += 1

    def eta_s(self, elapsed_s: float) -> float | None:
        """Seconds left at this run's pace; None before anything finished."""
        finished = self.completed + self.failed
        left = self.total - self.done
        if finished == 0:
            return None
        return elapsed_s / finished * left
