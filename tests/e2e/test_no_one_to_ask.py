"""Nothing waits for an approval nobody can give.

`pycodex exec` has nobody to ask: with `on-request` or `untrusted` in the config, a request
that needs approval is declined at once, the model is told why, the turn goes on and the run
ends by itself. `Conversation.run` asks its `approve` callback, and without one denies at
once and says so in its result. Bad input: a model that asks to escalate, a command that needs
approval, a patch outside the workspace.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from pycodex.config.config import CliOverrides, load_config
from pycodex.protocol import events as ev
from pycodex.protocol.policies import ReviewDecision, SandboxMode
from pycodex.session.conversation import NO_APPROVER, ApprovalRequest, ConversationManager
from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import run_exec, write_config


def _escalate(outside: Path) -> dict[str, Any]:
    return {"cmd": f"echo x > {outside}/out.txt", "sandbox_permissions": "require_escalated",
            "justification": "needs to write outside"}


def _told(srv: ScriptedModelServer, n: int = 1) -> str:
    body = srv.requests[n].body
    return next(i["output"] for i in body["input"] if i["type"] in ("function_call_output", "custom_tool_call_output"))


@pytest.mark.parametrize(("policy", "call"), [
    ("on-request", "escalate"),
    ("untrusted", "write"),
    ("on-request", "patch_outside"),
])
def test_exec_declines_what_needs_approval_and_finishes(tmp_path: Path, policy: str, call: str) -> None:
    ws, outside = tmp_path / "ws", tmp_path / "outside"
    ws.mkdir()
    outside.mkdir()
    if call == "escalate":
        first = sc.function_call("exec_command", _escalate(outside), "c1")
    elif call == "write":
        first = sc.function_call("exec_command", {"cmd": "echo x > inside.txt"}, "c1")
    else:
        first = sc.custom_tool_call("apply_patch", f"*** Begin Patch\n*** Add File: {outside}/p.txt\n+x\n*** End Patch", "c1")
    turns = [sc.turn(first, sc.completed()), sc.turn(sc.message("ok, I could not"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        home = tmp_path / "home"
        write_config(home, srv.base_url, extra=f'approval_policy = "{policy}"\nsandbox_mode = "workspace-write"\n'
                     "[sandbox_workspace_write]\nexclude_slash_tmp = true\nexclude_tmpdir_env_var = true\n")
        run = run_exec(home, ws, "do it", timeout=30)  # the old code waited here forever
        assert run.code == 0, run.stderr
        told = _told(srv)
    assert "nobody can approve" in told and "it was not run" in told, told
    assert not (outside / "out.txt").exists() and not (outside / "p.txt").exists()
    assert not (ws / "inside.txt").exists()
    assert run.items("agent_message")[-1]["text"] == "ok, I could not"


async def _run(tmp_path: Path, approve: Any = None) -> tuple[Any, str, Path]:
    ws, outside = tmp_path / "ws", tmp_path / "outside"
    ws.mkdir(parents=True)
    outside.mkdir()
    turns = [sc.turn(sc.function_call("exec_command", _escalate(outside), "c1"), sc.completed()),
             sc.turn(sc.message("finished"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        write_config(tmp_path / "home", srv.base_url)
        # The library's defaults: approval on-request, sandbox read-only.
        cfg = load_config(CliOverrides(cwd=ws, sandbox_mode=SandboxMode.READ_ONLY), home=tmp_path / "home",
                          env={"MOCK_API_KEY": "k", "PATH": os.environ["PATH"], "HOME": str(tmp_path)})
        conv = await ConversationManager().new_conversation(cfg)
        try:
            result = await conv.run("write it", approve=approve) if approve else await conv.run("write it")
        finally:
            await conv.shutdown()
        return result, _told(srv), outside


async def test_run_without_a_callback_denies_at_once_and_says_so(tmp_path: Path) -> None:
    result, told, outside = await _run(tmp_path)  # the old code waited here forever
    assert result.final_message == "finished"
    assert [(type(a.request), a.decision, a.note) for a in result.approvals] == [
        (ev.ExecApprovalRequest, ReviewDecision.DENIED, NO_APPROVER)]
    assert "rejected" in told and not (outside / "out.txt").exists()


async def test_run_asks_a_sync_callback(tmp_path: Path) -> None:
    seen: list[ApprovalRequest] = []

    def approve(request: ApprovalRequest) -> ReviewDecision:
        seen.append(request)
        return ReviewDecision.APPROVED

    result, _, outside = await _run(tmp_path, approve)
    assert len(seen) == 1 and isinstance(seen[0], ev.ExecApprovalRequest)
    assert seen[0].reason == "needs to write outside"
    assert result.approvals[0].decision is ReviewDecision.APPROVED
    assert (outside / "out.txt").read_text() == "x\n"  # approved: it ran outside the sandbox


async def test_run_asks_an_async_callback_and_a_failing_one_means_no(tmp_path: Path) -> None:
    async def deny(request: ApprovalRequest) -> ReviewDecision:
        return ReviewDecision.DENIED

    result, told, outside = await _run(tmp_path / "a", deny)
    assert result.approvals[0].decision is ReviewDecision.DENIED and "rejected by user" in told

    def broken(request: ApprovalRequest) -> ReviewDecision:
        raise RuntimeError("callback bug")

    result, _, outside = await _run(tmp_path / "b", broken)
    assert result.approvals[0].decision is ReviewDecision.DENIED
    assert "callback bug" in (result.approvals[0].note or "")
    assert not (outside / "out.txt").exists()
