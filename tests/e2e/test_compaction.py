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


def test_exec_jsonl_shows_no_summary_or_notice_for_an_automatic_compaction(tmp_path: Path) -> None:
    """Broken promise: exec --json's items are Codex's. Codex 0.169 compacting mid-turn prints the
    command and the final answer only; pycodex also printed the handoff summary and "Compact task
    completed" as two agent_message items (an SDK client took them for answers)."""
    from tests.e2e.helpers import run_exec, write_config

    home, ws = tmp_path / "home", tmp_path / "ws"
    ws.mkdir()
    turns = [
        sc.turn(sc.function_call("exec_command", {"cmd": "echo step"}, "c1"), sc.completed(input_tokens=5000)),
        sc.turn(sc.message("SUMMARY: ran echo step"), sc.completed(input_tokens=100)),
        sc.turn(sc.message("finished after compaction"), sc.completed(input_tokens=300)),
    ]
    with ScriptedModelServer(turns) as srv:
        write_config(home, srv.base_url, extra="model_auto_compact_token_limit = 2000")
        run = run_exec(home, ws, "--dangerously-bypass-approvals-and-sandbox", "long task")
    assert run.code == 0, run.stderr
    done = [(e["item"]["type"], e["item"].get("text")) for e in run.events() if e["type"] == "item.completed"]
    assert done == [("command_execution", None), ("agent_message", "finished after compaction")]
    assert len(srv.requests) == 3  # the compaction did happen
