"""Thread goals end to end: the scripted model calls get_goal / create_goal / update_goal and
reads back exactly what Codex 0.169 answers (recorded by running the real Codex against the
same scripts); budgets run out; the goal survives resume, in the library and in `exec resume`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pycodex.protocol import events as ev
from pycodex.protocol.goals import ThreadGoalStatus, ThreadGoalUpdated
from pycodex.rollout.reader import load_rollout
from pycodex.session.conversation import ConversationManager
from pycodex.testing import scenario as sc
from pycodex.testing.server import RecordedRequest, ScriptedModelServer
from tests.e2e.helpers import run_exec, write_config
from tests.e2e.test_session import make_config

GOAL_KEYS = ["threadId", "objective", "status", "tokenBudget", "tokensUsed", "timeUsedSeconds",
             "createdAt", "updatedAt"]
REPORT = ("Goal achieved. Report final usage from this tool result's structured goal fields. "
          "If `goal.tokenBudget` is present, include token usage from `goal.tokensUsed` and "
          "`goal.tokenBudget`. If `goal.timeUsedSeconds` is greater than 0, summarize elapsed "
          "time in a concise, human-friendly form appropriate to the response language.")
STATUSES = "`active`, `paused`, `blocked`, `usageLimited`, `budgetLimited`, `complete`"


def call(name: str, args: dict[str, Any] | str, call_id: str, **usage: int) -> sc.Turn:
    return sc.turn(sc.function_call(name, args, call_id), sc.completed(**usage))


def done() -> sc.Turn:
    return sc.turn(sc.message("done"), sc.completed())


def outputs(req: RecordedRequest) -> dict[str, str]:
    """Tool outputs by call id, from what pycodex sent the model."""
    return {i["call_id"]: i["output"] for i in req.body["input"] if i["type"] == "function_call_output"}


def goal_of(output: str) -> dict[str, Any]:
    """A goal tool's answer, checked to be Codex's compact JSON with Codex's key order."""
    obj = json.loads(output)
    assert json.dumps(obj, separators=(",", ":"), ensure_ascii=False) == output
    assert list(obj) == ["goal", "remainingTokens", "completionBudgetReport"]
    if obj["goal"] is not None:
        assert list(obj["goal"]) == [k for k in GOAL_KEYS if k in obj["goal"]]
    return obj


def notes(req: RecordedRequest) -> list[str]:
    """The goal notes the system slipped into a request."""
    return [i["content"][0]["text"] for i in req.body["input"]
            if i["type"] == "message" and i["content"][0].get("text", "").startswith(
                '<codex_internal_context source="goal">')]


def goal_events(home: Path) -> list[dict[str, Any]]:
    lines = []
    for path in sorted((home / "sessions").rglob("rollout-*.jsonl")):
        for line in path.read_text().splitlines():
            d = json.loads(line)
            if d["type"] == "event_msg" and d["payload"]["type"] == "thread_goal_updated":
                lines.append(d["payload"])
    return lines


