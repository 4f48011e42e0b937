"""tool_search through the scripted server: the model's client-executed search is answered with a
`tool_search_output` item as Codex 0.169 answers it, and both items survive history, rollout
and `exec resume`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import run_exec, write_config


def search_call(arguments: Any, call_id: str) -> sc.Turn:
    item = {"type": "tool_search_call", "id": f"tsc_{call_id}", "call_id": call_id,
            "status": "completed", "execution": "client", "arguments": arguments}
    return sc.turn({"type": "response.output_item.done", "item": item}, sc.completed())


def done(text: str = "done") -> sc.Turn:
    return sc.turn(sc.message(text), sc.completed())


def search_items(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for i in body["input"] if i["type"] in ("tool_search_call", "tool_search_output")]


def test_tool_search_is_answered_and_survives_resume(tmp_path: Path) -> None:
    home = tmp_path / "home"
    turns = [search_call({"query": "calendar create", "limit": 3}, "s1"), done("searched"),
             done("resumed")]
    with ScriptedModelServer(turns) as srv:
        write_config(home, srv.base_url)
        first = run_exec(home, tmp_path, "find a tool")
        thread = first.events()[0]["thread_id"]
        second = run_exec(home, tmp_path, "resume", thread, "again")
    assert first.code == 0 and second.code == 0, second.stderr
    # Nothing is deferred, so nothing matches: an empty list, as Codex answers.
    call = {"type": "tool_search_call", "id": "tsc_s1", "call_id": "s1", "status": "completed",
            "execution": "client", "arguments": {"query": "calendar create", "limit": 3}}
    answer = {"type": "tool_search_output", "call_id": "s1", "status": "completed",
              "execution": "client", "tools": []}
    assert search_items(srv.requests[1].body) == [call, answer]
    # The rollout kept both items and the resumed thread sends them again, unchanged.
    assert search_items(srv.requests[2].body) == [call, answer]
    lines = [json.loads(x) for p in (home / "sessions").rglob("rollout-*.jsonl")
             for x in p.read_text().splitlines()]
    kinds = [x["payload"]["type"] for x in lines if x["type"] == "response_item"]
    assert "tool_search_call" in kinds and "tool_search_output" in kinds


def test_bad_tool_search_arguments_get_an_empty_answer(tmp_path: Path) -> None:
    """Bad input tried: an empty query, no query, a zero and a negative limit, a fractional limit,
    and arguments that are a string, not an object. Codex answers each with an empty
    tool_search_output (the item has no place for an error text); the turn goes on."""
    bad: list[Any] = [{"query": ""}, {"limit": 2}, {"query": "agent", "limit": 0},
                      {"query": "agent", "limit": -1}, {"query": "agent", "limit": 1.5},
                      "not an object"]
    turns = [search_call(args, f"s{i}") for i, args in enumerate(bad)] + [done()]
    with ScriptedModelServer(turns) as srv:
        write_config(tmp_path / "home", srv.base_url)
        run = run_exec(tmp_path / "home", tmp_path, "search badly")
    assert run.code == 0, run.stderr
    assert "Traceback" not in run.stderr
    outputs = [i for i in search_items(srv.requests[-1].body) if i["type"] == "tool_search_output"]
    assert [o["call_id"] for o in outputs] == [f"s{i}" for i in range(len(bad))]
    assert all(o["tools"] == [] and o["status"] == "completed" for o in outputs)
    assert run.items("agent_message")[-1]["text"] == "done"


def test_tool_search_cut_off_by_a_crash_is_answered_empty_on_resume(tmp_path: Path) -> None:
    """A rollout whose tool_search_call never got its output (a crash) resumes with an empty
    tool_search_output for it, the form of that call's answer, not a function_call_output."""
    home, ws = tmp_path / "home", tmp_path
    with ScriptedModelServer([done("one"), done("two")]) as srv:
        write_config(home, srv.base_url)
        first = run_exec(home, ws, "hello")
        thread = first.events()[0]["thread_id"]
        path = next((home / "sessions").rglob("rollout-*.jsonl"))
        orphan = {"timestamp": "2026-01-01T00:00:00.000Z", "type": "response_item",
                  "payload": {"type": "tool_search_call", "call_id": "lost", "execution": "client",
                              "status": "completed", "arguments": {"query": "x"}}}
        with path.open("a") as f:
            f.write(json.dumps(orphan) + "\n")
        second = run_exec(home, ws, "resume", thread, "again")
    assert second.code == 0, second.stderr
    items = search_items(srv.requests[1].body)
    assert [i["type"] for i in items] == ["tool_search_call", "tool_search_output"]
    assert items[1]["call_id"] == "lost" and items[1]["tools"] == []
