"""The `<environment_context>` message: where the agent runs and under which rules."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from pycodex.protocol.models import Message, user_message
from pycodex.protocol.policies import (
    AskForApproval,
    SandboxPolicy,
    WorkspaceWrite,
    has_network_access,
)

ENV_OPEN = "<environment_context>"
USER_INSTRUCTIONS_OPEN = "<user_instructions>"


@dataclass(frozen=True)
class EnvironmentContext:
    """The facts we tell the model about its environment."""

    cwd: Path
    approval_policy: AskForApproval
    sandbox_policy: SandboxPolicy
    shell: str
    writable_roots: tuple[Path, ...] = ()

    def render(self, today: dt.date | None = None) -> str:
        """The XML text of the message."""
        today = today or dt.date.today()
        lines = [
            ENV_OPEN,
            f"  <cwd>{escape(str(self.cwd))}</cwd>",
            f"  <approval_policy>{self.approval_policy.value}</approval_policy>",
            f"  <sandbox_mode>{self.sandbox_policy.type}</sandbox_mode>",
            "  <network_access>"
            + ("enabled" if has_network_access(self.sandbox_policy) else "restricted")
            + "</network_access>",
        ]
        if isinstance(self.sandbox_policy, WorkspaceWrite):
            roots = "".join(f"<root>{escape(str(r))}</root>" for r in self.writable_roots)
            lines.append(f"  <writable_roots>{roots}</writable_roots>")
        lines += [
            f"  <shell>{escape(self.shell)}</shell>",
            f"  <current_date>{today.isoformat()}</current_date>",
            f"  <timezone>{escape(_timezone())}</timezone>",
            "</environment_context>",
        ]
        return "\n".join(lines)

    def message(self) -> Message:
        """The context as a user message."""
        return user_message(self.render())

    def differs_from(self, other: EnvironmentContext | None) -> bool:
        """Whether the model must be told again (the shell does not count)."""
        if other is None:
            return True
        return (self.cwd, self.approval_policy, self.sandbox_policy, self.writable_roots) != (
            other.cwd,
            other.approval_policy,
            other.sandbox_policy,
            other.writable_roots,
        )


def _timezone() -> str:
    tz = os.environ.get("TZ")
    if tz:
        return tz
    try:
        link = os.readlink("/etc/localtime")
        return link.split("zoneinfo/", 1)[1] if "zoneinfo/" in link else "UTC"
    except OSError:
        return "UTC"


def user_instructions_message(text: str) -> Message:
    """AGENTS.md and global instructions wrapped as Codex wraps them."""
    return user_message(f"{USER_INSTRUCTIONS_OPEN}\n\n{text}\n\n</user_instructions>")


def is_context_message(text: str) -> bool:
    """Whether a user message is one we generated (not typed by the user)."""
    head = text.lstrip()[:64].lower()
    # `<codex_internal_context`: what the system tells the model (goal notes), Codex's tag.
    return head.startswith(
        (ENV_OPEN, USER_INSTRUCTIONS_OPEN, "<user_action>", "<codex_internal_context")
    )
