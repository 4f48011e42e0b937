"""Bookkeeping for exec_command sessions that outlive the call that started them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

MAX_RETAINED_OUTPUT = 1024 * 1024


@dataclass
class ExecCallInfo:
    """The call a running process belongs to, and the output it produced so far."""

    call_id: str
    command: list[str]
    cwd: Path
    started: float = field(default_factory=time.monotonic)
    deltas_sent: int = 0
    _output: bytearray = field(default_factory=bytearray)
    _dropped: int = 0

    def add_output(self, data: bytes) -> None:
        """Keep the newest output, bounded."""
        self._output += data
        excess = len(self._output) - MAX_RETAINED_OUTPUT
        if excess > 0:
            del self._output[:excess]
            self._dropped += excess

    def aggregated_text(self) -> str:
        """Everything kept, decoded leniently."""
        text = self._output.decode("utf-8", errors="replace")
        if self._dropped:
            return f"[... {self._dropped} earlier bytes omitted ...]\n{text}"
        return text


class ExecSessionRegistry:
    """Running exec sessions by id."""

    def __init__(self) -> None:
        self._by_id: dict[int, ExecCallInfo] = {}

    def register(self, session_id: int, info: ExecCallInfo) -> None:
        """Remember a process that is still running."""
        self._by_id[session_id] = info

    def get(self, session_id: int) -> ExecCallInfo | None:
        """The call a session belongs to."""
        return self._by_id.get(session_id)

    def pop(self, session_id: int) -> ExecCallInfo | None:
        """Forget a finished session."""
        return self._by_id.pop(session_id, None)

    def clear(self) -> None:
        """Forget every session (all were killed)."""
        self._by_id.clear()