def test_goal_created_read_and_updated_as_codex_answers(tmp_path: Path) -> None:
    turns = [call("get_goal", {}, "g0"),
             call("create_goal", {"objective": "  ship it  ", "token_budget": 5000}, "c1"),
             call("create_goal", {"objective": "another"}, "c2"),
             call("get_goal", {}, "g1"),
             call("update_goal", {"status": "blocked"}, "u1"),
             call("update_goal", {"status": "complete"}, "u2"),
             call("create_goal", {"objective": "next one"}, "c3"),
             call("update_goal", {"status": "complete"}, "u3"),
             done()]
    home = tmp_path / "home"
    with ScriptedModelServer(turns) as srv:
        write_config(home, srv.base_url)
        run = run_exec(home, tmp_path, "do it")
    assert run.code == 0, run.stderr
    thread = run.events()[0]["thread_id"]
    out = outputs(srv.requests[-1])
    assert goal_of(out["g0"]) == {"goal": None, "remainingTokens": None, "completionBudgetReport": None}
    created = goal_of(out["c1"])
    assert created["goal"]["threadId"] == thread
    assert created["goal"]["objective"] == "ship it"  # trimmed, as Codex does
    assert (created["goal"]["status"], created["goal"]["tokensUsed"], created["remainingTokens"]) == (
        "active", 0, 5000)
    assert out["c2"] == ("cannot create a new goal because this thread has an unfinished goal; "
                         "complete the existing goal first")
    # Usage counts from the response after the one that created the goal: c2's (1000 + 10).
    assert goal_of(out["g1"])["goal"]["tokensUsed"] == 1010
    blocked = goal_of(out["u1"])
    assert blocked["goal"]["status"] == "blocked" and blocked["completionBudgetReport"] is None
    assert blocked["goal"]["tokensUsed"] == 2020
    # A blocked goal accrues nothing: the response that blocked it is not charged either.
    completed = goal_of(out["u2"])
    assert completed["goal"]["status"] == "complete" and completed["goal"]["tokensUsed"] == 2020
    assert completed["remainingTokens"] == 2980 and completed["completionBudgetReport"] == REPORT
    # A completed goal may be replaced; without a budget there is no tokenBudget key at all.
    nxt = goal_of(out["c3"])
    assert nxt["goal"]["objective"] == "next one" and "tokenBudget" not in nxt["goal"]
    assert nxt["remainingTokens"] is None
    # Complete without a budget and within a second: no report, as Codex.
    assert goal_of(out["u3"])["completionBudgetReport"] is None
    # Every change is a thread_goal_updated line in the rollout, with Codex's camelCase fields.
    statuses = [e["goal"]["status"] for e in goal_events(home)]
    assert statuses[0] == "active" and "blocked" in statuses and statuses[-1] == "complete"
    assert all(e["threadId"] == thread for e in goal_events(home))
    # exec JSONL shows nothing of goals, as `codex exec --json`.
    assert [e["type"] for e in run.events()] == ["thread.started", "turn.started", "item.completed",
                                                 "turn.completed"]


def test_bad_goal_input_is_answered_with_codex_errors(tmp_path: Path) -> None:
    """Bad input tried: update and get with no goal, arguments that are not JSON, a missing field,
    wrong types (float, string, bool, integer) at the right line and column, an empty and an
    over-long objective, a negative and a zero budget, statuses the model may not set, an
    unknown status, and a second goal while one is unfinished."""
    calls: list[tuple[str, dict[str, Any] | str, str]] = [
        ("update_goal", {"status": "complete"}, "cannot update goal because this thread has no goal"),
        ("update_goal", {}, "missing field `status` at line 1 column 2"),
        ("update_goal", "not json", "expected ident at line 1 column 2"),
        ("create_goal", {"objective": "x", "token_budget": -5}, "goal budgets must be positive when provided"),
        ("create_goal", {"objective": "x", "token_budget": 0}, "goal budgets must be positive when provided"),
        ("create_goal", {"objective": "   "}, "goal objective must not be empty"),
        ("create_goal", {"objective": "x", "token_budget": 1.5},
         "invalid type: floating point `1.5`, expected i64 at line 1 column 38"),
        ("create_goal", {"objective": "x", "token_budget": "10"},
         'invalid type: string "10", expected i64 at line 1 column 39'),
        ("create_goal", {}, "missing field `objective` at line 1 column 2"),
        ("create_goal", {"objective": 5}, "invalid type: integer `5`, expected a string at line 1 column 15"),
        ("create_goal", {"objective": "a" * 4001}, "goal objective must be at most 4000 characters"),
        ("create_goal", '{\n  "objective": "x",\n  "token_budget": true\n}',
         "invalid type: boolean `true`, expected i64 at line 3 column 22"),
        ("create_goal", {"objective": "ok", "extra": 1, "token_budget": None}, ""),
        ("update_goal", {"status": "active"}, "update_goal can only mark the existing goal complete, "
         "blocked, or paused at the user's explicit request; resume, budget-limited, and "
         "usage-limited status changes are controlled by the user or system"),
        ("update_goal", {"status": "budget_limited"},
         f"unknown variant `budget_limited`, expected one of {STATUSES} at line 1 column 27"),
        ("update_goal", {"status": 5}, "expected value at line 1 column 12"),
        ("create_goal", {"objective": "second"}, "cannot create a new goal because this thread has "
         "an unfinished goal; complete the existing goal first"),
        ("get_goal", "garbage", ""),
    ]
    turns = [call(name, args, f"b{i}") for i, (name, args, _) in enumerate(calls)] + [done()]
    with ScriptedModelServer(turns) as srv:
        write_config(tmp_path / "home", srv.base_url)
        run = run_exec(tmp_path / "home", tmp_path, "do it")
    assert run.code == 0, run.stderr
    assert "Traceback" not in run.stderr
    out = outputs(srv.requests[-1])
    for i, (_, _, expected) in enumerate(calls):
        if expected:
            assert out[f"b{i}"] == expected, (i, out[f"b{i}"])
    assert goal_of(out["b12"])["goal"]["objective"] == "ok"  # unknown fields are ignored
    assert goal_of(out["b17"])["goal"]["objective"] == "ok"  # get_goal ignores its arguments


