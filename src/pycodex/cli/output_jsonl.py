"""`exec --json`: one JSON line per thread event on stdout."""

from __future__ import annotations

import sys
from typing import Any

from pycodex.protocol.exec_jsonl import JsonlMapper
from pycodex.protocol.json import dump_thread_event


class JsonlOutput:
    """Writes the mapped events; stdout carries nothing else."""

    def __init__(self) -> None:
        self._mapper = JsonlMapper()
        self._write = sys.stdout.write

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
            self._write("".join(dump_thread_event(x) + "\n" for x in lines))
            sys.stdout.flush()

    def finish(self) -> None:
        """Nothing is buffered."""
        sys.stdout.flush()
