"""The approval × sandbox decision table (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pycodex.exec.safety import is_dangerous_command, is_known_safe_command
from pycodex.protocol.policies import (
    AskForApproval,
    DangerFullAccess,
    SandboxPolicy,
)


@dataclass(frozen=True)
class AutoApprove:
    """Run without asking; `sandboxed` says whether inside the sandbox."""

    sandboxed: bool


@dataclass(frozen=True)
class AskUser:
    """Ask the user first."""

    reason: str | None = None


@dataclass(frozen=True)
class Reject:
    """Refuse; the model is told why."""

    reason: str


SafetyCheck = AutoApprove | AskUser | Reject


def assess_command_safety(
    argv: Sequence[str],
    approval: AskForApproval,
    sandbox: SandboxPolicy,
    approved_for_session: Iterable[tuple[str, ...]],
    escalated: bool,
    sandbox_available: bool,
) -> SafetyCheck:
    """Codex's rules, plus: dangerous commands are always asked about (refused under `never`),
    and every command the user did not explicitly approve runs in the sandbox when one exists."""
    if tuple(argv) in set(approved_for_session):
        return AutoApprove(sandboxed=False)
    if escalated:
        if approval is AskForApproval.ON_REQUEST:
            return AskUser("the model asked to run this without the sandbox")
        if approval is AskForApproval.UNTRUSTED:
            return AskUser("the model asked to run this without the sandbox")
        return Reject(
            f"approval policy is {approval.value}; reject command — you should not ask for "
            f"escalated permissions if the approval policy is {approval.value}"
        )
    if is_dangerous_command(argv):
        if approval is AskForApproval.NEVER:
            if isinstance(sandbox, DangerFullAccess):
                return Reject("this command can destroy data and approval policy `never` cannot ask the user")
            return AutoApprove(sandboxed=True) if sandbox_available else Reject(
                "this command can destroy data and approval policy `never` cannot ask the user"
            )
        return AskUser("this command can destroy data or history")
    full_access = isinstance(sandbox, DangerFullAccess)
    # Known safe decides that nobody needs to be asked; the sandbox still applies when one
    # exists. Without one, only commands that cannot run a program (so no git) skip it.
    if is_known_safe_command(argv, allow_git=sandbox_available or full_access):
        return AutoApprove(sandboxed=sandbox_available and not full_access)
    if approval is AskForApproval.UNTRUSTED:
        return AskUser(None)
    if full_access:
        return AutoApprove(sandboxed=False)
    if sandbox_available:
        return AutoApprove(sandboxed=True)
    if approval in (AskForApproval.ON_REQUEST, AskForApproval.ON_FAILURE):
        return AskUser("no sandbox is available on this machine")
    return Reject("auto-rejected because command is not on trusted list and no sandbox is available")


def _inside(path: Path, roots: Iterable[Path]) -> bool:
    return any(path == r or r in path.parents for r in roots)


def assess_patch_safety(
    affected_paths: Sequence[Path],
    approval: AskForApproval,
    sandbox: SandboxPolicy,
    writable_roots: Sequence[Path],
    cwd: Path,
    protected: Sequence[Path] = (),
) -> SafetyCheck:
    """Whether a patch (its resolved paths) may be written without asking (`protected`: paths
    read-only even inside a writable root)."""
    if not affected_paths:
        return Reject("empty patch")
    if approval is AskForApproval.UNTRUSTED:
        return AskUser(None)
    if isinstance(sandbox, DangerFullAccess):
        return AutoApprove(sandboxed=False)
    from pycodex.exec.sandbox.roots import is_path_writable, writable_roots_for

    roots = writable_roots_for(sandbox, cwd, extra=[r for r in writable_roots if r != cwd], read_only=protected)
    if all(is_path_writable(p, roots) for p in affected_paths):
        return AutoApprove(sandboxed=True)
    if approval is AskForApproval.NEVER:
        return Reject("writing outside of the project; rejected by user approval settings")
    return AskUser("the patch writes outside the writable roots")


DENIAL_MARKERS = (
    "permission denied", "read-only file system", "operation not permitted",
    "network is unreachable", "could not resolve host", "temporary failure in name resolution",
    "connection refused", "failed to connect",
)


def should_offer_unsandboxed_retry(
    approval: AskForApproval, sandboxed: bool, exit_code: int, output: str
) -> bool:
    """A sandboxed failure that looks like the sandbox's doing (denied write, no network)."""
    if not sandboxed or exit_code in (0, 124, 127):
        return False
    lowered = output.lower()
    return exit_code == 126 or any(m in lowered for m in DENIAL_MARKERS)
