"""Durable file operations for committing a patch: atomic writes, directory syncs, rollback.

Every operation goes through the commit's `DirFds` (directories opened from `/` without
following symlinks) and names only a final component, so nothing here resolves a path
that a concurrent command could redirect.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pycodex.patch.dirfd import DirFds, PathChanged, is_symlink_at

_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def write_file(fds: DirFds, path: Path, data: bytes, mode: int | None) -> None:
    """Write `path` for the patch, making missing directories; refuses a target that is now a symlink."""
    dir_fd = fds.open(path.parent, path, create=True)
    # Refused, not replaced: the plan was made from what stood there. A symlink appearing
    # after this check is replaced by the rename, never followed.
    if is_symlink_at(dir_fd, path.name):
        raise PathChanged(path, path)
    _atomic_write(dir_fd, path.name, data, mode)


def remove_file(fds: DirFds, path: Path) -> None:
    """Delete `path` for the patch; refuses a target that is now a symlink."""
    dir_fd = fds.open(path.parent, path)
    if is_symlink_at(dir_fd, path.name):
        raise PathChanged(path, path)
    os.unlink(path.name, dir_fd=dir_fd)


def _atomic_write(dir_fd: int, name: str, data: bytes, mode: int | None) -> None:
    """Write through a synced temp file in the same directory, renamed over `name` (replaced, never followed)."""
    fd, tmp = _create_temp(dir_fd, name)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fchmod(fd, mode if mode is not None else 0o644)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dir_fd)
        raise


def _create_temp(dir_fd: int, name: str) -> tuple[int, str]:
    for _ in range(100):
        tmp = f".{name}.{os.urandom(4).hex()}.pycodex-tmp"
        try:
            return os.open(tmp, _TEMP_FLAGS, 0o600, dir_fd=dir_fd), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name next to {name}")


def sync_dirs(fds: DirFds, dirs: Iterable[Path]) -> None:
    """fsync each directory, so the renames and unlinks in it survive a power cut."""
    for d in sorted(set(dirs), key=lambda p: len(p.parts), reverse=True):
        held = fds.get(d)
        if held is None:
            continue  # never opened by this commit: nothing in it changed
        try:
            fd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=held)
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


def rollback(fds: DirFds, done: list[Done]) -> list[Unrestored]:
    """Undo the steps newest first, through the commit's own directories; returns what could not be undone."""
    failed: list[Unrestored] = []
    for step in reversed(done):
        try:
            dir_fd = fds.open(step.path.parent, step.path)
            if step.original is None:
                os.unlink(step.path.name, dir_fd=dir_fd)
            else:
                _atomic_write(dir_fd, step.path.name, step.original, step.mode)
        except OSError as e:
            if step.original is None:
                what = "was created by the patch and could not be removed"
            elif step.deleted:
                what = "was deleted by the patch and could not be recreated"
            else:
                what = "could not be restored and keeps the patch's new content"
            failed.append(Unrestored(step.path, what, reason(e)))
    for d in reversed(fds.created):
        if not fds.still_made_here(d):
            continue  # moved or replaced by someone else since: what is there now is not ours
        try:
            os.rmdir(d.name, dir_fd=fds.open(d.parent, d))
        except FileNotFoundError:
            continue  # moved away since the check: likewise not ours to report
        except OSError as e:
            failed.append(Unrestored(d, "(a directory the patch created) could not be removed", reason(e)))
    sync_dirs(fds, [s.path.parent for s in done] + [d.parent for d in fds.created])
    return failed


def reason(e: OSError) -> str:
    """The OS's words for an error ("File too large"), without the path."""
    return e.strerror or str(e) or type(e).__name__
