"""What a surface submits each turn of a thread with (the app-server and the MCP server keep
one per thread; a turn's overrides replace it for later turns)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pycodex.protocol.policies import (
    AskForApproval,
    ReasoningEffort,
    ReasoningSummary,
    SandboxPolicy,
)


@dataclass(frozen=True)
class TurnSettings:
    """A thread's settings for its next turn."""

    cwd: Path
    model: str
    approval_policy: AskForApproval
    sandbox_policy: SandboxPolicy
    effort: ReasoningEffort | None
    summary: ReasoningSummary | None  # None: the model family's default
