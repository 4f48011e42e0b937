"""Archived threads: their rollouts moved to `$PYCODEX_HOME/archived_sessions/`, as Codex keeps them."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from pycodex.rollout.durable import fsync_dir
from pycodex.rollout.paths import sessions_dir

ARCHIVED_DIR = "archived_sessions"


def archived_dir(home: Path) -> Path:
    """`$PYCODEX_HOME/archived_sessions`."""
    return home / ARCHIVED_DIR


def archived_rollouts(home: Path) -> list[Path]:
    """Every archived rollout, newest first (by the timestamp in its name)."""
    try:
        return sorted(archived_dir(home).glob("rollout-*.jsonl"), reverse=True)
    except OSError:
        return []


def find_archived(home: Path, thread_id: str) -> Path | None:
    """The archived rollout of a thread id."""
    for path in archived_rollouts(home):
        if path.stem.endswith(thread_id):
            return path
    return None


def archive_rollout(home: Path, path: Path) -> Path:
    """Move a rollout into the archive (same name); returns where it now is."""
    target = archived_dir(home) / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, target)
    fsync_dir(target.parent)
    fsync_dir(path.parent)
    return target


def unarchive_rollout(home: Path, path: Path) -> Path:
    """Move an archived rollout back under `sessions/YYYY/MM/DD/` (the date in its name)."""
    try:  # rollout-YYYY-MM-DDThh-mm-ss-<id>.jsonl
        day = dt.datetime.strptime(path.name[len("rollout-"):len("rollout-YYYY-MM-DD")], "%Y-%m-%d")
    except ValueError:
        day = dt.datetime.now()
    target = sessions_dir(home) / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}" / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, target)
    fsync_dir(target.parent)
    fsync_dir(path.parent)
    return target
