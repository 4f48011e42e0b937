"""The exec_command call a process belongs to: kept with the process by the process manager."""

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
    ended: bool = False  # its end event was sent (at exit, or by the call that saw the exit)
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

