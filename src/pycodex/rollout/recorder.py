"""RolloutRecorder: appends the session's items to its JSONL file, durably and in order.

What survives a power cut, exactly:
- a new session's file with its session_meta line, once `create` returns (the file, its day
  directory and every directory `create` had to make are fsynced);
- every item of a turn, once the session's turn-end sync returns (also after an interrupt); a
  sync that fails stops the session with an error event, so no client takes lost work for saved.
Items are written to the OS as they are recorded (a crash of pycodex alone loses none of them),
but a power cut may lose those not yet synced: the current turn's, and the task_complete line
written after the turn-end sync, which the next sync or the best-effort one at shutdown covers.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import re
from collections.abc import Sequence
from pathlib import Path

from pycodex.protocol.rollout import SessionMeta
from pycodex.protocol.text import encode_utf8
from pycodex.rollout.durable import make_dirs, sync_new_entries
from pycodex.rollout.items import RolloutItem
from pycodex.rollout.paths import rollout_path_for
from pycodex.rollout.policy import is_persisted
from pycodex.rollout.validate import check_rollout

__all__ = ["RolloutItem", "RolloutRecorder", "RolloutWriteError"]


class RolloutWriteError(Exception):
    """The rollout cannot be written (disk full, permissions); the session must stop."""


class RolloutInUseError(RolloutWriteError):
    """Another process is writing this session: a second writer would interleave two turns."""


def repair_torn_tail(path: Path) -> bool:
    """Cut a partial last line left by a crash (kept beside the file as `.torn`)."""
    with path.open("rb+") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        if size == 0:
            return False
        f.seek(size - 1)
        if f.read(1) == b"\n":
            return False
        # Scan back for the last complete line.
        block = 65536
        pos = size
        cut = 0
        while pos > 0:
            start = max(0, pos - block)
            f.seek(start)
            chunk = f.read(pos - start)
            idx = chunk.rfind(b"\n")
            if idx >= 0:
                cut = start + idx + 1
                break
            pos = start
        f.seek(cut)
        torn = f.read()
        path.with_name(path.name + ".torn").write_bytes(torn)
        f.truncate(cut)
        return True


def _lock(fd: int, path: Path) -> None:
    """Hold the file for this writer until it is closed (the kernel lets go if it dies)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        session = path.stem.removeprefix("rollout-")[20:] or path.name
        raise RolloutInUseError(
            f"session {session} is in use by another process (it is still running there); "
            "resume it once that one has ended, or fork it"
        ) from None
    except OSError:
        pass  # a filesystem without locks: written unguarded, as before


# Codex 0.169 numbers every line of its "paginated" rollouts (`ordinal`, the second key) and
# refuses to resume one whose last line has none.
_ORDINAL = re.compile(rb'^\{"timestamp": ?"[^"]*", ?"ordinal": ?(\d+)[,}]')


def last_ordinal(path: Path) -> int | None:
    """The `ordinal` of the file's last complete line, if that line carries one."""
    with path.open("rb") as f:
        end = f.seek(0, os.SEEK_END)
        if end == 0:
            return None
        pos, start = end - 1, 0  # the byte before the final newline ends the search
        while pos > 0:
            lo = max(0, pos - 65536)
            f.seek(lo)
            idx = f.read(pos - lo).rfind(b"\n")
            if idx >= 0:
                start = lo + idx + 1
                break
            pos = lo
        f.seek(start)
        m = _ORDINAL.match(f.read(128))
    return int(m.group(1)) if m else None


