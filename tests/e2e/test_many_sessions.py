"""Twenty conversations in one process: no session touches another's processes, none stalls."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from pycodex.config.config import CliOverrides, Config, load_config
from pycodex.protocol.policies import AskForApproval, SandboxMode
from pycodex.session.conversation import ConversationManager
from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import write_config

SESSIONS = 20


def _config(tmp_path: Path, base_url: str) -> Config:
    tmp_path.mkdir(parents=True, exist_ok=True)
    home = tmp_path / "home"
    write_config(home, base_url)
    return load_config(
        CliOverrides(cwd=tmp_path, approval_policy=AskForApproval.NEVER,
                     sandbox_mode=SandboxMode.DANGER_FULL_ACCESS),
        home=home, env={"MOCK_API_KEY": "k", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )


def _script(i: int) -> list[sc.Turn]:
    # The second command's length varies, so sessions end (and kill their processes) while
    # other sessions' commands are still running.
    return [
        sc.turn(sc.function_call("exec_command", {"cmd": f"echo one-{i}"}, "c1"), sc.completed()),
        sc.turn(sc.function_call("exec_command", {"cmd": f"sleep 0.{i % 4}; echo two-{i}",
                                                  "yield_time_ms": 20_000}, "c2"), sc.completed()),
        sc.turn(sc.message(f"done-{i}"), sc.completed()),
    ]


def _outputs(srv: ScriptedModelServer) -> dict[str, str]:
    return {item["call_id"]: item["output"] for req in srv.requests for item in req.body["input"]
            if item["type"] == "function_call_output"}


async def _one(i: int, srv: ScriptedModelServer, tmp_path: Path, mgr: ConversationManager) -> str | None:
    conv = await mgr.new_conversation(_config(tmp_path / f"s{i}", srv.base_url))
    result = await conv.run(f"session {i}")
    await conv.shutdown()  # kills this session's processes while others still run theirs
    return result.final_message


async def _run_sessions(ids: list[int], tmp_path: Path) -> tuple[float, dict[int, Any]]:
    with ExitStack() as stack:
        servers = {i: stack.enter_context(ScriptedModelServer(_script(i))) for i in ids}
        mgr = ConversationManager()
        t0 = time.monotonic()
        finals = await asyncio.wait_for(
            asyncio.gather(*(_one(i, servers[i], tmp_path, mgr) for i in ids)), 120)
        elapsed = time.monotonic() - t0
    results = {i: (finals[k], _outputs(servers[i])) for k, i in enumerate(ids)}
    return elapsed, results


def _check(i: int, final: str | None, outputs: dict[str, str]) -> None:
    assert final == f"done-{i}"
    assert "Process exited with code 0" in outputs["c1"] and f"one-{i}" in outputs["c1"]
    assert "Process exited with code 0" in outputs["c2"] and f"two-{i}" in outputs["c2"], outputs["c2"]


async def test_twenty_sessions_at_once_do_not_disturb_each_other(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    """Each session runs two commands and shuts down while the others' commands still run.

    Bad input tried: sibling sessions ending (interrupt + orphan reaping) mid-command.
    """
    caplog.set_level(logging.WARNING)
    single, alone = await _run_sessions([3], tmp_path / "alone")
    _check(3, *alone[3])
    many, results = await _run_sessions(list(range(SESSIONS)), tmp_path / "many")
    for i, (final, outputs) in results.items():
        _check(i, final, outputs)
    gc.collect()  # "Task exception was never retrieved" is logged when the task is collected
    await asyncio.sleep(0)
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    stderr = capfd.readouterr().err
    for bad in ("ChildProcessError", "never retrieved"):
        assert bad not in logged and bad not in stderr
    print(f"one session alone: {single:.2f}s; {SESSIONS} at once: {many:.2f}s")
    # Two shared cores: twenty sessions cost CPU, but nothing may wait on a timeout.
    assert many < 4 * single + 3, (single, many)
