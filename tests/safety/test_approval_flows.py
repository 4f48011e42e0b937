"""Approval answers and their consequences, through real conversations."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from pycodex.config.config import CliOverrides, load_config
from pycodex.protocol import events as ev
from pycodex.protocol import ops
from pycodex.protocol.inputs import TextInput
from pycodex.protocol.policies import AskForApproval, ReviewDecision, SandboxMode
from pycodex.session.conversation import ConversationManager
from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import write_config


async def converse(tmp_path: Path, turns: list[Any], policy: AskForApproval, answers: list[ReviewDecision],
                   mode: SandboxMode = SandboxMode.WORKSPACE_WRITE) -> tuple[ScriptedModelServer, list[Any]]:
    ws, home = tmp_path / "ws", tmp_path / "home"
    ws.mkdir(exist_ok=True)
    seen: list[Any] = []
    with ScriptedModelServer(turns) as srv:
        write_config(home, srv.base_url, extra="[sandbox_workspace_write]\nexclude_slash_tmp = true\nexclude_tmpdir_env_var = true\n")
        cfg = load_config(CliOverrides(cwd=ws, approval_policy=policy, sandbox_mode=mode), home=home,
                          env={"MOCK_API_KEY": "k", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
        conv = await ConversationManager().new_conversation(cfg)
        await conv.submit(ops.UserInput(items=[TextInput(text="go")]))
        while True:
            e = await asyncio.wait_for(conv.next_event(), 30)
            seen.append(e.msg)
            if isinstance(e.msg, ev.ExecApprovalRequest | ev.ApplyPatchApprovalRequest):
                decision = answers.pop(0)
                op = ops.ExecApproval if isinstance(e.msg, ev.ExecApprovalRequest) else ops.PatchApproval
                await conv.submit(op(id=e.id, decision=decision))
            if isinstance(e.msg, ev.TaskComplete | ev.TurnAborted):
                break
        await conv.shutdown()
    return srv, seen


def outputs(srv: ScriptedModelServer, n: int) -> dict[str, str]:
    return {i["call_id"]: i["output"] for i in srv.requests[n].body["input"]
            if i["type"] in ("function_call_output", "custom_tool_call_output")}


async def test_denied_command_is_told_to_the_model(tmp_path: Path) -> None:
    turns = [sc.turn(sc.function_call("exec_command", {"cmd": "touch denied.txt"}, "c1"), sc.completed()),
             sc.turn(sc.message("ok"), sc.completed())]
    srv, seen = await converse(tmp_path, turns, AskForApproval.UNTRUSTED, [ReviewDecision.DENIED])
    assert outputs(srv, 1)["c1"] == "exec command rejected by user"
    assert not (tmp_path / "ws" / "denied.txt").exists()
    req = next(m for m in seen if isinstance(m, ev.ExecApprovalRequest))
    assert req.command == ["/bin/bash", "-lc", "touch denied.txt"] and req.cwd == tmp_path / "ws"


async def test_approved_for_session_is_not_asked_again(tmp_path: Path) -> None:
    call = {"cmd": "echo again >> log.txt"}
    turns = [sc.turn(sc.function_call("exec_command", call, "c1"), sc.completed()),
             sc.turn(sc.function_call("exec_command", call, "c2"), sc.completed()),
             sc.turn(sc.message("ok"), sc.completed())]
    _, seen = await converse(tmp_path, turns, AskForApproval.UNTRUSTED, [ReviewDecision.APPROVED_FOR_SESSION])
    assert sum(isinstance(m, ev.ExecApprovalRequest) for m in seen) == 1
    assert (tmp_path / "ws" / "log.txt").read_text() == "again\nagain\n"


async def test_abort_interrupts_the_turn(tmp_path: Path) -> None:
    turns = [sc.turn(sc.function_call("exec_command", {"cmd": "touch x"}, "c1"), sc.completed())]
    _, seen = await converse(tmp_path, turns, AskForApproval.UNTRUSTED, [ReviewDecision.ABORT])
    aborted = [m for m in seen if isinstance(m, ev.TurnAborted)]
    assert aborted and aborted[0].reason is ev.TurnAbortReason.INTERRUPTED
    assert not (tmp_path / "ws" / "x").exists()


async def test_patch_outside_workspace_refused_under_never(tmp_path: Path) -> None:
    """Bad input tried: `../` in a patch path under approval policy never."""
    patch = "*** Begin Patch\n*** Add File: ../escape.txt\n+x\n*** End Patch\n"
    turns = [sc.turn(sc.custom_tool_call("apply_patch", patch, "p1"), sc.completed()),
             sc.turn(sc.message("ok"), sc.completed())]
    srv, _ = await converse(tmp_path, turns, AskForApproval.NEVER, [])
    assert "writing outside of the project" in outputs(srv, 1)["p1"]
    assert not (tmp_path / "escape.txt").exists()


async def test_patch_outside_workspace_asks_under_on_request(tmp_path: Path) -> None:
    patch = "*** Begin Patch\n*** Add File: ../approved.txt\n+x\n*** End Patch\n"
    turns = [sc.turn(sc.custom_tool_call("apply_patch", patch, "p1"), sc.completed()),
             sc.turn(sc.message("ok"), sc.completed())]
    _, seen = await converse(tmp_path, turns, AskForApproval.ON_REQUEST, [ReviewDecision.APPROVED])
    req = next(m for m in seen if isinstance(m, ev.ApplyPatchApprovalRequest))
    assert list(req.changes) == [(tmp_path / "approved.txt").resolve()]
    assert (tmp_path / "approved.txt").read_text() == "x\n"


async def test_patch_through_symlink_outside_is_refused(tmp_path: Path) -> None:
    """Bad input tried: a workspace symlink pointing outside, written through by a patch."""
    (tmp_path / "ws").mkdir()
    (tmp_path / "target").mkdir()
    (tmp_path / "ws" / "link").symlink_to(tmp_path / "target")
    patch = "*** Begin Patch\n*** Add File: link/pwned.txt\n+x\n*** End Patch\n"
    turns = [sc.turn(sc.custom_tool_call("apply_patch", patch, "p1"), sc.completed()),
             sc.turn(sc.message("ok"), sc.completed())]
    srv, _ = await converse(tmp_path, turns, AskForApproval.NEVER, [])
    assert "rejected" in outputs(srv, 1)["p1"] and not (tmp_path / "target" / "pwned.txt").exists()


async def test_patch_to_git_config_is_refused(tmp_path: Path) -> None:
    """Bad input tried: a patch that edits .git/config inside the workspace."""
    (tmp_path / "ws" / ".git").mkdir(parents=True)
    (tmp_path / "ws" / ".git" / "config").write_text("[core]\n")
    patch = "*** Begin Patch\n*** Update File: .git/config\n@@\n-[core]\n+[evil]\n*** End Patch\n"
    turns = [sc.turn(sc.custom_tool_call("apply_patch", patch, "p1"), sc.completed()),
             sc.turn(sc.message("ok"), sc.completed())]
    srv, _ = await converse(tmp_path, turns, AskForApproval.NEVER, [])
    assert "rejected" in outputs(srv, 1)["p1"]
    assert (tmp_path / "ws" / ".git" / "config").read_text() == "[core]\n"


async def test_no_sandbox_backend_is_a_clear_refusal_not_full_access(tmp_path: Path, monkeypatch: Any) -> None:
    """Bad input tried: neither bubblewrap nor Landlock usable; the command must not run unconfined."""
    monkeypatch.setenv("PYCODEX_SANDBOX_BACKEND", "none")
    turns = [sc.turn(sc.function_call("exec_command", {"cmd": "touch made.txt"}, "c1"), sc.completed()),
             sc.turn(sc.message("ok"), sc.completed())]
    srv, _ = await converse(tmp_path, turns, AskForApproval.NEVER, [])
    told = outputs(srv, 1)["c1"]
    assert "rejected" in told and "no sandbox" in told
    assert not (tmp_path / "ws" / "made.txt").exists()
