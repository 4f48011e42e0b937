"""Compaction: automatic at the token limit, and on request; resume applies it."""

from __future__ import annotations

from pathlib import Path

from pycodex.protocol import events as ev
from pycodex.protocol import ops
from pycodex.rollout.reader import load_rollout
from pycodex.session.conversation import ConversationManager
from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import input_texts
from tests.e2e.test_session import make_config, wait_for


async def test_auto_compaction_at_the_token_limit(tmp_path: Path) -> None:
    turns = [
        sc.turn(sc.function_call("exec_command", {"cmd": "echo step"}, "c1"), sc.completed(input_tokens=5000)),
        sc.turn(sc.message("SUMMARY: ran echo step; next write the file"), sc.completed(input_tokens=100)),
        sc.turn(sc.message("finished after compaction"), sc.completed(input_tokens=300)),
    ]
    with ScriptedModelServer(turns) as srv:
        cfg = make_config(tmp_path, srv.base_url)
        cfg.model_auto_compact_token_limit = 2000
        conv = await ConversationManager().new_conversation(cfg)
        result = await conv.run("please do the long task")
        await conv.shutdown()
    assert result.final_message == "finished after compaction"
    summarize = input_texts(srv.requests[1].body)
    assert any("handoff" in t for t in summarize) and srv.requests[1].body["tools"] == []
    after = input_texts(srv.requests[2].body)[1:]  # the first is the base instructions
    bridge = [t for t in after if "SUMMARY: ran echo step" in t]
    assert bridge and "please do the long task" in bridge[0]
    assert not any("Chunk ID" in t for t in after)  # the old tool output is gone from the window
    assert any(isinstance(e.msg, ev.ContextCompacted) for e in result.events)
    assert conv.rollout_path is not None
    kinds = [i.type for i in load_rollout(conv.rollout_path).items]
    assert "compacted" in kinds


async def test_manual_compact_when_idle_and_resume_applies_it(tmp_path: Path) -> None:
    turns = [sc.turn(sc.message("first answer"), sc.completed()),
             sc.turn(sc.message("the summary"), sc.completed()),
             sc.turn(sc.message("after resume"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        cfg = make_config(tmp_path, srv.base_url)
        mgr = ConversationManager()
        conv = await mgr.new_conversation(cfg)
        await conv.run("hello there")
        sub = await conv.submit(ops.Compact())
        done = await wait_for(conv, ev.TaskComplete)
        assert done.id == sub
        await conv.shutdown()
        assert conv.rollout_path is not None
        resumed = await mgr.resume_conversation(cfg, conv.rollout_path)
        result = await resumed.run("continue")
        await resumed.shutdown()
    assert result.final_message == "after resume"
    texts = input_texts(srv.requests[2].body)
    assert any("the summary" in t and "hello there" in t for t in texts)
    assert "first answer" not in texts  # replaced by the compacted history