async def test_budget_runs_out_goal_is_budget_limited_and_model_told(tmp_path: Path) -> None:
    # Each response's usage differs so the counting shows: (input - cached) + output.
    turns = [call("create_goal", {"objective": "ship <it>", "token_budget": 2500}, "c1",
                  input_tokens=100, output_tokens=1),
             call("get_goal", {}, "g1", input_tokens=200, output_tokens=2),
             call("get_goal", {}, "g2", input_tokens=400, output_tokens=4, cached=100),
             call("get_goal", {}, "g3", input_tokens=800, output_tokens=8),
             call("get_goal", {}, "g4", input_tokens=1600, output_tokens=16),
             call("get_goal", {}, "g5", input_tokens=3200, output_tokens=32),
             call("update_goal", {"status": "complete"}, "u1", input_tokens=10, output_tokens=1),
             done()]
    with ScriptedModelServer(turns) as srv:
        conv = await ConversationManager().new_conversation(make_config(tmp_path, srv.base_url))
        result = await conv.run("work on it")
        assert conv._codex.session is not None
        goal = conv._codex.session.thread_goal()
        await conv.shutdown()
    out = outputs(srv.requests[-1])
    used = [goal_of(out[c])["goal"]["tokensUsed"] for c in ("g1", "g2", "g3", "g4", "g5")]
    assert used == [0, 202, 506, 1314, 2930]  # Codex's numbers for the same script
    assert goal_of(out["g4"])["goal"]["status"] == "active"
    limited = goal_of(out["g5"])
    assert limited["goal"]["status"] == "budgetLimited" and limited["remainingTokens"] == 0
    # The model learns it in the request right after the budget ran out, and only then.
    assert [len(notes(r)) for r in srv.requests] == [0, 0, 0, 0, 0, 1, 1, 1]
    note = notes(srv.requests[5])[0]
    assert "ship &lt;it&gt;" in note and "2930" in note and "2500" in note
    # A budget-limited goal may still be completed; its report asks for the final usage.
    completed = goal_of(out["u1"])
    assert completed["goal"]["status"] == "complete" and completed["completionBudgetReport"] == REPORT
    # The client heard it: thread_goal_updated with the budgetLimited goal.
    updates = [e.msg for e in result.events if isinstance(e.msg, ThreadGoalUpdated)]
    assert any(u.goal.status is ThreadGoalStatus.BUDGET_LIMITED and u.goal.tokens_used == 2930
               for u in updates)
    assert goal is not None and goal.status is ThreadGoalStatus.COMPLETE


async def test_goal_survives_library_resume_and_a_fork_starts_without_one(tmp_path: Path) -> None:
    turns = [call("create_goal", {"objective": "keep going", "token_budget": 100000}, "c1"),
             call("get_goal", {}, "g1"), done(),  # first turn: c1's response is free, g1's counts
             call("get_goal", {}, "g2"), done(),  # resumed
             call("get_goal", {}, "g3"), done()]  # forked
    with ScriptedModelServer(turns) as srv:
        config = make_config(tmp_path, srv.base_url)
        manager = ConversationManager()
        conv = await manager.new_conversation(config)
        await conv.run("set a goal")
        assert conv._codex.session is not None
        before = conv._codex.session.thread_goal()
        path = conv.rollout_path
        await manager.remove(conv.id)
        assert before is not None and before.tokens_used == 2020 and path is not None

        resumed = await manager.resume_conversation(config, path)
        assert resumed._codex.session is not None
        assert resumed._codex.session.thread_goal() == before  # nothing counted twice
        await resumed.run("go on")
        after = resumed._codex.session.thread_goal()
        await manager.remove(resumed.id)

        forked = await manager.fork_conversation(config, path, 1)
        assert forked._codex.session is not None
        assert forked._codex.session.thread_goal() is None  # a fork is a new thread: no goal
        await forked.run("in the fork")
        await manager.shutdown_all()
    g2 = goal_of(outputs(srv.requests[4])["g2"])["goal"]
    assert g2["objective"] == "keep going" and g2["tokensUsed"] == 2020
    assert after is not None and after.tokens_used == 2020 + 2 * 1010
    assert goal_of(outputs(srv.requests[6])["g3"])["goal"] is None


