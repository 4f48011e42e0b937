"""Thread goals through the official SDK: thread/goal/set, get and clear, the goal's own turns
(the SDK's goal operation), the model's goal tools seeing the client's goal, the budget running
out, and a goal (or its absence) surviving a restart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.app_server.harness import RawClient, require_sdk, sdk_config, setup_home, tapped
from tests.app_server.schema import V2Schema
from tests.e2e.helpers import input_texts

require_sdk()
from openai_codex import Codex  # noqa: E402
from openai_codex._goal import _GoalNotificationStream  # noqa: E402
from openai_codex.api import ApprovalMode, Sandbox  # noqa: E402
from openai_codex.errors import CodexError  # noqa: E402
from openai_codex.generated.v2_all import (  # noqa: E402
    ThreadGoalGetResponse,
    ThreadGoalSetResponse,
    ThreadGoalStatus,
)

NOTE = '<codex_internal_context source="goal">'


def _thread(codex: Any, ws: Path, **kw: Any) -> Any:
    return codex.thread_start(cwd=str(ws), sandbox=Sandbox.full_access,
                              approval_mode=ApprovalMode.deny_all, **kw)


def _get(client: Any, thread_id: str) -> Any:
    return client.request("thread/goal/get", {"threadId": thread_id},
                          response_model=ThreadGoalGetResponse).goal


def _set(client: Any, params: dict[str, Any]) -> Any:
    return client.request("thread/goal/set", params, response_model=ThreadGoalSetResponse).goal


def _notes(received: list[dict[str, Any]], prefix: str = "thread/goal/") -> list[dict[str, Any]]:
    return [m for m in received if str(m.get("method", "")).startswith(prefix) and "id" not in m]


def _run_goal(client: Any, thread_id: str, objective: str) -> list[Any]:
    """The SDK's goal operation: set the goal, then follow its turns as one logical turn."""
    state, _ = client.start_goal_operation(thread_id, objective)
    stream = _GoalNotificationStream(state, lambda: client.next_goal_notification(state),
                                     lambda: client.unregister_goal_operation(state),
                                     lambda: client.cancel_goal_operation(state))
    return list(stream)


def test_set_read_edit_and_clear_a_goal(tmp_path: Path, v2schema: V2Schema) -> None:
    """Bad input tried, each refused with Codex's message and nothing changed: a change with no
    goal and no objective, a blank objective, a zero budget, a status that is no status, a
    thread that does not exist, and goals on an ephemeral thread."""
    tap = tmp_path / "tap"
    with ScriptedModelServer([]) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        with Codex(sdk_config(home, ws, tap)) as codex:
            client = codex._client
            tid = _thread(codex, ws).id
            errors = []
            for params in ({"threadId": tid, "status": "paused"}, {"threadId": tid, "objective": "  "},
                           {"threadId": tid, "objective": "x", "tokenBudget": 0},
                           {"threadId": tid, "objective": "x", "status": "sleeping"},
                           {"threadId": "no-such-thread", "objective": "x"}):
                with pytest.raises(CodexError) as e:
                    _set(client, params)
                errors.append(str(e.value))
            empty = _get(client, tid)
            # Paused: no turn of its own starts (the scripted model has nothing to answer).
            made = client.thread_goal_set(tid, objective=" ship it ", status=ThreadGoalStatus.paused).goal
            edited = _set(client, {"threadId": tid, "objective": "ship it today", "tokenBudget": 5000})
            no_budget = _set(client, {"threadId": tid, "tokenBudget": None})
            read = _get(client, tid)
            cleared = client.thread_goal_clear(tid).cleared
            after = _get(client, tid)
            again = client.thread_goal_clear(tid).cleared
            eph = _thread(codex, ws, ephemeral=True).id
            with pytest.raises(CodexError, match=f"ephemeral thread does not support goals: {eph}"):
                _get(client, eph)
    assert errors[0].endswith(f"cannot update goal for thread {tid}: no goal exists")
    assert errors[1].endswith("goal objective must not be empty")
    assert errors[2].endswith("goal budgets must be positive when provided")
    assert "status" in errors[3] and "no-such-thread" in errors[4]
    assert empty is None and after is None
    assert (made.objective, made.status, made.token_budget, made.thread_id) == ("ship it", ThreadGoalStatus.paused,
                                                                               None, tid)
    assert (edited.objective, edited.token_budget, edited.status) == ("ship it today", 5000, ThreadGoalStatus.paused)
    assert edited.created_at == made.created_at
    assert no_budget.token_budget is None and read == no_budget
    assert cleared is True and again is False
    assert srv.requests == []  # no goal was active: nothing ran
    sent, received = tapped(tap)
    notes = _notes(received)
    assert [n["method"] for n in notes] == ["thread/goal/updated"] * 3 + ["thread/goal/cleared"]
    assert all(n["params"]["turnId"] is None for n in notes[:3])
    assert notes[-1]["params"] == {"threadId": tid}
    # Each notification follows the answer to the request that caused it, as in Codex.
    answers = [i for i, m in enumerate(received) if "result" in m and "goal" in m["result"]]
    assert received.index(notes[0]) > answers[1]
    v2schema.check_all(sent, received)


