"""Rollout file lines: `{timestamp, type, payload}`, as Codex writes them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field

from pycodex.protocol.base import WireModel
from pycodex.protocol.policies import (
    AskForApproval,
    ReasoningEffort,
    ReasoningSummary,
    SandboxPolicy,
)


class GitInfo(WireModel):
    commit_hash: str | None = None
    branch: str | None = None
    repository_url: str | None = None


class SessionMeta(WireModel):
    id: str
    timestamp: str
    cwd: Path
    originator: str = "pycodex"
    cli_version: str = ""
    instructions: str | None = None
    source: str = "exec"
    model_provider: str | None = None
    model: str | None = None
    forked_from_id: str | None = None
    git: GitInfo | None = None


class TurnContextItem(WireModel):
    cwd: Path
    approval_policy: AskForApproval
    sandbox_policy: SandboxPolicy
    model: str
    effort: ReasoningEffort | None = None
    summary: ReasoningSummary = ReasoningSummary.AUTO
    turn_id: str | None = None


class CompactedItem(WireModel):
    message: str
    replacement_history: list[Any] | None = None


class RolloutLine(WireModel):
    """One line of a rollout file; `payload` is typed by the reader per `type`."""

    timestamp: str
    type: str
    payload: Any = Field(default=None)


ROLLOUT_LINE_TYPES = ("session_meta", "response_item", "event_msg", "turn_context", "compacted")