class RolloutRecorder:
    """Writes rollout lines with one ordered writer; every `record` is on disk when it returns."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd = fd
        self._lock = asyncio.Lock()
        self._failed: RolloutWriteError | None = None
        self._closed = False
        # Set when the file numbers its lines (a Codex rollout): the next line's ordinal.
        self._next_ordinal: int | None = None

    @classmethod
    async def create(cls, home: Path, conversation_id: str, meta: SessionMeta) -> RolloutRecorder:
        """A new file starting with its session_meta; file and name are on disk on return."""
        path = rollout_path_for(home, conversation_id)
        fd = await asyncio.to_thread(cls._create, path)
        rec = cls(path, fd)
        await rec.record([RolloutItem.session_meta(meta)])
        await rec.sync()
        return rec

    @classmethod
    async def resume(cls, path: Path) -> RolloutRecorder:
        """Reopen an existing rollout for append (repairing a torn last line first); a file
        that is not a rollout is refused untouched (NotARolloutError)."""
        def open_existing() -> tuple[int, int | None]:
            check_rollout(path)  # before the repair, which truncates
            fd = cls._open(path)
            try:
                # Locked before the repair: the "torn" tail may be a line the owner is writing.
                _lock(fd, path)
                repair_torn_tail(path)
                ordinal = last_ordinal(path)
            except OSError as e:
                os.close(fd)
                raise RolloutWriteError(f"cannot repair rollout file {path}: {e.strerror or e}") from e
            except BaseException:
                os.close(fd)
                raise
            return fd, ordinal

        fd, ordinal = await asyncio.to_thread(open_existing)
        rec = cls(path, fd)
        if ordinal is not None:
            rec._next_ordinal = ordinal + 1
        return rec

    @staticmethod
    def _create(path: Path) -> int:
        try:
            created = make_dirs(path.parent)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as e:
            raise RolloutWriteError(f"cannot open rollout file {path}: {e.strerror or e}") from e
        try:
            _lock(fd, path)
            # The file's name lives in its directory, and each new directory in its parent:
            # without these fsyncs a power cut can lose the file even after it was synced.
            sync_new_entries(path.parent, created)
        except OSError as e:
            os.close(fd)
            raise RolloutWriteError(f"cannot sync the directory of {path}: {e.strerror or e}") from e
        except BaseException:
            os.close(fd)
            raise
        return fd

    @staticmethod
    def _open(path: Path) -> int:
        try:
            return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
        except OSError as e:
            raise RolloutWriteError(f"cannot open rollout file {path}: {e.strerror or e}") from e

    async def record(self, items: Sequence[RolloutItem]) -> None:
        """Append the items the policy keeps; returns once they are written to the OS."""
        kept = [i for i in items if is_persisted(i.type, i.payload_type())]
        if not kept:
            return
        async with self._lock:
            self._check()
            # Encoding runs in the writer thread too: a fork copies a whole session at once.
            await asyncio.to_thread(self._write_all, kept)

    def _check(self) -> None:
        if self._failed is not None:
            raise self._failed
        if self._closed:
            raise RolloutWriteError(f"rollout {self.path} is already closed")

    def _write_all(self, items: Sequence[RolloutItem]) -> None:
        first = self._next_ordinal
        if first is None:
            text = "".join(i.to_line() for i in items)
        else:
            text = "".join(i.to_line(ordinal=first + n) for n, i in enumerate(items))
            self._next_ordinal = first + len(items)
        view = memoryview(encode_utf8(text))
        try:
            while view:
                n = os.write(self._fd, view)
                view = view[n:]
        except OSError as e:
            self._failed = RolloutWriteError(
                f"cannot write rollout file {self.path}: {e.strerror or e}"
            )
            raise self._failed from e

    async def flush(self) -> None:
        """Writes are unbuffered; waiting for the lock orders this after pending writes."""
        async with self._lock:
            self._check()

    async def sync(self) -> None:
        """fsync: the turn boundary where the file must survive a power cut."""
        async with self._lock:
            if self._closed or self._failed is not None:
                return
            try:
                await asyncio.to_thread(os.fsync, self._fd)
            except OSError as e:
                self._failed = RolloutWriteError(f"cannot sync rollout file {self.path}: {e.strerror}")
                raise self._failed from e

    async def shutdown(self) -> None:
        """Sync and close the file."""
        async with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                await asyncio.to_thread(os.fsync, self._fd)
            except OSError:
                pass
            os.close(self._fd)
