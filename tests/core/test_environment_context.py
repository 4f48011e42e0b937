"""The environment context and the permissions message, rendered for every sandbox mode and approval policy.

Expected `<filesystem>` parts are Codex 0.169's, recorded from its requests (with pycodex's own
protected names inside writable roots); the permissions wording is ours, the facts Codex's.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pycodex.context.environment import EnvironmentContext
from pycodex.context.permissions import PermissionsContext
from pycodex.protocol.policies import (
    AskForApproval,
    DangerFullAccess,
    ReadOnly,
    SandboxPolicy,
    WorkspaceWrite,
)

W, X = Path("/w"), Path("/x")
NAMES = (".git", ".codex", ".pycodex")


def _ctx(policy: SandboxPolicy, roots: tuple[Path, ...] = (W,)) -> EnvironmentContext:
    return EnvironmentContext(W, "bash", policy, roots, NAMES)


@pytest.mark.parametrize(("policy", "roots", "profile"), [
    (DangerFullAccess(), (W,), '<permission_profile type="disabled"><file_system type="unrestricted" /></permission_profile>'),
    (ReadOnly(), (W,), '<permission_profile type="managed"><file_system type="restricted">'
                       '<entry access="read"><special>:root</special></entry></file_system></permission_profile>'),
    (WorkspaceWrite(), (W,),
     '<permission_profile type="managed"><file_system type="restricted">'
     '<entry access="read"><special>:root</special></entry>'
     '<entry access="write"><path>/w</path></entry>'
     '<entry access="write"><special>:slash_tmp</special></entry>'
     '<entry access="write"><special>:tmpdir</special></entry>'
     '<entry access="read"><path>/w/.git</path></entry>'
     '<entry access="read"><path>/w/.codex</path></entry>'
     '<entry access="read"><path>/w/.pycodex</path></entry>'
     '</file_system></permission_profile>'),
    # Two roots, /tmp and $TMPDIR excluded: each protected name for every root, name by name.
    (WorkspaceWrite(writable_roots=[X], exclude_slash_tmp=True, exclude_tmpdir_env_var=True), (W, X),
     '<permission_profile type="managed"><file_system type="restricted">'
     '<entry access="read"><special>:root</special></entry>'
     '<entry access="write"><path>/w</path></entry><entry access="write"><path>/x</path></entry>'
     '<entry access="read"><path>/w/.git</path></entry><entry access="read"><path>/x/.git</path></entry>'
     '<entry access="read"><path>/w/.codex</path></entry><entry access="read"><path>/x/.codex</path></entry>'
     '<entry access="read"><path>/w/.pycodex</path></entry><entry access="read"><path>/x/.pycodex</path></entry>'
     '</file_system></permission_profile>'),
])
def test_filesystem_part_per_sandbox_mode(policy: SandboxPolicy, roots: tuple[Path, ...], profile: str) -> None:
    text = _ctx(policy, roots).render(today=dt.date(2026, 11, 30))
    lines = text.splitlines()
    assert lines[:4] == ["<environment_context>", "  <cwd>/w</cwd>", "  <shell>bash</shell>",
                         "  <current_date>2026-11-30</current_date>"]
    assert lines[4].startswith("  <timezone>") and lines[-1] == "</environment_context>"
    workspace = "".join(f"<root>{r}</root>" for r in roots)
    assert lines[5] == f"  <filesystem><workspace_roots>{workspace}</workspace_roots>{profile}</filesystem>"
    # No old-format elements: approvals and the network are the permissions message's.
    assert "<approval_policy>" not in text and "<sandbox_mode>" not in text and "<network_access>" not in text


def test_environment_differs_only_on_cwd_roots_or_profile() -> None:
    base = _ctx(WorkspaceWrite())
    assert not base.differs_from(EnvironmentContext(W, "zsh", WorkspaceWrite(), (W,), NAMES))  # shell alone
    assert not base.differs_from(_ctx(WorkspaceWrite(network_access=True)))  # network: not in here
    assert base.differs_from(_ctx(ReadOnly()))
    assert base.differs_from(_ctx(WorkspaceWrite(), (W, X)))
    assert base.differs_from(EnvironmentContext(X, "bash", WorkspaceWrite(), (W,), NAMES))


@pytest.mark.parametrize(("policy", "mode", "network"), [
    (DangerFullAccess(), "danger-full-access", "enabled"),
    (ReadOnly(), "read-only", "restricted"),
    (WorkspaceWrite(), "workspace-write", "restricted"),
    (WorkspaceWrite(network_access=True), "workspace-write", "enabled"),
])
def test_permissions_state_mode_and_network(policy: SandboxPolicy, mode: str, network: str) -> None:
    text = PermissionsContext(policy, AskForApproval.ON_REQUEST, (W, Path("/tmp"))).render()
    assert text.startswith("<permissions instructions>\n") and text.endswith("\n</permissions instructions>")
    assert f"`sandbox_mode` is `{mode}`" in text and f"Network access is {network}." in text
    assert ("Writable roots: `/w`, `/tmp`." in text) is (mode == "workspace-write")


@pytest.mark.parametrize(("approval", "says"), [
    (AskForApproval.NEVER, "Never set `sandbox_permissions`"),
    (AskForApproval.ON_REQUEST, '`sandbox_permissions: "require_escalated"` and a one-sentence `justification`'),
    (AskForApproval.ON_FAILURE, "Do not request escalation yourself"),
    (AskForApproval.UNTRUSTED, "the user is asked before any other command runs"),
])
def test_permissions_state_the_approval_policy(approval: AskForApproval, says: str) -> None:
    text = PermissionsContext(WorkspaceWrite(), approval, (W,)).render()
    assert f"`approval_policy` is `{approval.value}`" in text and says in text
    # Where nobody can answer, the model is told its requests will be declined (moot under `never`).
    alone = PermissionsContext(WorkspaceWrite(), approval, (W,), can_ask_user=False).render()
    assert ("declined at once" in alone) is (approval is not AskForApproval.NEVER)


def test_permissions_message_is_a_developer_message_with_extra_parts() -> None:
    msg = PermissionsContext(ReadOnly(), AskForApproval.NEVER).message("be careful", "")
    assert msg.role == "developer"
    assert [c.text for c in msg.content][1:] == ["be careful"]  # type: ignore[union-attr]
