"""Telling a rollout from other bytes by its first line, before anything reads or repairs it."""

from __future__ import annotations

import json
from pathlib import Path

# A session_meta line carries the base instructions: generous, but a bound on what garbage costs.
MAX_FIRST_LINE = 4 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


def head_problem(head: bytes, limit: int = MAX_FIRST_LINE) -> str | None:
    """Why a file starting with `head` (its first line, at most `limit` bytes) is no rollout."""
    if not head:
        return "the file is empty"
    if head.startswith(_GZIP_MAGIC):
        return "it is gzip data, not JSONL"
    if not head.endswith(b"\n"):
        return f"its first line is longer than {limit} bytes" if len(head) >= limit else "its first line is cut short"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return "it is not UTF-8 text"
    try:
        line = json.loads(text)
    except ValueError:
        return "it is not JSONL (its first line is not JSON)"
    if not isinstance(line, dict) or line.get("type") != "session_meta":
        return "it does not start with a session_meta line"
    payload = line.get("payload")
    if not isinstance(payload, dict) or not isinstance(payload.get("id"), str):
        return "its session_meta line has no thread id"
    return None


def rollout_problem(path: Path) -> str | None:
    """Why the file at `path` is not a rollout (None when it starts like one); reads one line."""
    try:
        with path.open("rb") as f:
            head = f.readline(MAX_FIRST_LINE)
    except OSError as e:
        return f"it cannot be read ({e.strerror or e})"
    return head_problem(head)


class NotARolloutError(Exception):
    """A file that was to be read or appended to as a rollout is something else."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path} is not a session rollout: {problem}")
        self.path = path
        self.problem = problem


def check_rollout(path: Path) -> None:
    """Raise NotARolloutError unless `path` starts like a rollout."""
    problem = rollout_problem(path)
    if problem is not None:
        raise NotARolloutError(path, problem)
