"""The approval × sandbox decision table, as data (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pycodex.exec.env import ShellEnvironmentPolicy, build_env
from pycodex.exec.policy import (
    AskUser,
    AutoApprove,
    Reject,
    assess_command_safety,
    assess_patch_safety,
)
from pycodex.protocol.policies import AskForApproval as A
from pycodex.protocol.policies import DangerFullAccess, ReadOnly, WorkspaceWrite

READ = ["bash", "-lc", "cat README.md"]
WRITE = ["bash", "-lc", "echo x > f"]
NET = ["curl", "http://example.com"]
DANGER = ["git", "reset", "--hard"]
GIT_READ = ["bash", "-lc", "git status"]
RO, WW, FULL = ReadOnly(), WorkspaceWrite(), DangerFullAccess()

# (approval, sandbox, argv, escalated, sandbox available, expected)
ROWS = [
    (A.UNTRUSTED, RO, READ, False, True, "sandbox"), (A.UNTRUSTED, WW, WRITE, False, True, "ask"),
    (A.UNTRUSTED, FULL, WRITE, False, True, "ask"), (A.UNTRUSTED, WW, NET, False, True, "ask"),
    (A.UNTRUSTED, WW, WRITE, True, True, "ask"), (A.UNTRUSTED, WW, DANGER, False, True, "ask"),
    (A.ON_FAILURE, RO, READ, False, True, "sandbox"), (A.ON_FAILURE, RO, WRITE, False, True, "sandbox"),
    (A.ON_FAILURE, WW, WRITE, False, True, "sandbox"), (A.ON_FAILURE, WW, NET, False, True, "sandbox"),
    (A.ON_FAILURE, FULL, WRITE, False, True, "run"), (A.ON_FAILURE, WW, WRITE, True, True, "reject"),
    (A.ON_FAILURE, WW, WRITE, False, False, "ask"), (A.ON_FAILURE, WW, DANGER, False, True, "ask"),
    (A.ON_REQUEST, RO, READ, False, True, "sandbox"), (A.ON_REQUEST, RO, WRITE, False, True, "sandbox"),
    (A.ON_REQUEST, WW, WRITE, False, True, "sandbox"), (A.ON_REQUEST, WW, NET, False, True, "sandbox"),
    (A.ON_REQUEST, WW, WRITE, True, True, "ask"), (A.ON_REQUEST, FULL, WRITE, False, True, "run"),
    (A.ON_REQUEST, FULL, WRITE, True, True, "ask"), (A.ON_REQUEST, WW, WRITE, False, False, "ask"),
    (A.ON_REQUEST, WW, DANGER, False, True, "ask"), (A.ON_REQUEST, RO, READ, True, True, "ask"),
    (A.NEVER, RO, READ, False, True, "sandbox"), (A.NEVER, RO, WRITE, False, True, "sandbox"),
    (A.NEVER, WW, WRITE, False, True, "sandbox"), (A.NEVER, WW, NET, False, True, "sandbox"),
    (A.NEVER, FULL, WRITE, False, True, "run"), (A.NEVER, WW, WRITE, True, True, "reject"),
    (A.NEVER, WW, WRITE, False, False, "reject"), (A.NEVER, FULL, DANGER, False, True, "reject"),
    (A.NEVER, WW, DANGER, False, True, "sandbox"), (A.NEVER, WW, DANGER, False, False, "reject"),
    (A.NEVER, RO, READ, False, False, "run"), (A.ON_FAILURE, FULL, DANGER, False, True, "ask"),
    # Known safe decides approval only: with a backend it runs sandboxed; git without one is
    # not known safe (its repository config can run programs).
    (A.NEVER, WW, READ, False, True, "sandbox"), (A.NEVER, FULL, READ, False, True, "run"),
    (A.NEVER, WW, GIT_READ, False, True, "sandbox"), (A.NEVER, WW, GIT_READ, False, False, "reject"),
    (A.UNTRUSTED, WW, GIT_READ, False, True, "sandbox"), (A.UNTRUSTED, WW, GIT_READ, False, False, "ask"),
    (A.NEVER, FULL, GIT_READ, False, False, "run"),
]


def _outcome(check: object) -> str:
    if isinstance(check, Reject):
        return "reject"
    if isinstance(check, AskUser):
        return "ask"
    assert isinstance(check, AutoApprove)
    return "sandbox" if check.sandboxed else "run"


@pytest.mark.parametrize(("approval", "sandbox", "argv", "escalated", "available", "expected"), ROWS,
                         ids=[f"{r[0].value}-{r[1].type}-{r[2][-1][:12]}-{'esc' if r[3] else ''}-{r[4]}" for r in ROWS])
def test_decision_table(approval: A, sandbox: object, argv: list[str], escalated: bool, available: bool, expected: str) -> None:
    assert _outcome(assess_command_safety(argv, approval, sandbox, set(), escalated, available)) == expected  # type: ignore[arg-type]


def test_session_approved_command_runs_unsandboxed() -> None:
    check = assess_command_safety(WRITE, A.UNTRUSTED, WW, {tuple(WRITE)}, False, True)
    assert check == AutoApprove(sandboxed=False)


def test_table_has_at_least_35_rows() -> None:
    assert len(ROWS) >= 35


def test_patch_safety_inside_outside_and_never(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / ".git").mkdir()
    inside, outside, git = ws / "a.txt", tmp_path.parent / "elsewhere.txt", ws / ".git" / "config"
    WW = WorkspaceWrite(exclude_slash_tmp=True, exclude_tmpdir_env_var=True)
    assert isinstance(assess_patch_safety([inside], A.NEVER, WW, [ws], ws), AutoApprove)
    assert isinstance(assess_patch_safety([outside], A.NEVER, WW, [ws], ws), Reject)
    assert isinstance(assess_patch_safety([outside], A.ON_REQUEST, WW, [ws], ws), AskUser)
    assert isinstance(assess_patch_safety([git], A.NEVER, WW, [ws], ws), Reject)
    assert isinstance(assess_patch_safety([inside], A.NEVER, RO, [], ws), Reject)
    assert isinstance(assess_patch_safety([outside], A.NEVER, FULL, [], ws), AutoApprove)
    assert isinstance(assess_patch_safety([inside], A.UNTRUSTED, WW, [ws], ws), AskUser)


def test_env_policy_order_and_secrets() -> None:
    base = {"PATH": "/bin", "HOME": "/h", "OPENAI_API_KEY": "sk", "MY_TOKEN": "t", "FOO": "1", "BAR": "2"}
    assert build_env(ShellEnvironmentPolicy(), base, ["OPENAI_API_KEY"]) == {"PATH": "/bin", "HOME": "/h", "FOO": "1", "BAR": "2"}
    # Stricter than Codex: the model's key is dropped even with default excludes off.
    env = build_env(ShellEnvironmentPolicy(ignore_default_excludes=True), base, ["OPENAI_API_KEY"])
    assert "OPENAI_API_KEY" not in env and env["MY_TOKEN"] == "t"
    assert build_env(ShellEnvironmentPolicy(inherit="core"), base) == {"PATH": "/bin", "HOME": "/h"}
    assert build_env(ShellEnvironmentPolicy(inherit="none", set={"X": "1"}), base) == {"X": "1"}
    pol = ShellEnvironmentPolicy(exclude=["BA*"], set={"NEW": "n"}, include_only=["PATH", "NEW", "BAR"])
    assert build_env(pol, base) == {"PATH": "/bin", "NEW": "n"}
    explicit = ShellEnvironmentPolicy(set={"OPENAI_API_KEY": "user-chose"})
    assert build_env(explicit, base, ["OPENAI_API_KEY"])["OPENAI_API_KEY"] == "user-chose"
