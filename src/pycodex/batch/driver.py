"""`pycodex batch`: check everything, run what is left to run, record the results.

Nothing runs until every task line, workspace, image and config has been checked; a rerun
keeps the completed results and runs the rest; Ctrl-C aborts the running tasks, records them
and exits 130 (a second Ctrl-C leaves at once).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import fcntl
import json
import os
import secrets
import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pycodex.batch.local import run_local
from pycodex.batch.progress import Progress
from pycodex.batch.ray_engine import RayOptions, RayUnavailable, connect, run_ray
from pycodex.batch.ray_worker import TOKEN_FILE
from pycodex.batch.results import (
    RunPlan,
    Tally,
    TaskResult,
    exit_code,
    in_task_order,
    not_started,
    plan_run,
)
from pycodex.batch.runner import RunSettings, task_flags, write_json_atomic
from pycodex.batch.tasks import TaskSpec, parse_tasks
from pycodex.session.headless import HeadlessFlags

LOCK_FILE = ".pycodex-batch-lock"
DEFAULT_JOBS = 4


class BatchError(Exception):
    """A problem found before anything ran: one line per problem, exit code 2."""


@dataclass
class BatchOptions:
    """Everything `batch` was asked to do."""

    tasks_file: Path
    out: Path
    flags: HeadlessFlags = field(default_factory=HeadlessFlags)
    jobs: int | None = None  # local: DEFAULT_JOBS; ray: as many as the cluster takes
    engine: str = "local"
    timeout_s: float | None = None
    retries: int = 0
    output_schema: Path | None = None
    ray: RayOptions = field(default_factory=RayOptions)
    display: str = "auto"  # auto | rich | plain


def run_batch(opts: BatchOptions) -> int:
    """Run the batch; returns the exit code."""
    out = opts.out.expanduser().resolve()
    try:
        tasks, settings = prepare(opts, out)
        out.mkdir(parents=True, exist_ok=True)
        with _locked(out):
            return _run_locked(opts, out, tasks, settings)
    except BatchError as e:
        for line in str(e).splitlines():
            print(f"Error: {line}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"Error: {out}: {e.strerror or e}", file=sys.stderr)
        return 2


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    """One batch per output folder at a time."""
    with (out / LOCK_FILE).open("a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BatchError(f"another batch is running with --out {out}") from None
        yield


def prepare(opts: BatchOptions, out: Path) -> tuple[list[TaskSpec], RunSettings]:
    """Every check that comes before running anything; BatchError lists what is wrong."""
    from pycodex.config.config import ConfigError
    from pycodex.config.home import ensure_home
    from pycodex.session.headless import load_headless_config

    name = str(opts.tasks_file)
    try:
        text = opts.tasks_file.read_text(encoding="utf-8-sig")  # a BOM from an editor is not a task
    except (OSError, UnicodeDecodeError) as e:
        raise BatchError(f"cannot read {name}: {getattr(e, 'strerror', None) or e}") from e
    parsed = parse_tasks(text)
    errors = list(parsed.errors)
    base = opts.tasks_file.expanduser().resolve().parent
    tasks = []
    for task in parsed.tasks:
        try:
            tasks.append(_resolve(task, base, out))
        except ValueError as e:
            errors.append((task.line, str(e)))
    try:
        config = load_headless_config(opts.flags, None)
        ensure_home(config.home)
    except ConfigError as e:
        raise BatchError("\n".join([*_lines(name, errors), str(e)])) from e
    for warning in config.warnings:  # once per run
        print(warning, file=sys.stderr)
    for task in tasks:  # a task's own model and `-c` overrides must make a valid config too
        if task.overrides or task.model:
            try:
                own = load_headless_config(task_flags(task, opts.flags), base)
            except ConfigError as e:
                errors.append((task.line, " ".join(str(e).split())))
                continue
            for warning in own.warnings:  # e.g. an unknown key in the task's own `config`
                if warning not in config.warnings:
                    print(f"{name}:{task.line}: {warning}", file=sys.stderr)
    if errors:
        raise BatchError("\n".join(_lines(name, errors)))
    if opts.engine == "local":  # Ray workers may hold the key the driver lacks
        from pycodex.model.providers import MissingApiKeyError, api_key_for

        try:
            api_key_for(config.model_provider, config.env)
        except MissingApiKeyError as e:
            raise BatchError(str(e)) from e
    return tasks, RunSettings(opts.flags, opts.timeout_s, _schema(opts.output_schema))


def _lines(name: str, errors: list[tuple[int, str]]) -> list[str]:
    """"FILE:LINE: problem", in line order whichever check found it."""
    return [f"{name}:{line}: {text}" for line, text in sorted(errors, key=lambda e: e[0])]


def _resolve(task: TaskSpec, base: Path, out: Path) -> TaskSpec:
    """Relative paths are relative to the TASKS file's folder; each must exist."""
    images = []
    for image in task.images:
        path = (base / Path(image).expanduser()).resolve()
        if not path.is_file():
            raise ValueError(f"image {image} does not exist")
        images.append(str(path))
    if task.is_url:
        return dataclasses.replace(task, images=tuple(images))
    ws = (base / Path(task.workspace).expanduser()).resolve()
    if not ws.is_dir():
        raise ValueError(f"workspace {task.workspace} is not a directory")
    if out == ws or out.is_relative_to(ws):
        from pycodex.batch.workspace import is_repository

        if not is_repository(ws):  # it would be copied into itself
            raise ValueError(f"--out {out} is inside workspace {ws}, which is copied")
    return dataclasses.replace(task, workspace=str(ws), images=tuple(images))


