"""Prompt history: `$PYCODEX_HOME/history.jsonl`, shared safely by concurrent processes."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import time
from pathlib import Path

from pycodex.protocol.events import HistoryEntry


class PromptHistory:
    """Appends prompts under an exclusive lock; bounded by max_bytes (oldest dropped)."""

    def __init__(self, home: Path, persistence: str = "save-all", max_bytes: int | None = None) -> None:
        self.path = home / "history.jsonl"
        self.persistence = persistence
        self.max_bytes = max_bytes

    def append_sync(self, session_id: str, text: str) -> None:
        """Append one entry (no-op when persistence is `none`)."""
        if self.persistence == "none":
            return
        line = json.dumps({"session_id": session_id, "ts": int(time.time()), "text": text}) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, line.encode("utf-8"))
            if self.max_bytes is not None and os.fstat(fd).st_size > self.max_bytes:
                self._trim_locked(fd)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _trim_locked(self, fd: int) -> None:
        # Rewrite in place under the lock so other writers never see a half file.
        assert self.max_bytes is not None
        os.lseek(fd, 0, os.SEEK_SET)
        data = b""
        while chunk := os.read(fd, 1 << 20):
            data += chunk
        lines = data.splitlines(keepends=True)
        total = len(data)
        while lines and total > self.max_bytes:
            total -= len(lines.pop(0))
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, b"".join(lines))

    def metadata_sync(self) -> tuple[int, int]:
        """(log id = inode, number of entries)."""
        try:
            st = self.path.stat()
            with self.path.open("rb") as f:
                count = sum(1 for _ in f)
            return st.st_ino, count
        except FileNotFoundError:
            return 0, 0

    def lookup_sync(self, log_id: int, offset: int) -> HistoryEntry | None:
        """Entry number `offset`, if the file is still the one `log_id` names."""
        try:
            if self.path.stat().st_ino != log_id:
                return None
            with self.path.open("rb") as f:
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
