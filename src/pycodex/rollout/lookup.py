"""Finding rollout files without an index: by thread id, or the newest one."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

from pycodex.rollout.paths import sessions_dir
from pycodex.rollout.validate import MAX_FIRST_LINE, rollout_problem


def _desc_dirs(p: Path) -> list[Path]:
    try:
        return sorted((d for d in p.iterdir() if d.is_dir()), reverse=True)
    except OSError:
        return []


def iter_rollouts_newest_first(home: Path) -> Iterator[Path]:
    """Every rollout file, newest first (by the timestamp in its name)."""
    for year in _desc_dirs(sessions_dir(home)):
        for month in _desc_dirs(year):
            for day in _desc_dirs(month):
                yield from sorted(day.glob("rollout-*.jsonl"), reverse=True)


def find_rollout_by_id(home: Path, thread_id: str) -> Path | None:
    """The file of a thread id (a unique prefix of at least 8 characters also matches)."""
    thread_id = thread_id.strip().lower()
    if not thread_id:
        return None
    matches = []
    for path in iter_rollouts_newest_first(home):
        tail = path.stem[len("rollout-YYYY-MM-DDThh-mm-ss-"):]
        if tail == thread_id:
            return path
        if len(thread_id) >= 8 and tail.startswith(thread_id):
            matches.append(path)
    return matches[0] if len(matches) == 1 else None


def newest_rollout(
    home: Path, cwd: Path | None = None, on_skip: Callable[[Path, str], None] | None = None
) -> Path | None:
    """The most recent session's file (optionally one that ran in `cwd`); files that are not
    rollouts are passed over, each reported to `on_skip` with the reason."""
    for path in iter_rollouts_newest_first(home):
        problem = rollout_problem(path)
        if problem is not None:
            if on_skip is not None:
                on_skip(path, problem)
            continue
        if cwd is None or _recorded_cwd(path) == cwd:
            return path
    return None


def _recorded_cwd(path: Path) -> Path | None:
    """The cwd in a rollout's session_meta line: its first line only, not the whole file."""
    try:
        with path.open("rb") as f:
            meta = json.loads(f.readline(MAX_FIRST_LINE))
    except (OSError, ValueError):
        return None
    cwd = meta.get("payload", {}).get("cwd") if isinstance(meta, dict) else None
    return Path(cwd) if isinstance(cwd, str) and cwd else None
