"""Directory durability: a new name survives a power cut only once its directory is fsynced."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_dir(path: Path) -> None:
    """fsync a directory, making the names created or renamed in it durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_dirs(path: Path) -> list[Path]:
    """`mkdir -p`, returning the directories it created, outermost first."""
    missing: list[Path] = []
    p = path
    while not p.is_dir():
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    created = list(reversed(missing))
    for d in created:
        # A concurrent process may make the same directory; syncing its parent twice is harmless.
        d.mkdir(exist_ok=True)
    return created


def sync_new_entries(directory: Path, created: list[Path]) -> None:
    """fsync `directory` (a new file in it) and the parent of every directory just created."""
    # Innermost first: by the time a parent is synced, what it leads to already is.
    for d in dict.fromkeys([directory, *(c.parent for c in reversed(created))]):
        fsync_dir(d)
