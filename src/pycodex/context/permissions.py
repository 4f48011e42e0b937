"""The developer `<permissions instructions>` message: sandbox, network and approvals.

Codex 0.169 tells the model these facts in a developer message (the environment context
only carries the filesystem part). The wording here is ours; the facts are the same: the
sandbox mode and what it allows, whether the network is reachable, the writable roots, and
how the approval policy treats a request to run outside the sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pycodex.protocol.models import InputText, Message
from pycodex.protocol.policies import (
    AskForApproval,
    DangerFullAccess,
    ReadOnly,
    SandboxPolicy,
    has_network_access,
)

PERMISSIONS_OPEN = "<permissions instructions>"
PERMISSIONS_CLOSE = "</permissions instructions>"

_SANDBOX = {
    "danger-full-access": "there is no sandbox: commands may read and write any file.",
    "read-only": "commands may read any file but write none.",
    "workspace-write": (
        "commands may read any file and write only inside the writable roots; "
        "writing anywhere else needs the user's approval."
    ),
}

_APPROVAL = {
    AskForApproval.NEVER: (
        "Nobody is asked before a command runs, and nothing runs outside the sandbox. Never set "
        '`sandbox_permissions` to "require_escalated": such a request is refused. When the '
        "sandbox blocks something, work around it or report it in your final answer."
    ),
    AskForApproval.ON_REQUEST: (
        "Commands run inside the sandbox. To run one outside it (network access, writes outside "
        'the writable roots, a command that failed only because of the sandbox), call it with '
        '`sandbox_permissions: "require_escalated"` and a one-sentence `justification`; the '
        "user decides. Ask only when the task needs it."
    ),
    AskForApproval.ON_FAILURE: (
        "Commands run inside the sandbox; when one fails there, the user is asked whether to run "
        "it again without the sandbox. Do not request escalation yourself."
    ),
    AskForApproval.UNTRUSTED: (
        "Only known-safe commands that just read run without asking; the user is asked before "
        "any other command runs."
    ),
}

_NOBODY_TO_ASK = (
    "Nobody can answer approval requests in this session: a request that needs one is "
    "declined at once, with the reason in the tool output."
)


@dataclass(frozen=True)
class PermissionsContext:
    """The sandbox and approval facts the model works under."""

    sandbox_policy: SandboxPolicy
    approval_policy: AskForApproval
    writable_roots: tuple[Path, ...] = ()  # as shown: workspace roots and the temp dirs
    can_ask_user: bool = True

    def render(self) -> str:
        """The text of the message, wrapped in its tags."""
        mode = self.sandbox_policy.type
        network = "enabled" if has_network_access(self.sandbox_policy) else "restricted"
        lines = [
            PERMISSIONS_OPEN,
            f"Sandbox: `sandbox_mode` is `{mode}`: {_SANDBOX[mode]} Network access is {network}.",
        ]
        if not isinstance(self.sandbox_policy, DangerFullAccess | ReadOnly) and self.writable_roots:
            lines.append("Writable roots: " + ", ".join(f"`{r}`" for r in self.writable_roots) + ".")
        lines.append(
            f"Approvals: `approval_policy` is `{self.approval_policy.value}`. "
            + _APPROVAL[self.approval_policy]
        )
        if not self.can_ask_user and self.approval_policy is not AskForApproval.NEVER:
            lines.append(_NOBODY_TO_ASK)
        lines.append(PERMISSIONS_CLOSE)
        return "\n".join(lines)

    def message(self, *extra: str) -> Message:
        """A developer message: these instructions, then any further developer texts."""
        texts = [self.render(), *(t for t in extra if t)]
        return Message(role="developer", content=[InputText(text=t) for t in texts])

    def differs_from(self, other: PermissionsContext | None) -> bool:
        """Whether the model must be told again."""
        return other is None or self.render() != other.render()

