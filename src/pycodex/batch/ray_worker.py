"""What one Ray task runs on a worker: the same `run_task` as the local engine.

The task works in `--out DIR/<id>/` when the worker sees the driver's DIR (shared storage:
the run's token file is there), else in a private temp folder on the worker; either way its
artifacts travel back to the driver in the returned value.
"""

from __future__ import annotations

import asyncio
import socket
import tempfile
from pathlib import Path
from typing import Any

from pycodex.batch.runner import RunSettings, run_task
from pycodex.batch.tasks import TaskSpec

TOKEN_FILE = ".pycodex-batch-token"


def sees_driver_dir(out_dir: Path, token: str) -> bool:
    """Whether this machine's `out_dir` is the driver's (shared storage)."""
    try:
        return (out_dir / TOKEN_FILE).read_text(encoding="utf-8").strip() == token
    except OSError:
        return False


def execute(task: TaskSpec, settings: RunSettings, out_dir: str, token: str,
            attempt: int) -> dict[str, Any]:
    """Run one task on this worker; returns its result and artifacts for the driver."""
    shared = sees_driver_dir(Path(out_dir), token)
    base = Path(out_dir) if shared else Path(tempfile.gettempdir()) / f"pycodex-batch-{token}"
    task_dir = base / task.id
    result = asyncio.run(run_task(task, settings, task_dir, attempt=attempt))
    payload: dict[str, Any] = {
        "result": result.to_json(), "shared": shared, "node": socket.gethostname(),
        "task_dir": str(task_dir),
    }
    if not shared:
        for name in ("events.jsonl", "changes.diff"):
            path = task_dir / name
            payload[name] = path.read_bytes() if path.exists() else None
    return payload