def test_goal_operation_runs_turns_until_the_model_completes_it(tmp_path: Path, v2schema: V2Schema) -> None:
    """The SDK's goal operation: setting an active goal starts its turn; the model reads the
    client's goal with get_goal, a turn that ends with the goal still active is followed by
    another, and the model's update_goal ends it; the SDK sees one logical turn."""
    tap = tmp_path / "tap"
    turns = [sc.turn(sc.function_call("get_goal", {}, "g1"), sc.completed(input_tokens=40, output_tokens=2)),
             sc.turn(sc.message("made progress"), sc.completed(input_tokens=50, output_tokens=3)),
             sc.turn(sc.function_call("update_goal", {"status": "complete"}, "g2"), sc.completed()),
             sc.turn(sc.message("all done"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        with Codex(sdk_config(home, ws, tap)) as codex:
            thread = _thread(codex, ws)
            events = _run_goal(codex._client, thread.id, "port the parser")
            final = _get(codex._client, thread.id)
            read = thread.read(include_turns=True).thread
    bodies = [r.body for r in srv.requests]
    assert len(bodies) == 4
    first = input_texts(bodies[0])
    assert first[-1].startswith(NOTE) and "<objective>\nport the parser\n</objective>" in first[-1]
    got = json.loads(input_texts(bodies[1])[-1])
    assert got["goal"]["objective"] == "port the parser" and got["goal"]["status"] == "active"
    assert input_texts(bodies[2])[-1].startswith(NOTE)  # the second turn of the goal
    assert final is not None and final.status == ThreadGoalStatus.complete
    completed = [e for e in events if e.method == "turn/completed"]
    assert len(completed) == 1 and completed[0].payload.turn.status.value == "completed"
    assert [e.payload.item.root.text for e in events if e.method == "item/completed"
            and e.payload.item.root.type == "agentMessage"] == ["made progress", "all done"]
    # The notes are for the model: no userMessage item, live or rebuilt.
    assert not [e for e in events if e.method == "item/completed" and e.payload.item.root.type == "userMessage"]
    assert [i.root.type for t in read.turns for i in t.items if i.root.type == "userMessage"] == []
    assert len(read.turns) == 2
    sent, received = tapped(tap)
    updates = [n["params"] for n in _notes(received, "thread/goal/updated")]
    assert updates[0]["turnId"] is None and updates[0]["goal"]["status"] == "active"
    done = [u for u in updates if u["goal"]["status"] == "complete"]
    assert len(done) == 1 and done[0]["turnId"] == read.turns[1].id  # the model's own turn
    assert done[0]["goal"]["tokensUsed"] >= 90  # the goal's turns were charged to it
    v2schema.check_all(sent, received)


def test_budget_running_out_is_reported_and_ends_the_goal(tmp_path: Path, v2schema: V2Schema) -> None:
    """A goal with a 1000-token budget: once a response spends it, the client hears
    `budgetLimited` within the turn, the model is told to wrap up, and no further turn starts."""
    tap = tmp_path / "tap"
    turns = [sc.turn(sc.function_call("get_goal", {}, "g1"), sc.completed(input_tokens=1200, output_tokens=30)),
             sc.turn(sc.message("wrapping up"), sc.completed(input_tokens=10, output_tokens=5)),
             sc.turn(sc.message("never asked for"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        with Codex(sdk_config(home, ws, tap)) as codex:
            client = codex._client
            thread = _thread(codex, ws)
            state = client.reserve_goal_operation(thread.id)
            state.activate_turn_routing()
            _set(client, {"threadId": thread.id, "objective": "ship it", "tokenBudget": 1000})
            assert state.wait_for_start(30) is not None
            stream = _GoalNotificationStream(state, lambda: client.next_goal_notification(state),
                                             lambda: client.unregister_goal_operation(state),
                                             lambda: client.cancel_goal_operation(state))
            events = list(stream)
            goal = _get(client, thread.id)
    assert len(srv.requests) == 2
    assert "spent its token budget" in "\n".join(input_texts(srv.requests[1].body))
    assert goal is not None and goal.status == ThreadGoalStatus.budget_limited and goal.tokens_used >= 1000
    assert events[-1].method == "turn/completed" and events[-1].payload.turn.status.value == "completed"
    sent, received = tapped(tap)
    limited = [n["params"] for n in _notes(received, "thread/goal/updated")
               if n["params"]["goal"]["status"] == "budgetLimited"]
    started = [m["params"]["turn"]["id"] for m in received if m.get("method") == "turn/started"]
    assert limited and limited[0]["turnId"] == started[0] and len(started) == 1
    v2schema.check_all(sent, received)


def test_goal_survives_a_restart_and_a_clear_does_too(tmp_path: Path, v2schema: V2Schema) -> None:
    """A goal set in one server process is read from the rollout by the next (thread not
    loaded), sent as a snapshot when the thread is resumed, and a clear stays cleared.
    Bad input tried: changing the goal of a thread that is stored but not loaded."""
    tap = tmp_path / "tap"
    with ScriptedModelServer([]) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        with Codex(sdk_config(home, ws, tap)) as codex:
            tid = _thread(codex, ws).id
            codex._client.thread_goal_set(tid, objective="keep it", status=ThreadGoalStatus.paused)
            codex._client.thread_goal_set(tid, status=ThreadGoalStatus.blocked)
        with Codex(sdk_config(home, ws, tmp_path / "tap2")) as codex:
            stored = _get(codex._client, tid)
            with pytest.raises(CodexError, match="not loaded"):
                codex._client.thread_goal_clear(tid)
            codex.thread_resume(tid)
            cleared = codex._client.thread_goal_clear(tid).cleared
        with Codex(sdk_config(home, ws, tmp_path / "tap3")) as codex:
            after = _get(codex._client, tid)
            codex.thread_resume(tid)
            loaded = _get(codex._client, tid)
    assert stored is not None and (stored.objective, stored.status) == ("keep it", ThreadGoalStatus.blocked)
    assert cleared is True and after is None and loaded is None
    sent, received = tapped(tmp_path / "tap2")
    snapshot = _notes(received, "thread/goal/updated")
    resumed = next(i for i, m in enumerate(received) if "result" in m and "thread" in m.get("result", {}))
    assert snapshot and received.index(snapshot[0]) > resumed
    assert snapshot[0]["params"]["goal"]["status"] == "blocked" and snapshot[0]["params"]["turnId"] is None
    v2schema.check_all(sent, received)
    _, third = tapped(tmp_path / "tap3")
    assert _notes(third) == []  # nothing to send for a cleared goal


def test_resumed_thread_with_an_active_goal_goes_on_working(tmp_path: Path, v2schema: V2Schema) -> None:
    """A server stops (stdin closed) while its goal's turn waits on the model; the goal stays
    active, so the next server, once the thread is resumed, sends the goal and starts its turn."""
    turns = [sc.turn(sc.stall()),
             sc.turn(sc.function_call("update_goal", {"status": "complete"}, "g1"), sc.completed()),
             sc.turn(sc.message("finished after the restart"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        first = RawClient(home, ws)
        try:
            first.initialize()
            tid = first.request("thread/start", {"cwd": str(ws), "approvalPolicy": "never"})["result"]["thread"]["id"]
            first.request("thread/goal/set", {"threadId": tid, "objective": "survive a restart"})
            first.notification("turn/started")
            srv.wait_for_requests(1)  # the goal's turn waits on the model
        finally:
            first.close_stdin()
            assert first.wait() == 0
        second = RawClient(home, ws)
        try:
            second.initialize()
            second.request("thread/resume", {"threadId": tid})
            snapshot = second.notification("thread/goal/updated")
            second.notification("turn/started")
            second.wait_for(lambda m: m.get("method") == "thread/goal/updated"
                            and m["params"]["goal"]["status"] == "complete")
            second.notification("turn/completed")
            goal = second.request("thread/goal/get", {"threadId": tid})["result"]["goal"]
        finally:
            second.close_stdin()
            assert second.wait() == 0
    assert snapshot["params"]["turnId"] is None and snapshot["params"]["goal"]["status"] == "active"
    assert goal["status"] == "complete"
    assert input_texts(srv.requests[1].body)[-1].startswith(NOTE)
    v2schema.check_all(second.sent, second.messages())


def test_a_failed_goal_turn_blocks_the_goal(tmp_path: Path, v2schema: V2Schema) -> None:
    """Bad input from the model side: the model answers the goal's turn with an HTTP 500. The
    turn fails and, as in Codex, the goal becomes `blocked` instead of being retried turn after
    turn; the SDK's goal operation ends with the failed turn."""
    tap = tmp_path / "tap"
    with ScriptedModelServer([sc.http_error(500, "overloaded"), sc.turn(sc.message("never"), sc.completed())]) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        with Codex(sdk_config(home, ws, tap)) as codex:
            thread = _thread(codex, ws)
            events = _run_goal(codex._client, thread.id, "try hard")
            goal = _get(codex._client, thread.id)
    assert len(srv.requests) == 1
    assert goal is not None and goal.status == ThreadGoalStatus.blocked
    assert events[-1].method == "turn/completed" and events[-1].payload.turn.status.value == "failed"
    sent, received = tapped(tap)
    v2schema.check_all(sent, received)
