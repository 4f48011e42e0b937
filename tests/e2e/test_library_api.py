"""The library API used the way a program uses it: timeouts around `run`, calls after `shutdown`.

Every test drives a real session against the scripted model server and bounds each call with a
timeout, so a hang fails the test instead of freezing the suite.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from pycodex.config.config import CliOverrides, load_config
from pycodex.protocol import events as ev
from pycodex.session.conversation import Conversation, ConversationManager
from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import write_config


async def _start(tmp_path: Path, srv: ScriptedModelServer) -> Conversation:
    ws = tmp_path / "ws"
    ws.mkdir(exist_ok=True)
    write_config(tmp_path / "home", srv.base_url)
    cfg = load_config(CliOverrides(cwd=ws), home=tmp_path / "home",
                      env={"MOCK_API_KEY": "k", "PATH": os.environ["PATH"], "HOME": str(tmp_path)})
    return await ConversationManager().new_conversation(cfg)


async def test_a_run_cancelled_by_a_timeout_ends_its_turn_and_the_next_run_answers(
        tmp_path: Path) -> None:
    """Bad input: the caller gives up on `run` (asyncio.wait_for) while the model still streams.
    The old code left that turn running, so the next `run` fed into it and waited forever."""
    turns = [sc.turn(sc.text_deltas("thinking "), sc.stall()),
             sc.turn(sc.message("second answer"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        conv = await _start(tmp_path, srv)
        try:
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(conv.run("slow"), 1.0)
            result = await asyncio.wait_for(conv.run("again"), 15)
        finally:
            await asyncio.wait_for(conv.shutdown(), 15)
    assert result.final_message == "second answer"
    assert result.error is None
    # The abandoned turn ended as interrupted before the new one started.
    assert len(srv.requests) == 2


async def test_run_and_review_after_shutdown_raise_at_once(tmp_path: Path) -> None:
    """Bad input: `run` / `review` on a conversation that has shut down. The old code
    queued the op for a loop that had ended and waited for its events forever."""
    from pycodex.session.conversation import ConversationClosed  # new with the fix

    with ScriptedModelServer([]) as srv:
        conv = await _start(tmp_path, srv)
        await asyncio.wait_for(conv.shutdown(), 15)
        with pytest.raises(ConversationClosed, match="has shut down"):
            await asyncio.wait_for(conv.run("hello"), 5)
        with pytest.raises(ConversationClosed, match="has shut down"):
            await asyncio.wait_for(conv.review(ev.UncommittedChangesTarget()), 5)
        await asyncio.wait_for(conv.shutdown(), 5)  # a second shutdown is harmless
    assert srv.requests == []
