"""Approval, sandbox and reasoning policies, with Codex's wire names."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from pycodex.protocol.base import WireModel

# Declared without pydantic (the CLI's flags need them first); re-exported here.
from pycodex.protocol.modes import AskForApproval as AskForApproval
from pycodex.protocol.modes import SandboxMode as SandboxMode


class DangerFullAccess(WireModel):
    type: Literal["danger-full-access"] = "danger-full-access"


class ReadOnly(WireModel):
    type: Literal["read-only"] = "read-only"


class WorkspaceWrite(WireModel):
    type: Literal["workspace-write"] = "workspace-write"
    writable_roots: list[Path] = Field(default_factory=list)
    network_access: bool = False
    exclude_tmpdir_env_var: bool = False
    exclude_slash_tmp: bool = False


SandboxPolicy = Annotated[DangerFullAccess | ReadOnly | WorkspaceWrite, Field(discriminator="type")]


def sandbox_mode_of(policy: SandboxPolicy) -> SandboxMode:
    """The mode name of a policy."""
    return SandboxMode(policy.type)


def policy_for_mode(mode: SandboxMode | str) -> SandboxPolicy:
    """A default policy for a sandbox mode name."""
    mode = SandboxMode(mode)
    if mode is SandboxMode.READ_ONLY:
        return ReadOnly()
    if mode is SandboxMode.WORKSPACE_WRITE:
        return WorkspaceWrite()
    return DangerFullAccess()


def has_network_access(policy: SandboxPolicy) -> bool:
    """Whether commands under this policy may use the network."""
    if isinstance(policy, DangerFullAccess):
        return True
    return isinstance(policy, WorkspaceWrite) and policy.network_access


class ReviewDecision(StrEnum):
    """The user's answer to an approval request."""

    APPROVED = "approved"
    APPROVED_FOR_SESSION = "approved_for_session"
    DENIED = "denied"
    ABORT = "abort"


class ReasoningEffort(StrEnum):
    NONE = "none"
    MINIMAL = "minimal"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    XHIGH = "xhigh"


class ReasoningSummary(StrEnum):
    AUTO = "auto"
    CONCISE = "concise"
    DETAILED = "detailed"
    NONE = "none"


class Verbosity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class SandboxPermissions(StrEnum):
    """What a tool call asks of the sandbox (`exec_command`'s `sandbox_permissions`)."""

    USE_DEFAULT = "use_default"
    REQUIRE_ESCALATED = "require_escalated"
