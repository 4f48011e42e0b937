"""Directory descriptors for one commit, opened from `/` one component at a time, never through a symlink.

A commit reaches the disk only through these descriptors: every write, rename, mkdir and
unlink names a single final component relative to a directory opened here. The plan's paths
are absolute and fully resolved (no symlink, no `..`), so at commit time each component must
still be a real directory; one that has become a symlink (a command running alongside swapped
it) stops the commit with `PathChanged` instead of being followed.

Anchor: the walk starts at `/`. Targets may lie in any writable root (cwd, `/tmp`, added
directories, or anywhere with the sandbox off) and this package does not know the roots, so
one rule from the top checks every component alike. A sandboxed command cannot change the
ancestors of its writable roots, so checking them costs only a few `openat` calls, each
directory opened once per commit (cached).

A held descriptor pins its directory: a command may still rename that directory, but only
within its writable roots (bubblewrap's bind mounts make a rename out fail with EXDEV,
Landlock grants no rights outside), where it could have written the file itself.

Descriptors are `O_PATH`: like a path lookup they need search permission only, not read.
`openat2(RESOLVE_NO_SYMLINKS)` could do each walk in one call, but this walk is needed anyway
where the kernel lacks it, costs one `openat` per directory per commit, and one path is simpler
to keep correct than two.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from types import TracebackType

_DIR_FLAGS = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class PathChanged(OSError):
    """A component of a planned path is now a symlink: the disk changed since the plan."""

    def __init__(self, path: Path, component: Path) -> None:
        super().__init__(errno.ELOOP, "a component of the path is now a symlink")
        self.path = path  # the file the commit was writing or deleting
        self.component = component  # the directory (or the file itself) that is now a symlink


def is_symlink_at(dir_fd: int, name: str) -> bool:
    """Whether `name` in the directory is a symlink (never follows it; absent is False)."""
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except FileNotFoundError:
        return False


class DirFds:
    """The directories of one commit, each opened once without following symlinks; close() releases them."""

    def __init__(self) -> None:
        self._fds: dict[Path, int] = {}
        self.created: list[Path] = []  # directories this commit made, in the order made
        self._made: dict[Path, tuple[int, int]] = {}  # each one's (device, inode)

    def __enter__(self) -> DirFds:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close every descriptor."""
        fds, self._fds = self._fds, {}
        for fd in fds.values():
            os.close(fd)

    def get(self, directory: Path) -> int | None:
        """The descriptor already opened for `directory` in this commit, if any."""
        return self._fds.get(directory)

    def still_made_here(self, directory: Path) -> bool:
        """Whether the directory this commit made is still at its path (not moved or replaced since)."""
        parent, made = self._fds.get(directory.parent), self._made.get(directory)
        if parent is None or made is None:
            return False
        try:
            st = os.stat(directory.name, dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            return False
        return (st.st_dev, st.st_ino) == made

    def open(self, directory: Path, target: Path, create: bool = False) -> int:
        """The descriptor of `directory` (absolute, resolved), making missing components if `create`.

        Raises PathChanged (naming `target`, the file being changed) when a component is a symlink.
        """
        fd = self._fds.get(directory)
        if fd is not None:
            return fd
        if not directory.is_absolute():
            raise ValueError(f"not an absolute path: {directory}")
        # Reuse the deepest directory already open; walk down from there.
        base = directory
        missing: list[str] = []
        while base not in self._fds and base != base.parent:
            missing.append(base.name)
            base = base.parent
        fd = self._fds.get(base)
        if fd is None:
            fd = os.open(base, _DIR_FLAGS)  # the anchor, `/`
            self._fds[base] = fd
        for name in reversed(missing):
            base = base / name
            fd = self._step(fd, name, base, target, create)
            self._fds[base] = fd
        return fd

    def _step(self, parent: int, name: str, here: Path, target: Path, create: bool) -> int:
        try:
            return _open_dir(parent, name, here, target)
        except FileNotFoundError:
            if not create:
                raise
        try:
            os.mkdir(name, dir_fd=parent)
        except FileExistsError:
            return _open_dir(parent, name, here, target)  # made by someone else meanwhile
        fd = _open_dir(parent, name, here, target)
        st = os.fstat(fd)
        self.created.append(here)
        self._made[here] = (st.st_dev, st.st_ino)
        return fd


def _open_dir(parent: int, name: str, here: Path, target: Path) -> int:
    for _ in range(2):
        try:
            return os.open(name, _DIR_FLAGS, dir_fd=parent)
        except OSError as e:
            # O_NOFOLLOW | O_DIRECTORY on a symlink fails ENOTDIR (ELOOP without O_PATH); a
            # plain file fails the same way and keeps its own error.
            if e.errno not in (errno.ENOTDIR, errno.ELOOP):
                raise
            try:
                mode = os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode
            except FileNotFoundError:
                raise e from None
            if stat.S_ISLNK(mode):
                raise PathChanged(target, here) from e
            if not stat.S_ISDIR(mode):
                raise
            # Not a directory when opened, one now: it is being swapped; look once more.
    raise PathChanged(target, here)