def _schema(path: Path | None) -> Any:
    if path is None:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise BatchError(f"cannot read output schema {path}: {e}") from e


def _previous(out: Path, tasks: list[TaskSpec]) -> dict[str, TaskResult]:
    """Results of an earlier run into the same folder (unreadable ones count as none)."""
    found = {}
    for task in tasks:
        try:
            obj = json.loads((out / task.id / "result.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        result = TaskResult.from_json(obj)
        if result is not None and result.id == task.id:
            found[task.id] = result
    return found


def _token(out: Path) -> str:
    """This output folder's token: a Ray worker that reads it shares the folder."""
    path = out / TOKEN_FILE
    with contextlib.suppress(OSError):
        token = path.read_text(encoding="utf-8").strip()
        if token:
            return token
    token = secrets.token_hex(8)
    path.write_text(token + "\n", encoding="utf-8")
    return token


def _run_locked(opts: BatchOptions, out: Path, tasks: list[TaskSpec], settings: RunSettings) -> int:
    plan = plan_run(tasks, _previous(out, tasks))
    rich = opts.display == "rich" or (opts.display == "auto" and sys.stdout.isatty())
    tally = Tally(total=len(tasks), kept=len(plan.kept))
    progress = Progress(tally, rich=rich)
    engine = opts.engine if opts.engine == "local" else f"ray ({opts.ray.address or 'local'})"
    progress.start(f"batch: {len(plan.run)} to run, {len(plan.kept)} already completed, "
                   f"engine {engine}, output {out}")
    ray = None
    try:
        if opts.engine == "ray" and plan.run:
            ray = connect(opts.ray)
        results, signum = asyncio.run(_engine(opts, out, plan, settings, progress, ray))
    except RayUnavailable as e:
        raise BatchError(str(e)) from e
    finally:
        progress.stop()
        if ray is not None:
            ray.shutdown()
    merged = {**plan.kept, **results}
    ordered = in_task_order(tasks, merged)
    for task in tasks:
        if task.id not in merged:  # never started: say so where the task's result lives
            (out / task.id).mkdir(parents=True, exist_ok=True)
            write_json_atomic(out / task.id / "result.json", not_started(task).to_json())
    lines = "".join(json.dumps(r.to_json(), ensure_ascii=False) + "\n" for r in ordered)
    tmp = out / ".results.jsonl.tmp"
    tmp.write_text(lines, encoding="utf-8")
    os.replace(tmp, out / "results.jsonl")
    progress.summary(ordered, set(plan.kept), f"results in {out / 'results.jsonl'}")
    code = exit_code(ordered, signum is not None)
    return 128 + signum if signum is not None else code


async def _engine(opts: BatchOptions, out: Path, plan: RunPlan, settings: RunSettings,
                  progress: Progress, ray: Any) -> tuple[dict[str, TaskResult], int | None]:
    """Run the plan on the chosen engine; Ctrl-C / SIGTERM stop it cleanly."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    received: list[int] = []

    def on_signal(signum: int) -> None:
        if received:  # a second signal: leave now; the watchdog kills the commands
            progress.stop()
            print("batch: stopped without recording the running tasks", file=sys.stderr)
            os._exit(128 + signum)
        received.append(signum)
        stop.set()
        progress.note(f"batch: {signal.Signals(signum).name}: aborting "
                      f"{len(progress.tally.running)} running task(s); again to leave at once")

    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, on_signal, signum)
    if ray is not None:
        results = await run_ray(ray, plan.run, settings, out, _token(out), opts=opts.ray,
                                jobs=opts.jobs, retries=opts.retries, stop=stop, report=progress)
    else:
        results = await run_local(plan.run, settings, out, jobs=opts.jobs or DEFAULT_JOBS,
                                  retries=opts.retries, stop=stop, report=progress)
    return results, received[0] if received else None
