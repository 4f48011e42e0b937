"""`exec --json`: one JSON line per thread event on stdout."""

from __future__ import annotations

import os
import select
import sys
from typing import Any

from pycodex.protocol.exec_jsonl import JsonlMapper
from pycodex.protocol.json import dump_thread_event


class JsonlOutput:
    """Writes the mapped events; stdout carries nothing else."""

    def __init__(self) -> None:
        self._mapper = JsonlMapper()
        sys.stdout.flush()  # written to the descriptor from here on, never through its buffer
        self._fd = sys.stdout.fileno()

    @property
    def failed(self) -> bool:
        """Whether the run failed (exit code 1)."""
        return self._mapper.failed

    @property
    def last_agent_message(self) -> str | None:
        """The final answer."""
        return self._mapper.last_agent_message

    def handle(self, event: Any) -> None:
        """Print the lines for one event."""
        lines = self._mapper.map(event.msg)
        if lines:
            write_all(self._fd, "".join(dump_thread_event(x) + "\n" for x in lines).encode())

    def finish(self) -> None:
        """Nothing is buffered."""


def write_all(fd: int, data: bytes) -> None:
    """Write every byte to fd, waiting whenever it is full (even if someone made it non-blocking).

    Lines of a few hundred kilobytes (a command of 200 KB in `item.started`) went through
    sys.stdout cut at 128 KiB now and then, the next line glued on: a consumer then reads one
    line that is not JSON. Whole lines written straight to the descriptor never were.
    """
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view):]
        except BlockingIOError:
            select.select([], [fd], [])
