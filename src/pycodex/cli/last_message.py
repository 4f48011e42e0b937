"""`exec -o FILE`: the file checked before the run and written after it, outside the sandbox.

The file usually lies in the workspace, which the run's commands may change: a command can swap
it, or its folder, for a symbolic link to a file outside the writable roots, or for a FIFO. So
the folder is opened once before the run (the user's own links resolved then) and the file is
written relative to that folder, never through a link and never blocking.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path


class LastMessageError(Exception):
    """The file cannot be written; the message is one line naming it."""


@dataclass(frozen=True)
class LastMessageFile:
    """The `-o` file: the path as given (for messages), its folder held open, its name."""

    path: Path
    dir_fd: int
    name: str


def open_last_message_file(path: Path) -> LastMessageFile:
    """Check that `path` can be written (created if missing, never truncated) and hold its folder."""
    if path.is_dir():
        raise LastMessageError(f"cannot write the last message to {path}: it is a directory")
    real = Path(os.path.realpath(path))
    try:
        dir_fd = os.open(real.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as e:
        raise LastMessageError(f"cannot write the last message to {path}: {e.strerror or e}") from e
    try:
        fd = os.open(real.name, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NONBLOCK | os.O_CLOEXEC,
                     0o666, dir_fd=dir_fd)
        os.close(fd)
    except OSError as e:
        os.close(dir_fd)
        raise LastMessageError(f"cannot write the last message to {path}: {e.strerror or e}") from e
    return LastMessageFile(path=path, dir_fd=dir_fd, name=real.name)


def write_last_message(target: LastMessageFile, text: str) -> None:
    """Replace the file's content with `text`; LastMessageError when it was swapped for a link
    or something that is not a regular file."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(target.name, flags, 0o666, dir_fd=target.dir_fd)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise LastMessageError(f"cannot write the last message to {target.path}: it became a "
                                   "symbolic link during the run (not followed)") from e
        raise LastMessageError(f"cannot write the last message to {target.path}: {e.strerror or e}") from e
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise LastMessageError(f"cannot write the last message to {target.path}: it is no "
                                   "longer a regular file")
        os.ftruncate(fd, 0)
        data = text.encode("utf-8")
        while data:
            data = data[os.write(fd, data):]
    except OSError as e:
        raise LastMessageError(f"cannot write the last message to {target.path}: {e.strerror or e}") from e
    finally:
        os.close(fd)
        os.close(target.dir_fd)
