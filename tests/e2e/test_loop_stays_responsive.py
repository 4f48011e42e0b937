"""Big files are read off the event loop: resuming or forking a long session does not stall it.

A ticker on the loop measures the longest gap between its ticks while a 20 MB rollout (70k items) is
resumed and forked through the library API; reading and rebuilding it on the loop itself
stalled everything else for about a second.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import time
from pathlib import Path

from pycodex.config.config import CliOverrides, load_config
from pycodex.session.conversation import ConversationManager
from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import write_config

MAX_STALL_S = 0.25


async def _ticker(gaps: list[float], stop: asyncio.Event) -> None:
    last = time.monotonic()
    while not stop.is_set():
        await asyncio.sleep(0.005)
        now = time.monotonic()
        gaps.append(now - last)
        last = now


def _grow(rollout: Path, megabytes: int) -> None:
    """Append user/assistant messages until the file is `megabytes` long."""
    text = "x" * 100
    lines = []
    for i in range(megabytes * 1024 * 1024 // 300):
        role = "user" if i % 2 == 0 else "assistant"
        kind = "input_text" if role == "user" else "output_text"
        lines.append(json.dumps({"timestamp": "2026-11-30T00:00:00.000Z", "type": "response_item",
                                 "payload": {"type": "message", "role": role, "content": [{"type": kind, "text": f"{i} {text}"}]}}))
    with rollout.open("a") as f:
        f.write("\n".join(lines) + "\n")


async def test_resume_and_fork_of_a_long_session_do_not_stall_the_loop(tmp_path: Path) -> None:
    ws, home = tmp_path / "ws", tmp_path / "home"
    ws.mkdir()
    with ScriptedModelServer([sc.turn(sc.message("hi"), sc.completed())]) as srv:
        write_config(home, srv.base_url, extra='model_auto_compact_token_limit = 1000000000\n')
        cfg = load_config(CliOverrides(cwd=ws), home=home, env={"MOCK_API_KEY": "k", "PATH": os.environ["PATH"], "HOME": str(tmp_path)})
        manager = ConversationManager()
        conv = await manager.new_conversation(cfg)
        await conv.run("start")
        path = conv.rollout_path
        await conv.shutdown()
    assert path is not None
    _grow(path, 20)

    gaps: list[float] = []
    stop = asyncio.Event()
    # Garbage collection of the 70k new objects pauses every thread for ~0.3 s here: that is
    # CPython's, not code blocking the loop, so it is held off while the loop is measured.
    gc.disable()
    try:
        ticker = asyncio.create_task(_ticker(gaps, stop))
        resumed = await manager.resume_conversation(cfg, path)
        await resumed.shutdown()
        forked = await manager.fork_conversation(cfg, path, 1)
        await forked.shutdown()
        stop.set()
        await ticker
    finally:
        gc.enable()
    assert max(gaps) < MAX_STALL_S, f"the event loop stalled for {max(gaps):.2f} s"
