"""An interrupt or a shutdown in the middle of a patch commit.

The commit runs in a worker thread and cannot be stopped midway: the turn may be reported
aborted (and the session shut down) only once every file is written or rolled back. After
`shutdown_complete` nothing more happens: no event, no file change, no rollout write.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from pycodex.config.config import CliOverrides, load_config
from pycodex.protocol import events as ev
from pycodex.protocol import ops
from pycodex.protocol.inputs import TextInput
from pycodex.protocol.policies import AskForApproval, SandboxMode
from pycodex.session.conversation import Conversation, ConversationManager
from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import write_config

FILES = 400
LINES = 200


def _big_patch() -> str:
    body = "".join(f"+line {j}\n" for j in range(LINES))
    return "*** Begin Patch\n" + "".join(f"*** Add File: d{i % 8}/f{i}.txt\n{body}" for i in range(FILES)) + "*** End Patch"


def _written(ws: Path) -> int:
    """Files that hold their whole content (a partial write would not count)."""
    expected = "".join(f"line {j}\n" for j in range(LINES))
    return sum(1 for p in ws.glob("d*/f*.txt") if p.read_text() == expected)


async def _start(tmp_path: Path, srv: ScriptedModelServer) -> tuple[Conversation, Path]:
    ws = tmp_path / "ws"
    ws.mkdir()
    write_config(tmp_path / "home", srv.base_url)
    cfg = load_config(
        CliOverrides(cwd=ws, approval_policy=AskForApproval.NEVER, sandbox_mode=SandboxMode.WORKSPACE_WRITE),
        home=tmp_path / "home", env={"MOCK_API_KEY": "k", "PATH": os.environ["PATH"], "HOME": str(tmp_path)},
    )
    conv = await ConversationManager().new_conversation(cfg)
    await conv.submit(ops.UserInput(items=[TextInput(text="write them")]))
    return conv, ws


def _turns() -> list[sc.Turn]:
    return [sc.turn(sc.custom_tool_call("apply_patch", _big_patch(), "p1"), sc.completed()),
            sc.turn(sc.message("done"), sc.completed())]


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.1])
async def test_interrupt_waits_for_the_commit_before_reporting_the_turn_aborted(tmp_path: Path, delay: float) -> None:
    # `delay` after patch_apply_begin the commit (~0.3 s for these files) is under way.
    with ScriptedModelServer(_turns()) as srv:
        conv, ws = await _start(tmp_path, srv)
        async with asyncio.timeout(30):
            while True:
                e = await conv.next_event()
                if isinstance(e.msg, ev.PatchApplyBegin):
                    await asyncio.sleep(delay)
                    await conv.submit(ops.Interrupt())
                if isinstance(e.msg, ev.TurnAborted | ev.TaskComplete):
                    break
        assert isinstance(e.msg, ev.TurnAborted)
        at_abort = _written(ws)
        await asyncio.sleep(0.5)
        assert at_abort == _written(ws), "files were still being written after turn_aborted"
        assert at_abort in (0, FILES), "a partial patch"
        if delay:
            assert at_abort == FILES  # the commit had started: it finished first
        await conv.shutdown()


async def test_shutdown_during_a_commit_ends_it_first_and_then_nothing_happens(tmp_path: Path) -> None:
    with ScriptedModelServer(_turns()) as srv:
        conv, ws = await _start(tmp_path, srv)
        events: list[ev.Event] = []
        async with asyncio.timeout(30):
            while True:
                e = await conv.next_event()
                events.append(e)
                if isinstance(e.msg, ev.PatchApplyBegin):
                    await asyncio.sleep(0.05)
                    await conv.submit(ops.Shutdown())
                if isinstance(e.msg, ev.ShutdownComplete):
                    break
        at_shutdown = _written(ws)
        rollout = conv.rollout_path
        assert rollout is not None
        size = rollout.stat().st_size
        await asyncio.sleep(0.5)
        assert conv.next_event_nowait() is None, "an event after shutdown_complete"
        assert at_shutdown == _written(ws) == FILES
        assert rollout.stat().st_size == size, "the rollout changed after shutdown_complete"
        kinds = [e.msg.type for e in events]
        assert kinds.index("turn_aborted") < kinds.index("shutdown_complete")
