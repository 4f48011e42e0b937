"""Approval policy × sandbox × action, run for real through the scripted model server.

Each case is a real conversation: the scripted model asks for one command, pycodex decides,
approvals are answered "approved" by this test acting as the user, and the outcome is read
from what actually happened (file written, connection made) and what the model was told.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from pycodex.config.config import CliOverrides, load_config
from pycodex.exec.sandbox.select import detect_backend
from pycodex.protocol import events as ev
from pycodex.protocol import ops
from pycodex.protocol.inputs import TextInput
from pycodex.protocol.policies import AskForApproval, ReviewDecision, SandboxMode
from pycodex.session.conversation import ConversationManager
from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import write_config

pytestmark = pytest.mark.skipif(detect_backend() is None, reason="bubblewrap cannot run here")

RO, WW, FULL = SandboxMode.READ_ONLY, SandboxMode.WORKSPACE_WRITE, SandboxMode.DANGER_FULL_ACCESS
# Outcomes: runs (no question, it worked) · asks (asked first, then it worked) ·
# refused (not run, model told why) · fails (ran in the sandbox and failed) ·
# retry (failed in the sandbox, user asked to retry without it, then it worked)
EXPECTED: dict[tuple[AskForApproval, str], tuple[str, str, str]] = {
    # (policy, action): (read-only, workspace-write, danger-full-access)
    (AskForApproval.UNTRUSTED, "read"): ("runs", "runs", "runs"),
    (AskForApproval.UNTRUSTED, "write_in"): ("asks", "asks", "asks"),
    (AskForApproval.UNTRUSTED, "write_out"): ("asks", "asks", "asks"),
    (AskForApproval.UNTRUSTED, "network"): ("asks", "asks", "asks"),
    (AskForApproval.UNTRUSTED, "escalated"): ("asks", "asks", "asks"),
    (AskForApproval.ON_FAILURE, "read"): ("runs", "runs", "runs"),
    (AskForApproval.ON_FAILURE, "write_in"): ("retry", "runs", "runs"),
    (AskForApproval.ON_FAILURE, "write_out"): ("retry", "retry", "runs"),
    (AskForApproval.ON_FAILURE, "network"): ("retry", "retry", "runs"),
    (AskForApproval.ON_FAILURE, "escalated"): ("refused", "refused", "refused"),
    (AskForApproval.ON_REQUEST, "read"): ("runs", "runs", "runs"),
    (AskForApproval.ON_REQUEST, "write_in"): ("fails", "runs", "runs"),
    (AskForApproval.ON_REQUEST, "write_out"): ("fails", "fails", "runs"),
    (AskForApproval.ON_REQUEST, "network"): ("fails", "fails", "runs"),
    (AskForApproval.ON_REQUEST, "escalated"): ("asks", "asks", "asks"),
    (AskForApproval.NEVER, "read"): ("runs", "runs", "runs"),
    (AskForApproval.NEVER, "write_in"): ("fails", "runs", "runs"),
    (AskForApproval.NEVER, "write_out"): ("fails", "fails", "runs"),
    (AskForApproval.NEVER, "network"): ("fails", "fails", "runs"),
    (AskForApproval.NEVER, "escalated"): ("refused", "refused", "refused"),
}
CASES = [(p, a, mode, out) for (p, a), outs in EXPECTED.items() for mode, out in zip((RO, WW, FULL), outs, strict=True)]


class Listener:
    """A TCP listener on 127.0.0.1 that records whether anyone connected."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.hits = 0
        self._stop = False
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
                self.hits += 1
                conn.close()
            except OSError:
                continue

    def close(self) -> None:
        self._stop = True
        self.sock.close()


def _command(action: str, ws: Path, outside: Path, port: int) -> dict[str, Any]:
    if action == "read":
        return {"cmd": "cat notes.txt"}
    if action == "write_in":
        return {"cmd": "echo x > inside.txt"}
    if action == "write_out":
        return {"cmd": f"echo x > {outside}/out.txt"}
    if action == "network":
        return {"cmd": f"exec 3<>/dev/tcp/127.0.0.1/{port} && echo connected"}
    return {"cmd": f"echo x > {outside}/out.txt", "sandbox_permissions": "require_escalated",
            "justification": "needs to write outside"}


async def _run_case(tmp_path: Path, policy: AskForApproval, mode: SandboxMode, action: str) -> tuple[bool, bool, str]:
    ws, outside, home = tmp_path / "ws", tmp_path / "outside", tmp_path / "home"
    ws.mkdir()
    outside.mkdir()
    (ws / "notes.txt").write_text("hello\n")
    listener = Listener()
    try:
        turns = [sc.turn(sc.function_call("exec_command", _command(action, ws, outside, listener.port), "c1"), sc.completed()),
                 sc.turn(sc.message("done"), sc.completed())]
        with ScriptedModelServer(turns) as srv:
            write_config(home, srv.base_url, extra="[sandbox_workspace_write]\nexclude_slash_tmp = true\nexclude_tmpdir_env_var = true\n")
            cfg = load_config(CliOverrides(cwd=ws, approval_policy=policy, sandbox_mode=mode), home=home,
                              env={"MOCK_API_KEY": "k", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
            conv = await ConversationManager().new_conversation(cfg)
            await conv.submit(ops.UserInput(items=[TextInput(text="go")]))
            asked = False
            while True:
                e = await asyncio.wait_for(conv.next_event(), 30)
                if isinstance(e.msg, ev.ExecApprovalRequest):
                    asked = True
                    await conv.submit(ops.ExecApproval(id=e.id, decision=ReviewDecision.APPROVED))
                if isinstance(e.msg, ev.TaskComplete):
                    break
            await conv.shutdown()
        told = next(i["output"] for i in srv.requests[1].body["input"] if i["type"] == "function_call_output")
        effect = {
            "read": "hello" in told,
            "write_in": (ws / "inside.txt").exists(),
            "write_out": (outside / "out.txt").exists(),
            "network": listener.hits > 0,
            "escalated": (outside / "out.txt").exists(),
        }[action]
        return asked, effect, told
    finally:
        listener.close()


def _classify(asked: bool, worked: bool, told: str) -> str:
    if "rejected" in told and not worked:
        return "refused"
    if asked and worked:
        return "retry" if "Process exited" in told and "retry" in told else "asks"
    if worked:
        return "runs"
    return "fails"


@pytest.mark.parametrize(("policy", "action", "mode", "expected"), CASES,
                         ids=[f"{p.value}-{m.value}-{a}" for p, a, m, _ in CASES])
async def test_matrix(tmp_path: Path, policy: AskForApproval, action: str, mode: SandboxMode, expected: str) -> None:
    asked, worked, told = await _run_case(tmp_path, policy, mode, action)
    outcome = _classify(asked, worked, told)
    if expected == "retry":
        assert asked and worked, (asked, worked, told)
        return
    assert outcome == expected, (asked, worked, told)


def test_matrix_has_at_least_30_cases() -> None:
    assert len(CASES) >= 30
