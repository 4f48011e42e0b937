"""Result bookkeeping: what a rerun keeps, task order, exit codes, retries, the tally."""

from __future__ import annotations

import json

from pycodex.batch.results import (
    NOT_STARTED,
    Status,
    Tally,
    TaskResult,
    exit_code,
    in_task_order,
    plan_run,
    should_retry,
)
from pycodex.batch.tasks import parse_tasks


def _tasks(n: int) -> list:  # type: ignore[type-arg]
    text = "\n".join(json.dumps({"id": f"t{i}", "prompt": "p", "workspace": "w"}) for i in range(n))
    return parse_tasks(text).tasks


def test_rerun_keeps_completed_unchanged_tasks_and_runs_the_rest() -> None:
    t0, t1, t2, t3 = _tasks(4)
    previous = {
        "t0": TaskResult("t0", Status.COMPLETED, task_digest=t0.digest),
        "t1": TaskResult("t1", Status.FAILED, task_digest=t1.digest),
        "t2": TaskResult("t2", Status.COMPLETED, task_digest="a-changed-line"),
    }
    plan = plan_run([t0, t1, t2, t3], previous)
    assert list(plan.kept) == ["t0"]
    assert [t.id for t in plan.run] == ["t1", "t2", "t3"]


def test_results_come_out_in_task_order_with_missing_ones_not_started() -> None:
    tasks = _tasks(3)
    done = {"t2": TaskResult("t2", Status.COMPLETED), "t0": TaskResult("t0", Status.FAILED)}
    ordered = in_task_order(tasks, done)
    assert [(r.id, r.status) for r in ordered] == [
        ("t0", Status.FAILED), ("t1", Status.ABORTED), ("t2", Status.COMPLETED)]
    assert ordered[1].error == NOT_STARTED and ordered[1].attempts == 0


def test_exit_codes() -> None:
    ok = [TaskResult("a", Status.COMPLETED), TaskResult("b", Status.COMPLETED)]
    assert exit_code(ok, interrupted=False) == 0
    assert exit_code([*ok, TaskResult("c", Status.TIMED_OUT)], interrupted=False) == 1
    assert exit_code(ok, interrupted=True) == 130


def test_only_failures_and_timeouts_are_retried_while_retries_last() -> None:
    assert should_retry(TaskResult("a", Status.FAILED), attempt=1, retries=1)
    assert should_retry(TaskResult("a", Status.TIMED_OUT), attempt=2, retries=2)
    assert not should_retry(TaskResult("a", Status.FAILED), attempt=2, retries=1)
    assert not should_retry(TaskResult("a", Status.ABORTED), attempt=1, retries=5)
    assert not should_retry(TaskResult("a", Status.COMPLETED), attempt=1, retries=5)


def test_result_json_round_trips_and_foreign_files_are_refused() -> None:
    """Bad input: result.json files that are torn, foreign or of an unknown status."""
    r = TaskResult("a", Status.TIMED_OUT, final_message="m", usage={"total_tokens": 7},
                   thread_id="th", rollout="/r.jsonl", error="timed out", duration_s=1.23456,
                   attempts=2, task_digest="d")
    back = TaskResult.from_json(json.loads(json.dumps(r.to_json())))
    assert back is not None and back.to_json() == r.to_json() and back.tokens == 7
    assert list(r.to_json())[:8] == ["id", "status", "final_message", "usage", "thread_id",
                                     "rollout", "error", "duration_s"]
    for bad in (None, [], {"status": "completed"}, {"id": "a", "status": "exploded"}):
        assert TaskResult.from_json(bad) is None


def test_tally_counts_and_eta() -> None:
    tally = Tally(total=10, kept=2)
    assert tally.eta_s(5.0) is None  # nothing finished yet in this run
    tally.start("a")
    tally.start("b")
    tally.set_tokens("a", 100)
    tally.finish(TaskResult("a", Status.COMPLETED, usage={"total_tokens": 150}))
    tally.finish(TaskResult("b", Status.TIMED_OUT))
    assert (tally.done, tally.completed, tally.failed, tally.running) == (4, 1, 1, set())
    assert tally.total_tokens == 150
    assert tally.eta_s(4.0) == 12.0  # 2 s per task, 6 left
