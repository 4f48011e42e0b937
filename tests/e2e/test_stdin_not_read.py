"""write_stdin through a real session: a process that never reads cannot hang the turn."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from pycodex.config.config import CliOverrides, Config, load_config
from pycodex.protocol.policies import AskForApproval, SandboxMode
from pycodex.session.conversation import ConversationManager
from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import write_config

MB = 1024 * 1024


def _config(tmp_path: Path, base_url: str) -> Config:
    home = tmp_path / "home"
    write_config(home, base_url)
    return load_config(
        CliOverrides(cwd=tmp_path, approval_policy=AskForApproval.NEVER,
                     sandbox_mode=SandboxMode.DANGER_FULL_ACCESS),
        home=home, env={"MOCK_API_KEY": "k", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )


async def test_the_model_is_told_which_input_bytes_were_dropped(tmp_path: Path) -> None:
    """Bad input tried: the model sends 1 MB of chars to `sleep 30` on a terminal (no line
    editing, no echo: its input buffer fills), which never reads them."""
    turns = [
        sc.turn(sc.function_call("exec_command", {"cmd": "stty -icanon -echo; sleep 30", "tty": True, "yield_time_ms": 300}, "c1"),
                sc.completed()),
        sc.turn(sc.function_call("write_stdin", {"session_id": 1, "chars": "x" * MB,
                                                 "yield_time_ms": 500}, "c2"), sc.completed()),
        sc.turn(sc.message("gave up on it"), sc.completed()),
    ]
    with ScriptedModelServer(turns) as srv:
        conv = await ConversationManager().new_conversation(_config(tmp_path, srv.base_url))
        try:
            t0 = time.monotonic()
            result = await asyncio.wait_for(conv.run("feed it"), 20)
            elapsed = time.monotonic() - t0
        finally:
            await conv.shutdown()
    assert result.final_message == "gave up on it"
    outputs = {i["call_id"]: i["output"] for i in srv.requests[2].body["input"]
               if i["type"] == "function_call_output"}
    assert "Process running with session ID 1" in outputs["c2"]
    assert f"of {MB} bytes; the process is not reading its input, so the rest was dropped" in outputs["c2"]
    assert elapsed < 10
