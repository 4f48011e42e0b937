"""Durable file operations for committing a patch: atomic writes, directory syncs, rollback."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


def atomic_write(path: Path, data: bytes, mode: int | None) -> None:
    """Write through a synced temp file in the same directory, renamed over `path`."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".pycodex-tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode if mode is not None else 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def sync_dirs(dirs: Iterable[Path]) -> None:
    """fsync each directory, so the renames and unlinks in it survive a power cut."""
    for d in sorted(set(dirs), key=lambda p: len(p.parts), reverse=True):
        try:
            fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue  # gone (a rolled-back directory) or unreadable: nothing we can sync
        try:
            os.fsync(fd)
        except OSError:
            pass  # some filesystems refuse fsync on a directory (EINVAL); the data is written
        finally:
            os.close(fd)


@dataclass(frozen=True)
class Done:
    """One completed step of a commit: the path and what it held before (None: nothing)."""

    path: Path
    original: bytes | None
    mode: int | None
    deleted: bool  # the step removed the file (else it wrote it)


@dataclass(frozen=True)
class Unrestored:
    """A file or directory the rollback could not put back, and why."""

    path: Path
    what: str  # the state it was left in, e.g. "keeps the patch's new content"
    reason: str


def rollback(done: list[Done], created_dirs: list[Path]) -> list[Unrestored]:
    """Undo the steps newest first; returns what could not be undone (empty: all restored)."""
    failed: list[Unrestored] = []
    for step in reversed(done):
        try:
            if step.original is None:
                step.path.unlink()
            else:
                atomic_write(step.path, step.original, step.mode)
        except OSError as e:
            if step.original is None:
                what = "was created by the patch and could not be removed"
            elif step.deleted:
                what = "was deleted by the patch and could not be recreated"
            else:
                what = "could not be restored and keeps the patch's new content"
            failed.append(Unrestored(step.path, what, reason(e)))
    for d in reversed(created_dirs):
        try:
            d.rmdir()
        except OSError as e:
            failed.append(Unrestored(d, "(a directory the patch created) could not be removed", reason(e)))
    sync_dirs([s.path.parent for s in done] + [d.parent for d in created_dirs])
    return failed


def reason(e: OSError) -> str:
    """The OS's words for an error ("File too large"), without the path."""
    return e.strerror or str(e) or type(e).__name__
