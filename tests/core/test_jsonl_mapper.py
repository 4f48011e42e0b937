"""Events → `exec --json` lines, checked against what the real Codex 0.169 printed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pycodex.protocol import events as ev
from pycodex.protocol.exec_jsonl import JsonlMapper
from pycodex.protocol.json import dump_thread_event
from pycodex.protocol.usage import TokenUsage, TokenUsageInfo

CWD = Path("/ws")


def _run(msgs: list[Any]) -> list[dict[str, Any]]:
    m = JsonlMapper()
    return [json.loads(dump_thread_event(x)) for msg in msgs for x in m.map(msg)]


def _usage(i: int, c: int, o: int) -> ev.TokenCount:
    u = TokenUsage(input_tokens=i, cached_input_tokens=c, output_tokens=o, total_tokens=i + o)
    return ev.TokenCount(info=TokenUsageInfo(total_token_usage=u, last_token_usage=u))


def test_shell_scenario_matches_codex_lines() -> None:
    argv = ["/bin/bash", "-lc", "echo hello > out.txt && cat out.txt"]
    lines = _run([
        ev.SessionConfigured(session_id="t1", model="gpt-5.5"),
        ev.TaskStarted(),
        ev.AgentReasoning(text="**Planning** I will write the file with the shell."),
        ev.ExecCommandBegin(call_id="c", command=argv, cwd=CWD),
        ev.ExecCommandEnd(call_id="c", aggregated_output="hello\n", exit_code=0,
                          duration=ev.Duration()),
        ev.AgentMessage(message="Done: out.txt contains `hello`."),
        _usage(2100, 1000, 40),
        ev.TaskComplete(last_agent_message="Done: out.txt contains `hello`."),
    ])
    assert lines == [
        {"type": "thread.started", "thread_id": "t1"},
        {"type": "turn.started"},
        {"type": "item.completed", "item": {"id": "item_0", "type": "reasoning",
                                            "text": "**Planning** I will write the file with the shell."}},
        {"type": "item.started", "item": {"id": "item_1", "type": "command_execution",
                                          "command": "/bin/bash -lc 'echo hello > out.txt && cat out.txt'",
                                          "aggregated_output": "", "exit_code": None,
                                          "status": "in_progress"}},
        {"type": "item.completed", "item": {"id": "item_1", "type": "command_execution",
                                            "command": "/bin/bash -lc 'echo hello > out.txt && cat out.txt'",
                                            "aggregated_output": "hello\n", "exit_code": 0,
                                            "status": "completed"}},
        {"type": "item.completed", "item": {"id": "item_2", "type": "agent_message",
                                            "text": "Done: out.txt contains `hello`."}},
        {"type": "turn.completed", "usage": {"input_tokens": 2100, "cached_input_tokens": 1000,
                                             "cache_write_input_tokens": 0, "output_tokens": 40,
                                             "reasoning_output_tokens": 0}},
    ]


def test_failing_command_is_failed_item_but_turn_completes() -> None:
    lines = _run([
        ev.TaskStarted(),
        ev.ExecCommandBegin(call_id="c", command=["/bin/bash", "-lc", "exit 1"], cwd=CWD),
        ev.ExecCommandEnd(call_id="c", aggregated_output="", exit_code=1, duration=ev.Duration()),
        ev.TaskComplete(),
    ])
    assert lines[2]["item"]["status"] == "failed" and lines[2]["item"]["exit_code"] == 1
    assert lines[-1]["type"] == "turn.completed"


def test_plan_updates_are_one_todo_list_completed_after_final_message() -> None:
    P = ev.PlanItem
    lines = _run([
        ev.TaskStarted(),
        ev.PlanUpdate(plan=[P(step="Write notes.txt", status="in_progress"), P(step="Report back", status="pending")]),
        ev.PlanUpdate(plan=[P(step="Write notes.txt", status="completed"), P(step="Report back", status="completed")]),
        ev.AgentMessage(message="Plan complete"),
        ev.TaskComplete(),
    ])
    types = [(x["type"], x.get("item", {}).get("type")) for x in lines]
    assert types == [
        ("turn.started", None), ("item.started", "todo_list"), ("item.updated", "todo_list"),
        ("item.completed", "agent_message"), ("item.completed", "todo_list"), ("turn.completed", None),
    ]
    assert lines[1]["item"]["items"] == [
        {"text": "Write notes.txt", "completed": False}, {"text": "Report back", "completed": False}
    ]
    assert lines[1]["item"]["id"] == lines[2]["item"]["id"] == lines[4]["item"]["id"]


def test_file_change_paths_sorted_and_kinds() -> None:
    changes = {
        Path("/ws/hello.txt"): ev.AddFileChange(content="x\n"),
        Path("/ws/README.md"): ev.UpdateFileChange(unified_diff=""),
    }
    lines = _run([
        ev.PatchApplyBegin(call_id="p", auto_approved=True, changes=changes),
        ev.PatchApplyEnd(call_id="p", stdout="", stderr="", success=True),
    ])
    want = [{"path": "/ws/README.md", "kind": "update"}, {"path": "/ws/hello.txt", "kind": "add"}]
    assert lines[0]["item"]["changes"] == want and lines[0]["item"]["status"] == "in_progress"
    assert lines[1]["item"]["status"] == "completed" and lines[1]["item"]["id"] == "item_0"


def test_error_gives_error_line_and_turn_failed() -> None:
    m = JsonlMapper()
    lines = [json.loads(dump_thread_event(x)) for msg in [
        ev.TaskStarted(), ev.ErrorEvent(message="boom"), ev.TaskComplete()] for x in m.map(msg)]
    assert lines[1] == {"type": "error", "message": "boom"}
    assert lines[2] == {"type": "turn.failed", "error": {"message": "boom"}}
    assert m.failed


def test_deltas_produce_no_lines() -> None:
    assert _run([ev.AgentMessageDelta(delta="x"), ev.AgentReasoningDelta(delta="y")]) == []
