"""One task, start to end: workspace, session, `exec --json` stream, diff, result.json.

The session is driven only through the library's Op/Event API (a `Conversation`), exactly as
`pycodex exec --json` drives its own: the same JSONL mapping, nobody to answer approvals.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pycodex.batch import workspace
from pycodex.batch.results import Status, TaskResult
from pycodex.batch.tasks import TaskSpec
from pycodex.config.errors import ConfigError
from pycodex.protocol import events as ev
from pycodex.protocol import ops
from pycodex.protocol.exec_jsonl import JsonlMapper
from pycodex.protocol.inputs import InputItem, LocalImageInput, TextInput
from pycodex.protocol.json import dump_thread_event
from pycodex.session.headless import HeadlessFlags

if TYPE_CHECKING:
    from pycodex.session.conversation import Conversation

# After an interrupt, how long the turn gets to wind down before the session is shut down.
INTERRUPT_GRACE_S = 10.0
ARTIFACTS = ("events.jsonl", "result.json", "changes.diff")
ABORTED = "aborted: the batch was interrupted"


@dataclass
class RunSettings:
    """What every task of a batch shares (plain data: it travels to Ray workers)."""

    flags: HeadlessFlags
    timeout_s: float | None = None
    output_schema: Any = None


def task_flags(task: TaskSpec, flags: HeadlessFlags) -> HeadlessFlags:
    """The batch's flags with the task's own model and `-c` overrides (which win)."""
    return dataclasses.replace(
        flags, model=task.model or flags.model, config=[*flags.config, *task.overrides]
    )


def reset_task_dir(task_dir: Path) -> None:
    """Clear an earlier attempt: its workspace, artifacts and private git data."""
    workspace.remove(task_dir / "workspace")
    shutil.rmtree(task_dir / ".batch", ignore_errors=True)
    for name in ARTIFACTS:
        (task_dir / name).unlink(missing_ok=True)
    task_dir.mkdir(parents=True, exist_ok=True)


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write JSON so a reader sees the old file or the new one, never half of one."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(obj, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


class _Turn:
    """The state of the one turn a task runs, shared with its watcher."""

    def __init__(self) -> None:
        self.over = False  # task_complete or turn_aborted seen
        self.completed = False
        self.stopped: Status | None = None  # TIMED_OUT or ABORTED, when the watcher ended it
        self.error: str | None = None
        self.usage: dict[str, int] | None = None


async def run_task(
    task: TaskSpec,
    settings: RunSettings,
    task_dir: Path,
    *,
    attempt: int = 1,
    stop: asyncio.Event | None = None,
    on_tokens: Callable[[str, int], None] | None = None,
) -> TaskResult:
    """Run one task in `task_dir` and write its artifacts there; never raises for task errors."""
    t0 = time.monotonic()
    result = TaskResult(id=task.id, status=Status.FAILED, attempts=attempt,
                        task_digest=task.digest)
    try:
        await asyncio.to_thread(reset_task_dir, task_dir)
        ws = await _prepare(task, task_dir, settings.timeout_s, stop)
        if ws is None:
            stopped = Status.ABORTED if stop is not None and stop.is_set() else Status.TIMED_OUT
            result.status = stopped
            result.error = (ABORTED if stopped is Status.ABORTED
                            else f"timed out after {settings.timeout_s:g} s preparing the workspace")
            return await asyncio.to_thread(_finish, result, t0, task_dir)
        await _session(task, settings, ws, task_dir, result, stop, on_tokens)
        patch = await asyncio.to_thread(workspace.diff, ws)
        await asyncio.to_thread((task_dir / "changes.diff").write_bytes, patch)
    except (workspace.WorkspaceError, ConfigError, OSError) as e:
        result.status, result.error = Status.FAILED, str(e)
    except Exception as e:  # the session failing to start: said in one line, never raised
        result.status, result.error = Status.FAILED, f"{type(e).__name__}: {e}"
    return await asyncio.to_thread(_finish, result, t0, task_dir)


def _finish(result: TaskResult, t0: float, task_dir: Path) -> TaskResult:
    """Time the result and write it as the task's result.json (blocking I/O)."""
    result.duration_s = time.monotonic() - t0
    with contextlib.suppress(OSError):
        write_json_atomic(task_dir / "result.json", result.to_json())
    return result


