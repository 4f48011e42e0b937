"""What the transcript shows, as plain data: one cell per thing that happened (pure)."""

from __future__ import annotations

import codecs
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pycodex.protocol import events as ev

_ids = itertools.count(1)

# A running command's live output keeps only its tail: enough for the last lines on screen.
LIVE_TAIL_CHARS = 16_384


@dataclass(eq=False)
class Cell:
    """Base of every transcript entry; `id` keys its widget."""

    id: int = field(default_factory=lambda: next(_ids), init=False)


CellT = TypeVar("CellT", bound=Cell)


@dataclass(eq=False)
class UserCell(Cell):
    """A message the user sent."""

    text: str = ""


@dataclass(eq=False)
class AgentCell(Cell):
    """The agent's answer, growing while it streams."""

    text: str = ""
    done: bool = False


@dataclass(eq=False)
class ReasoningCell(Cell):
    """A reasoning summary (shown dimmed)."""

    text: str = ""
    done: bool = False


@dataclass(eq=False)
class ExecCell(Cell):
    """A command: its line, live output tail, then exit code and full output."""

    call_id: str = ""
    command: str = ""
    cwd: Path | None = None
    output: str = ""
    exit_code: int | None = None
    duration: float | None = None
    _decoder: codecs.IncrementalDecoder = field(
        default_factory=lambda: codecs.getincrementaldecoder("utf-8")("replace"), repr=False
    )

    def feed(self, data: bytes) -> None:
        """Add raw output (a character split across chunks stays whole)."""
        self.output = (self.output + self._decoder.decode(data))[-LIVE_TAIL_CHARS:]

    @property
    def running(self) -> bool:
        """Whether the command has not ended yet."""
        return self.exit_code is None


@dataclass(eq=False)
class PatchCell(Cell):
    """A patch: the diff of each file, then whether it applied."""

    changes: dict[Path, ev.FileChange] = field(default_factory=dict)
    success: bool | None = None
    error: str = ""


@dataclass(eq=False)
class PlanCell(Cell):
    """A plan update, as a checklist."""

    explanation: str | None = None
    items: list[ev.PlanItem] = field(default_factory=list)


@dataclass(eq=False)
class ErrorCell(Cell):
    """An error, and what the user can do about it."""

    message: str = ""
    hint: str = ""


@dataclass(eq=False)
class InfoCell(Cell):
    """A notice from the UI or the agent (warnings, /status, turn aborted, ...)."""

    text: str = ""
    tone: str = "info"  # info | warning | dim


@dataclass(eq=False)
class DiffCell(Cell):
    """A unified diff (from /diff)."""

    title: str = ""
    diff: str = ""


@dataclass(eq=False)
class ReviewStartCell(Cell):
    """A code review began: what it looks at."""

    hint: str = ""


@dataclass(eq=False)
class ReviewResultCell(Cell):
    """A code review ended: its structured findings, and the review as one text (the answer
    that follows the end; None until it arrives, and for a review that did not finish)."""

    hint: str = ""
    output: ev.ReviewOutputEvent | None = None
    text: str | None = None
    cwd: Path | None = None  # findings under it are shown relative to it


def diff_lines(changes: dict[Path, ev.FileChange]) -> list[str]:
    """A patch's changes as unified-diff-style lines (each file's header, then its lines)."""
    out: list[str] = []
    for path, change in changes.items():
        if isinstance(change, ev.AddFileChange):
            out.append(f"+++ added {path}")
            out += ["+" + line for line in change.content.splitlines()]
        elif isinstance(change, ev.DeleteFileChange):
            out.append(f"--- deleted {path}")
        else:
            target = f" → {change.move_path}" if change.move_path else ""
            out.append(f"*** {path}{target}")
            out += [
                line for line in change.unified_diff.splitlines()
                if not line.startswith(("---", "+++"))
            ]
    return out


def error_hint(info: ev.CodexErrorInfo | None, message: str) -> str:
    """What to do about an error, in one line."""
    hints = {
        ev.CodexErrorInfo.CONTEXT_WINDOW_EXCEEDED:
            "The conversation is too long: /compact it or start a /new one.",
        ev.CodexErrorInfo.USAGE_LIMIT_EXCEEDED:
            "Usage limit reached: wait for it to reset (see /status) or switch /model.",
        ev.CodexErrorInfo.UNAUTHORIZED:
            "Check the API key of your model provider (its env_key in config.toml).",
        ev.CodexErrorInfo.HTTP_CONNECTION_FAILED:
            "Check your network and the provider's base_url, then send your message again.",
        ev.CodexErrorInfo.RESPONSE_STREAM_CONNECTION_FAILED:
            "Check your network, then send your message again.",
        ev.CodexErrorInfo.RESPONSE_STREAM_DISCONNECTED:
            "The connection dropped: send your message again to retry.",
        ev.CodexErrorInfo.RESPONSE_TOO_MANY_FAILED_ATTEMPTS:
            "The provider kept failing: try again later, or switch /model.",
        ev.CodexErrorInfo.BAD_REQUEST:
            "The provider refused the request: check the model name (/model) and config.",
        ev.CodexErrorInfo.SANDBOX_ERROR:
            "The sandbox failed: check `pycodex sandbox` or pick other /approvals.",
    }
    if message.startswith("cannot review"):  # the session refused a review's target
        return "Pick another target with /review."
    if info is not None and info in hints:
        return hints[info]
    if message.startswith("session stopped"):
        return "Start a /new session, or quit and `pycodex resume` this one."
    return "Send your message again to retry, or /new to start over."
