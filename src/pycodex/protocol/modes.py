"""The approval and sandbox mode names, without pydantic: the CLI's flags are declared with
them before (or without) anything imports the protocol's models."""

from __future__ import annotations

from enum import StrEnum


class AskForApproval(StrEnum):
    """When the user is asked before a command runs."""

    UNTRUSTED = "untrusted"
    ON_FAILURE = "on-failure"
    ON_REQUEST = "on-request"
    NEVER = "never"


class SandboxMode(StrEnum):
    """The config/CLI name of a sandbox policy."""

    READ_ONLY = "read-only"
    WORKSPACE_WRITE = "workspace-write"
    DANGER_FULL_ACCESS = "danger-full-access"