async def _prepare(task: TaskSpec, task_dir: Path, timeout_s: float | None,
                   stop: asyncio.Event | None) -> workspace.Workspace | None:
    """The task's workspace; None when the batch was stopped or time ran out first (a clone
    can wait on the network for ever: its git is killed)."""
    cancel = workspace.Cancel()
    making = asyncio.ensure_future(asyncio.to_thread(
        workspace.prepare, task.workspace, task_dir / "workspace", task_dir / ".batch", cancel))
    stopping = asyncio.ensure_future(stop.wait() if stop is not None else asyncio.Event().wait())
    try:
        await asyncio.wait({making, stopping}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:  # cancelled (a Ray cancel): the clone goes too
        cancel.cancel()
        raise
    finally:
        stopping.cancel()
    if making.done():
        return making.result()
    cancel.cancel()
    with contextlib.suppress(workspace.WorkspaceError):
        await making  # the thread returns once its git is dead
    return None


async def _session(
    task: TaskSpec,
    settings: RunSettings,
    ws: workspace.Workspace,
    task_dir: Path,
    result: TaskResult,
    stop: asyncio.Event | None,
    on_tokens: Callable[[str, int], None] | None,
) -> None:
    from pycodex.session.conversation import ConversationManager
    from pycodex.session.headless import load_headless_config

    config = await asyncio.to_thread(load_headless_config, task_flags(task, settings.flags), ws.cwd)
    # The batch's folder (results, every task's files) may lie in a writable root (/tmp): it
    # stays read-only to the task's commands and patches, but for the task's own workspace.
    config.protected_paths = [task_dir.parent]
    turn = _Turn()
    mapper = JsonlMapper()
    with (task_dir / "events.jsonl").open("w", encoding="utf-8") as out:
        conv = await ConversationManager().new_conversation(config)
        result.thread_id = conv.id
        result.rollout = str(conv.rollout_path) if conv.rollout_path else None
        watcher: asyncio.Task[None] | None = None
        try:
            _emit(out, mapper, conv.configured)
            items: list[InputItem] = [LocalImageInput(path=Path(p)) for p in task.images]
            items.append(TextInput(text=task.prompt))
            sub_id = await conv.submit(ops.UserTurn(
                items=items, cwd=config.cwd, approval_policy=config.approval_policy,
                sandbox_policy=config.sandbox_policy, model=conv.configured.model,
                effort=config.model_reasoning_effort, summary=config.model_reasoning_summary,
                final_output_json_schema=settings.output_schema,
            ))
            watcher = asyncio.create_task(_watch(conv, turn, settings.timeout_s, stop))
            await _drive(conv, sub_id, turn, mapper, out,
                         lambda n: on_tokens and on_tokens(task.id, n))
        except BaseException:  # cancelled (a Ray cancel) or broken: the session still ends
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(conv.shutdown(), INTERRUPT_GRACE_S)
            raise
        finally:
            if watcher is not None:
                watcher.cancel()
    result.final_message = mapper.last_agent_message
    result.usage = turn.usage
    if turn.stopped is not None and not turn.completed:
        result.status = turn.stopped
        result.error = (ABORTED if turn.stopped is Status.ABORTED
                        else f"timed out after {settings.timeout_s:g} s")
    elif turn.completed:
        result.status, result.error = Status.COMPLETED, None
    else:
        result.status = Status.FAILED
        result.error = turn.error or "the session ended before the turn did"


def _emit(out: IO[str], mapper: JsonlMapper, msg: Any) -> None:
    lines = mapper.map(msg)
    if lines:  # flushed, so `tail -f events.jsonl` follows a running task
        out.write("".join(dump_thread_event(x) + "\n" for x in lines))
        out.flush()


async def _drive(conv: Conversation, sub_id: str, turn: _Turn, mapper: JsonlMapper, out: IO[str],
                 tokens: Callable[[int], object]) -> None:
    """Read events until the session has shut down, writing the JSONL lines as they come."""
    shutting_down = False
    while True:
        event = conv.next_event_nowait() or await conv.next_event()
        msg = event.msg
        _emit(out, mapper, msg)
        if isinstance(msg, ev.TokenCount) and msg.info is not None:
            turn.usage = msg.info.total_token_usage.model_dump()
            tokens(msg.info.total_token_usage.total_tokens)
        elif isinstance(msg, ev.ErrorEvent):
            turn.error = msg.message
        elif isinstance(msg, ev.TaskComplete | ev.TurnAborted) and event.id == sub_id:
            turn.over = True
            turn.completed = isinstance(msg, ev.TaskComplete) and not mapper.failed
            if isinstance(msg, ev.TurnAborted) and turn.error is None:
                turn.error = f"turn aborted: {msg.reason.value}"
        elif isinstance(msg, ev.ShutdownComplete):
            return
        if turn.over and not shutting_down:
            shutting_down = True
            await conv.submit(ops.Shutdown())  # kills the task's processes, closes the rollout


async def _watch(conv: Conversation, turn: _Turn, timeout_s: float | None, stop: asyncio.Event | None) -> None:
    """End the turn when it runs out of time or the batch is stopped."""
    waiter = stop.wait() if stop is not None else asyncio.Event().wait()
    try:
        await asyncio.wait_for(waiter, timeout_s)
        reason = Status.ABORTED
    except TimeoutError:
        reason = Status.TIMED_OUT
    if turn.over:
        return
    turn.stopped = reason
    await conv.submit(ops.Interrupt())
    await asyncio.sleep(INTERRUPT_GRACE_S)
    if not turn.over:  # the turn did not wind down: shutting down kills everything
        await conv.submit(ops.Shutdown())
