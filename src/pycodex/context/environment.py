"""The `<environment_context>` message: where the agent runs and what it may touch.

Codex 0.169's form: cwd, shell, date and timezone, then a `<filesystem>` part naming the
workspace roots and the permission profile (what may be read and written). How commands are
approved, and the network, are told in the developer `<permissions instructions>` message
(`context/permissions.py`). Older pycodex wrote `<approval_policy>`/`<sandbox_mode>` here;
such messages in resumed histories stay as they were.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from pycodex.protocol.models import Message, user_message
from pycodex.protocol.policies import DangerFullAccess, SandboxPolicy, WorkspaceWrite

ENV_OPEN = "<environment_context>"


def escape(text: str) -> str:
    """`&`, `<` and `>` as XML entities (as xml.sax.saxutils.escape, whose import pulls in
    urllib.request, http.client and email: ~10 ms of every start)."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")

USER_INSTRUCTIONS_OPEN = "<user_instructions>"


@dataclass(frozen=True)
class EnvironmentContext:
    """The facts we tell the model about its environment."""

    cwd: Path
    shell: str
    sandbox_policy: SandboxPolicy
    workspace_roots: tuple[Path, ...] = ()  # cwd first; all writable under workspace-write
    protected_names: tuple[str, ...] = ()  # kept read-only inside each writable root

    def render(self, today: dt.date | None = None) -> str:
        """The XML text of the message."""
        today = today or dt.date.today()
        return "\n".join(
            [
                ENV_OPEN,
                f"  <cwd>{escape(str(self.cwd))}</cwd>",
                f"  <shell>{escape(self.shell)}</shell>",
                f"  <current_date>{today.isoformat()}</current_date>",
                f"  <timezone>{escape(_timezone())}</timezone>",
                f"  {self.filesystem()}",
                "</environment_context>",
            ]
        )

    def filesystem(self) -> str:
        """The `<filesystem>` part: workspace roots and the permission profile."""
        roots = "".join(f"<root>{escape(str(r))}</root>" for r in self.workspace_roots)
        return (
            f"<filesystem><workspace_roots>{roots}</workspace_roots>"
            f"{self.permission_profile()}</filesystem>"
        )

    def permission_profile(self) -> str:
        """What commands may read and write, as Codex's `<permission_profile>` element."""
        policy = self.sandbox_policy
        if isinstance(policy, DangerFullAccess):
            return '<permission_profile type="disabled"><file_system type="unrestricted" /></permission_profile>'
        entries = [_entry("read", special=":root")]
        if isinstance(policy, WorkspaceWrite):
            entries += [_entry("write", path=r) for r in self.workspace_roots]
            if not policy.exclude_slash_tmp:
                entries.append(_entry("write", special=":slash_tmp"))
            if not policy.exclude_tmpdir_env_var:
                entries.append(_entry("write", special=":tmpdir"))
            entries += [
                _entry("read", path=r / name)
                for name in self.protected_names
                for r in self.workspace_roots
            ]
        return (
            '<permission_profile type="managed"><file_system type="restricted">'
            + "".join(entries)
            + "</file_system></permission_profile>"
        )

    def message(self) -> Message:
        """The context as a user message."""
        return user_message(self.render())

    def differs_from(self, other: EnvironmentContext | None) -> bool:
        """Whether the model must be told again (the shell and the date do not count)."""
        if other is None:
            return True
        return (self.cwd, self.filesystem()) != (other.cwd, other.filesystem())


def _entry(access: str, *, path: Path | None = None, special: str | None = None) -> str:
    inner = f"<special>{special}</special>" if special else f"<path>{escape(str(path))}</path>"
    return f'<entry access="{access}">{inner}</entry>'


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
