"""The Ray engine: one Ray task per pycodex task, results streamed back as they finish.

Ray schedules the tasks over the cluster by the resources each asks for, retries one whose
worker died (`max_retries`), and hands each result back through its object store; the driver
writes the artifacts into `--out` unless the worker already did (shared storage).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pycodex.batch.local import Reporter
from pycodex.batch.results import Status, TaskResult, should_retry
from pycodex.batch.runner import ABORTED, RunSettings, reset_task_dir, write_json_atomic
from pycodex.batch.tasks import TaskSpec


class RayUnavailable(Exception):
    """Ray is not installed, or the cluster cannot be reached (one line for the user)."""


@dataclass
class RayOptions:
    """How tasks are placed on the cluster."""

    address: str | None = None  # None: start a local Ray
    num_cpus: float = 1.0  # per task
    resources: dict[str, float] = field(default_factory=dict)  # custom resources per task
    max_retries: int = 3  # re-runs of a task whose worker died (Ray's default)
    env: list[str] = field(default_factory=list)  # driver variables the workers get


def connect(opts: RayOptions) -> Any:
    """`ray.init` (blocking; from the main thread, where Ray sets its signal handlers)."""
    try:
        import ray
    except ImportError as e:
        raise RayUnavailable("the ray engine needs Ray: pip install 'pycodex[ray]'") from e
    if opts.address is not None:
        _probe(opts.address)
    env = {name: os.environ[name] for name in opts.env if name in os.environ}
    kwargs: dict[str, Any] = {"logging_level": logging.ERROR, "log_to_driver": False}
    if env:
        kwargs["runtime_env"] = {"env_vars": env}
    if opts.address is None:
        kwargs["include_dashboard"] = False
    try:
        ray.init(address=opts.address, **kwargs)
    except Exception as e:  # ConnectionError, or Ray's own errors for a bad address
        raise RayUnavailable(f"cannot start or reach Ray ({opts.address or 'local'}): {e}") from e
    return ray


def _probe(address: str) -> None:
    """Refuse an address nothing listens on at once (`ray.init` would retry for minutes)."""
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit() or not host:
        return  # "auto" and other forms are Ray's to resolve
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
    except OSError as e:
        raise RayUnavailable(f"cannot reach the Ray cluster at {address}: "
                             f"{e.strerror or e or 'timed out'}") from None


async def run_ray(
    ray: Any,
    tasks: Sequence[TaskSpec],
    settings: RunSettings,
    out_dir: Path,
    token: str,
    *,
    opts: RayOptions,
    jobs: int | None,
    retries: int,
    stop: asyncio.Event,
    report: Reporter,
) -> dict[str, TaskResult]:
    """Run the tasks on a connected Ray; stops (cancelling what runs) once `stop` is set."""
    from pycodex.batch.ray_worker import execute

    remote = ray.remote(execute).options(
        num_cpus=opts.num_cpus, resources=opts.resources or None,
        max_retries=opts.max_retries, retry_exceptions=False,
    )
    results: dict[str, TaskResult] = {}
    waiting = list(tasks)
    running: dict[asyncio.Future[Any], tuple[TaskSpec, int, Any]] = {}
    submitted: dict[str, float] = {}

    async def submit(task: TaskSpec, attempt: int) -> None:
        await asyncio.to_thread(reset_task_dir, out_dir / task.id)
        ref = remote.remote(task, settings, str(out_dir), token, attempt)
        running[asyncio.wrap_future(ref.future())] = (task, attempt, ref)
        submitted[task.id] = time.monotonic()
        report.started(task.id, attempt)

    stopped = asyncio.ensure_future(stop.wait())
    try:
        while waiting or running:
            while waiting and (jobs is None or len(running) < jobs) and not stop.is_set():
                await submit(waiting.pop(0), 1)
            if stop.is_set():
                break
            done, _ = await asyncio.wait([*running, stopped], return_when=asyncio.FIRST_COMPLETED)
            for fut in done:
                if fut is stopped:
                    continue
                task, attempt, _ref = running.pop(fut)
                try:
                    payload: Any = fut.result()
                except Exception as e:  # the worker died past its retries, or Ray failed it
                    payload = e
                result = await asyncio.to_thread(_collect, payload, task, attempt, out_dir)
                if should_retry(result, attempt, retries) and not stop.is_set():
                    await submit(task, attempt + 1)
                    continue
                results[task.id] = result
                report.finished(result)
        for fut, (task, attempt, ref) in running.items():  # stopped: cancel what runs
            ray.cancel(ref)
            fut.cancel()
            result = TaskResult(id=task.id, status=Status.ABORTED, error=ABORTED,
                                attempts=attempt, task_digest=task.digest,
                                duration_s=time.monotonic() - submitted[task.id])
            await asyncio.to_thread(write_json_atomic, out_dir / task.id / "result.json",
                                    result.to_json())
            results[task.id] = result
            report.finished(result)
    finally:
        stopped.cancel()
    return results


def _collect(payload: Any, task: TaskSpec, attempt: int, out_dir: Path) -> TaskResult:
    """The task's result from its Ray object; its artifacts written into `out_dir/<id>/`."""
    task_dir = out_dir / task.id
    if isinstance(payload, BaseException):
        result = TaskResult(id=task.id, status=Status.FAILED, attempts=attempt,
                            error=f"ray: {_one_line(payload)}", task_digest=task.digest)
        write_json_atomic(task_dir / "result.json", result.to_json())
        return result
    result = TaskResult.from_json(payload["result"]) or TaskResult(
        id=task.id, status=Status.FAILED, error="ray: the worker sent no result")
    if not payload.get("shared"):
        task_dir.mkdir(parents=True, exist_ok=True)
        for name in ("events.jsonl", "changes.diff"):
            data = payload.get(name)
            if isinstance(data, bytes):
                (task_dir / name).write_bytes(data)
        write_json_atomic(task_dir / "result.json", result.to_json())
    return result


def _one_line(e: BaseException) -> str:
    lines = [x for x in str(e).splitlines() if x.strip()]
    return f"{type(e).__name__}: {lines[-1] if lines else ''}".rstrip(": ")
