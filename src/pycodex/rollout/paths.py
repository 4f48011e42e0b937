"""Where sessions live on disk."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pycodex.config.config import pycodex_home

__all__ = ["pycodex_home", "rollout_path_for", "sessions_dir"]


def sessions_dir(home: Path) -> Path:
    """`$PYCODEX_HOME/sessions`."""
    return home / "sessions"


def rollout_path_for(home: Path, conversation_id: str, when: dt.datetime | None = None) -> Path:
    """`sessions/YYYY/MM/DD/rollout-YYYY-MM-DDThh-mm-ss-<id>.jsonl` in local time."""
    when = when or dt.datetime.now()
    day = sessions_dir(home) / f"{when:%Y}" / f"{when:%m}" / f"{when:%d}"
    return day / f"rollout-{when:%Y-%m-%dT%H-%M-%S}-{conversation_id}.jsonl"
