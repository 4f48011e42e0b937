"""End to end: a sandboxed command left running swaps a directory under apply_patch calls.

A real session (scripted model, `workspace-write`, approval `never`) whose model first starts
the swapping loop with exec_command, which keeps running in the background, then sends patches
into the swapped directory. Bad input: the hostile model's command and patches. Nothing outside
the workspace may change.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from pycodex.config.config import CliOverrides, load_config
from pycodex.exec.sandbox.select import detect_backend
from pycodex.protocol.policies import AskForApproval, SandboxMode
from pycodex.session.conversation import ConversationManager
from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import write_config
from tests.patch.test_patch_toctou import SWAPPER

NO_TMP = "[sandbox_workspace_write]\nexclude_slash_tmp = true\nexclude_tmpdir_env_var = true\n"
PATCHES = 60


@pytest.fixture(params=["bwrap", "landlock"], autouse=True)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("PYCODEX_SANDBOX_BACKEND", request.param)
    if detect_backend() != request.param:
        pytest.skip(f"{request.param} cannot run here")
    return str(request.param)


def _tree(root: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in root.iterdir()}


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path, Path]:
    """The base, the workspace (with a regular file `blocker`) and the outside (a canary x.txt)."""
    base = tmp_path.resolve()
    ws, outside = base / "ws", base / "outside"
    ws.mkdir()
    outside.mkdir()
    (outside / "x.txt").write_text("canary\n")
    (ws / "blocker").write_text("a file where a patch needs a directory\n")
    (base / "swapper.py").write_text(SWAPPER)
    return base, ws, outside


async def test_background_swapper_cannot_redirect_apply_patch(dirs: tuple[Path, Path, Path]) -> None:
    """Bad input: `d` is exchanged with a symlink to an outside directory, in bursts of 512
    exchanges (~100,000 a second) between 10 ms rests, by a sandboxed process the model
    started, while it sends 60 patches writing `d/x.txt` (every third one fails after that
    write, so its rollback runs too)."""
    base, ws, outside = dirs
    start = f"{sys.executable} {base / 'swapper.py'} {ws} {outside} {base / 'stop'} 60 10"  # 10 ms rests
    calls: list[list[Any]] = [sc.function_call("exec_command", {"cmd": start, "yield_time_ms": 1000}, "swap")]
    for i in range(PATCHES):
        patch = f"*** Begin Patch\n*** Add File: d/x.txt\n+write {i}\n"
        if i % 3 == 2:
            patch += "*** Add File: blocker/y.txt\n+y\n"
        calls.append(sc.custom_tool_call("apply_patch", patch + "*** End Patch", f"p{i}"))
    turns = [sc.turn(c, sc.completed()) for c in calls] + [sc.turn(sc.message("done"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        write_config(base / "home", srv.base_url, extra=NO_TMP)
        cfg = load_config(
            CliOverrides(cwd=ws, approval_policy=AskForApproval.NEVER, sandbox_mode=SandboxMode.WORKSPACE_WRITE),
            home=base / "home",
            env={"MOCK_API_KEY": "k", "PATH": os.environ["PATH"], "HOME": str(base)},
        )
        conv = await ConversationManager().new_conversation(cfg)
        try:
            result = await conv.run("go")
        finally:
            await conv.shutdown()
        assert result.error is None, result.error
        told = [
            [i["output"] for i in req.body["input"] if i["type"] in ("function_call_output", "custom_tool_call_output")][-1]
            for req in srv.requests[1:]
        ]
    assert _tree(outside) == {"x.txt": "canary\n"}
    assert "Process running with session ID" in told[0], told[0]
    outcomes = {"ok": 0, "refused": 0, "failed": 0}
    for out in told[1:]:
        if out.startswith("Exit code: 0\n"):
            outcomes["ok"] += 1
        elif out.startswith(("patch rejected", "apply_patch verification failed")):
            outcomes["refused"] += 1  # `d` was a symlink when the patch was planned and checked
        else:
            assert out.startswith("Exit code: 1\n") and out.endswith("; no file was changed"), out
            outcomes["failed"] += 1
    print(outcomes)
    assert outcomes["ok"] >= 5, outcomes
