"""Prompt history: `$PYCODEX_HOME/history.jsonl`, shared safely by concurrent processes.

Every writer holds an exclusive lock on `history.jsonl.lock` while it appends; a trim (the file
grew past max_bytes) writes the kept tail to a temp file, fsyncs it and renames it over the data
file under that same lock. The lock lives on its own file because the rename replaces the data
file's inode. Readers take the lock shared. A reader that takes no lock at all still never sees a
half-rewritten file: the data file is only ever appended to or replaced whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from pycodex.protocol.events import HistoryEntry
from pycodex.rollout.durable import fsync_dir

# A trim keeps this share of max_bytes, so the whole file is not rewritten on every later append.
SOFT_CAP_RATIO = 0.8


def kept_tail(data: bytes, limit: int) -> bytes:
    """The newest whole lines of `data` that fit in `limit` bytes (at least the newest line)."""
    if len(data) <= limit:
        return data
    newest = data.rfind(b"\n", 0, len(data) - 1) + 1
    nl = data.find(b"\n", len(data) - limit - 1)  # the first line start within the limit
    cut = nl + 1 if nl >= 0 else newest
    return data[min(cut, newest):]


class PromptHistory:
    """Appends prompts under an exclusive lock; bounded by max_bytes (oldest dropped)."""

    def __init__(self, home: Path, persistence: str = "save-all", max_bytes: int | None = None) -> None:
        self.path = home / "history.jsonl"
        self.lock_path = home / "history.jsonl.lock"
        self.persistence = persistence
        self.max_bytes = max_bytes

    @contextlib.contextmanager
    def _locked(self, exclusive: bool) -> Iterator[None]:
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:
            if exclusive:
                raise
            # A reader that cannot create the lock (read-only home) still reads a whole file.
            yield
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    def append_sync(self, session_id: str, text: str) -> None:
        """Append one entry (no-op when persistence is `none`)."""
        if self.persistence == "none":
            return
        line = json.dumps({"session_id": session_id, "ts": int(time.time()), "text": text}) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._locked(exclusive=True):
            # Opened under the lock: a trim may have replaced the file since the last append.
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
            try:
                _write_all(fd, line.encode("utf-8"))
                size = os.fstat(fd).st_size
            finally:
                os.close(fd)
            if self.max_bytes is not None and size > self.max_bytes:
                self._trim_locked(self.max_bytes)

    def _trim_locked(self, max_bytes: int) -> None:
        kept = kept_tail(self.path.read_bytes(), int(max_bytes * SOFT_CAP_RATIO))
        fd, tmp = tempfile.mkstemp(prefix=".history-", suffix=".tmp", dir=self.path.parent)
        try:
            try:
                _write_all(fd, kept)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        fsync_dir(self.path.parent)

    def metadata_sync(self) -> tuple[int, int]:
        """(log id = inode, number of entries)."""
        try:
            with self._locked(exclusive=False), self.path.open("rb") as f:
                return os.fstat(f.fileno()).st_ino, sum(1 for _ in f)
        except FileNotFoundError:
            return 0, 0

    def lookup_sync(self, log_id: int, offset: int) -> HistoryEntry | None:
        """Entry number `offset`, if the file is still the one `log_id` names."""
        try:
            with self._locked(exclusive=False), self.path.open("rb") as f:
                if os.fstat(f.fileno()).st_ino != log_id:
                    return None
                for i, raw in enumerate(f):
                    if i == offset:
                        d = json.loads(raw)
                        return HistoryEntry(conversation_id=d["session_id"], ts=d["ts"], text=d["text"])
        except (OSError, ValueError, KeyError):
            return None
        return None

    async def append(self, session_id: str, text: str) -> None:
        """Append without blocking the event loop."""
        await asyncio.to_thread(self.append_sync, session_id, text)

    async def metadata(self) -> tuple[int, int]:
        """(log id, entry count) without blocking the event loop."""
        return await asyncio.to_thread(self.metadata_sync)

    async def lookup(self, log_id: int, offset: int) -> HistoryEntry | None:
        """An entry without blocking the event loop."""
        return await asyncio.to_thread(self.lookup_sync, log_id, offset)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