def test_goal_survives_exec_resume(tmp_path: Path) -> None:
    home = tmp_path / "home"
    turns = [call("create_goal", {"objective": "finish the port", "token_budget": 3000}, "c1"),
             done(),
             call("get_goal", {}, "g1"), call("get_goal", {}, "g2"), done()]
    with ScriptedModelServer(turns) as srv:
        write_config(home, srv.base_url)
        first = run_exec(home, tmp_path, "start")
        thread = first.events()[0]["thread_id"]
        second = run_exec(home, tmp_path, "resume", thread, "continue")
    assert first.code == 0 and second.code == 0, second.stderr
    g1 = goal_of(outputs(srv.requests[3])["g1"])
    # The first run charged its last response (1010); the resumed run's first one is charged
    # before its next request, so g2 sees 2020 and then the budget is still not spent.
    assert g1["goal"]["objective"] == "finish the port" and g1["goal"]["tokensUsed"] == 1010
    g2 = goal_of(outputs(srv.requests[4])["g2"])
    assert g2["goal"]["tokensUsed"] == 2020 and g2["goal"]["status"] == "active"
    assert g2["goal"]["createdAt"] == g1["goal"]["createdAt"]
    rollout = load_rollout(next((home / "sessions").rglob("rollout-*.jsonl")))
    assert rollout.skipped == 0  # every goal line reads back


def test_goal_tools_offered_where_codex_lists_them(tmp_path: Path) -> None:
    with ScriptedModelServer([done()]) as srv:
        write_config(tmp_path / "home", srv.base_url, extra="[tools]\nweb_search = true\n")
        run = run_exec(tmp_path / "home", tmp_path, "hi")
    assert run.code == 0, run.stderr
    names = [t.get("name", t["type"]) for t in srv.requests[0].body["tools"]]
    assert names[-4:] == ["get_goal", "create_goal", "update_goal", "web_search"]
    assert "tool_search" not in names  # nothing is deferred, so Codex would not offer it
    specs = {t.get("name"): t for t in srv.requests[0].body["tools"]}
    assert specs["create_goal"]["parameters"]["properties"]["token_budget"]["type"] == "integer"
    assert specs["update_goal"]["parameters"]["properties"]["status"]["enum"] == [
        "complete", "blocked", "paused"]
    assert specs["get_goal"]["parameters"] == {"type": "object", "properties": {}, "required": [],
                                               "additionalProperties": False}


async def test_goal_event_reaches_library_client(tmp_path: Path) -> None:
    turns = [call("create_goal", {"objective": "o"}, "c1"), done()]
    with ScriptedModelServer(turns) as srv:
        conv = await ConversationManager().new_conversation(make_config(tmp_path, srv.base_url))
        result = await conv.run("go")
        await conv.shutdown()
    goal_updates: list[ev.Event] = [e for e in result.events if isinstance(e.msg, ThreadGoalUpdated)]
    assert goal_updates and goal_updates[0].msg.goal.objective == "o"
    assert goal_updates[0].msg.turn_id == goal_updates[0].id  # the turn it happened in


async def test_interrupted_turn_charges_its_goal_and_idle_time_is_not_goal_time(tmp_path: Path) -> None:
    import asyncio

    from pycodex.protocol import ops
    from pycodex.protocol.inputs import TextInput
    from tests.e2e.test_session import wait_for

    turns = [call("create_goal", {"objective": "o", "token_budget": 100000}, "c1"),
             call("exec_command", {"cmd": "sleep 30", "yield_time_ms": 20000}, "x1"),
             call("get_goal", {}, "g1"), done()]
    with ScriptedModelServer(turns) as srv:
        conv = await ConversationManager().new_conversation(make_config(tmp_path, srv.base_url))
        await conv.submit(ops.UserInput(items=[TextInput(text="start")]))
        await wait_for(conv, ev.ExecCommandBegin)
        await conv.submit(ops.Interrupt())
        charged = await wait_for(conv, ThreadGoalUpdated)  # at the abort, before turn_aborted
        await wait_for(conv, ev.TurnAborted)
        await asyncio.sleep(1.5)  # idle between turns
        await conv.run("go on")
        await conv.shutdown()
    assert isinstance(charged.msg, ThreadGoalUpdated) and charged.msg.goal.tokens_used == 1010
    g1 = goal_of(outputs(srv.requests[-1])["g1"])["goal"]
    assert g1["tokensUsed"] == 1010 and g1["timeUsedSeconds"] == 0
