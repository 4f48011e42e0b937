"""The same SDK script against the real `codex app-server` (0.169) and `pycodex app-server`,
on the same scripted model: the items and final responses match."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.app_server.harness import require_sdk, sdk_config, setup_home, tapped
from tests.app_server.schema import V2Schema
from tests.interop.codex_bin import codex_binary, codex_config

require_sdk()
from openai_codex import Codex, CodexConfig  # noqa: E402
from openai_codex.api import ApprovalMode, Sandbox  # noqa: E402

PATCH = "*** Begin Patch\n*** Add File: made.txt\n+made by the patch\n*** End Patch\n"


def _scenario() -> list[sc.Turn]:
    return [
        sc.turn(sc.reasoning("planning the work"),
                sc.function_call("exec_command", {"cmd": "echo hi > out.txt; echo done; exit 3"}, "c1"),
                sc.completed(input_tokens=100, output_tokens=5)),
        sc.turn(sc.message("the command said done"), sc.completed(input_tokens=120, output_tokens=7)),
        sc.turn(sc.custom_tool_call("apply_patch", PATCH, "p1"), sc.completed()),
        sc.turn(sc.message("patched"), sc.completed()),
    ]


def _script(codex: Any, ws: Path) -> dict[str, Any]:
    """What an SDK user would do: a thread, two runs, a listing, a read."""
    thread = codex.thread_start(model="gpt-5.5", cwd=str(ws), sandbox=Sandbox.full_access,
                                approval_mode=ApprovalMode.deny_all)
    runs = [thread.run("run a command, then answer"), thread.run("now patch a file")]
    read = thread.read(include_turns=True)
    return {
        "runs": [{"status": r.status.value, "final": r.final_response, "items": [_item(i.root, ws) for i in r.items]}
                 for r in runs],
        "listed": len(codex.thread_list().data),
        "read_turns": [[i.root.type for i in t.items] for t in read.thread.turns],
        "files": sorted(p.name for p in ws.iterdir()),
    }


def _item(item: Any, ws: Path) -> dict[str, Any]:
    """The parts of an item both servers must agree on (ids and timings differ by design)."""
    out: dict[str, Any] = {"type": item.type}
    if item.type == "userMessage":
        out["text"] = [c.root.text for c in item.content]
    elif item.type == "agentMessage":
        out["text"] = item.text
    elif item.type == "reasoning":
        out["summary"] = item.summary
    elif item.type == "commandExecution":
        out |= {"command": item.command, "exit": item.exit_code, "output": item.aggregated_output,
                "status": item.status.value, "cwd": str(item.cwd.root if hasattr(item.cwd, "root") else item.cwd)}
    elif item.type == "fileChange":
        out |= {"status": item.status.value,
                "changes": [(Path(c.path).relative_to(ws).as_posix(), c.kind.root.type, c.diff) for c in item.changes]}
    return out


def test_same_script_same_items_on_codex_and_pycodex(tmp_path: Path, v2schema: V2Schema) -> None:
    codex_bin = codex_binary()
    with ScriptedModelServer(_scenario()) as srv:
        ws = tmp_path / "codex-ws"
        ws.mkdir()
        flags = codex_config(srv.base_url)
        config = CodexConfig(codex_bin=str(codex_bin), config_overrides=tuple(flags[1::2]), cwd=str(ws),
                             env={"CODEX_HOME": str(tmp_path / "codex-home"), "MOCK_API_KEY": "k"})
        os.makedirs(tmp_path / "codex-home")
        with Codex(config) as codex:
            real = _script(codex, ws)
    with ScriptedModelServer(_scenario()) as srv:
        home, ws = setup_home(tmp_path / "py", srv.base_url)
        with Codex(sdk_config(home, ws, tmp_path / "tap")) as codex:
            ours = _script(codex, ws)
    for run in real["runs"] + ours["runs"]:
        for item in run["items"]:
            item.pop("cwd", None)  # each side has its own workspace
    assert ours == real
    assert ours["runs"][0]["items"][2]["exit"] == 3  # the script did exercise a failing command
    sent, received = tapped(tmp_path / "tap")
    v2schema.check_all(sent, received)


def _goal_script(codex: Any, ws: Path) -> dict[str, Any]:
    """Goals as an SDK user drives them: refusals, then a goal the model completes in its turn."""
    from openai_codex._goal import _GoalNotificationStream
    from openai_codex.errors import CodexError
    from openai_codex.generated.v2_all import ThreadGoalGetResponse, ThreadGoalSetResponse

    client = codex._client
    tid = codex.thread_start(model="gpt-5.5", cwd=str(ws), sandbox=Sandbox.full_access,
                             approval_mode=ApprovalMode.deny_all).id
    refusals = []
    for params in ({"status": "paused"}, {"objective": " "}, {"objective": "x", "tokenBudget": -1}):
        try:
            client.request("thread/goal/set", {"threadId": tid, **params}, response_model=ThreadGoalSetResponse)
        except CodexError as e:
            refusals.append(str(e).replace(tid, "T"))
    state, _ = client.start_goal_operation(tid, "write the report")
    events = list(_GoalNotificationStream(state, lambda: client.next_goal_notification(state),
                                          lambda: client.unregister_goal_operation(state),
                                          lambda: client.cancel_goal_operation(state)))
    goal = client.request("thread/goal/get", {"threadId": tid}, response_model=ThreadGoalGetResponse).goal
    cleared = [client.thread_goal_clear(tid).cleared, client.thread_goal_clear(tid).cleared]
    return {
        "refusals": refusals,
        "turns": [e.payload.turn.status.value for e in events if e.method == "turn/completed"],
        "messages": [e.payload.item.root.text for e in events if e.method == "item/completed"
                     and e.payload.item.root.type == "agentMessage"],
        "user_items": [e for e in events if e.method == "item/completed" and e.payload.item.root.type == "userMessage"],
        "goal": (goal.objective, goal.status.value) if goal else None,
        "cleared": cleared,
    }


def _goal_turns() -> list[sc.Turn]:
    return [sc.turn(sc.function_call("get_goal", {}, "g1"), sc.completed()),
            sc.turn(sc.function_call("update_goal", {"status": "complete"}, "g2"), sc.completed()),
            sc.turn(sc.message("report written"), sc.completed())]


def test_goals_behave_as_on_codex(tmp_path: Path, v2schema: V2Schema) -> None:
    """The same goal script on both servers: the same refusals (bad input: a change with no goal,
    a blank objective, a negative budget), one goal turn the model completes, the same answers,
    and what the model's get_goal saw."""
    codex_bin = codex_binary()
    with ScriptedModelServer(_goal_turns()) as srv:
        ws = tmp_path / "codex-ws"
        ws.mkdir()
        flags = codex_config(srv.base_url)
        config = CodexConfig(codex_bin=str(codex_bin), config_overrides=tuple(flags[1::2]), cwd=str(ws),
                             env={"CODEX_HOME": str(tmp_path / "codex-home"), "MOCK_API_KEY": "k"})
        os.makedirs(tmp_path / "codex-home")
        with Codex(config) as codex:
            real = _goal_script(codex, ws)
        real_seen = json.loads(srv.requests[1].body["input"][-1]["output"])
    with ScriptedModelServer(_goal_turns()) as srv:
        home, ws = setup_home(tmp_path / "py", srv.base_url)
        with Codex(sdk_config(home, ws, tmp_path / "tap")) as codex:
            ours = _goal_script(codex, ws)
        our_seen = json.loads(srv.requests[1].body["input"][-1]["output"])
    assert ours == real
    assert real["turns"] == ["completed"] and real["goal"] == ("write the report", "complete")
    for seen in (real_seen, our_seen):
        assert (seen["goal"]["objective"], seen["goal"]["status"]) == ("write the report", "active")
    sent, received = tapped(tmp_path / "tap")
    v2schema.check_all(sent, received)


QUESTION = {"questions": [{"id": "color", "header": "Color", "question": "Which color?",
                           "options": [{"label": "red", "description": "warm"},
                                       {"label": "blue", "description": "cool"}]}]}


def _ask_script(config: Any, ws: Path) -> list[dict[str, Any]]:
    """One question, answered through the low-level client's handler."""
    from openai_codex.client import CodexClient

    asked: list[dict[str, Any]] = []

    def handler(method: str, params: dict[str, Any] | None) -> dict[str, Any]:
        asked.append({"method": method, **{k: v for k, v in (params or {}).items()
                                             if k not in ("threadId", "turnId")}})
        return {"answers": {"color": {"answers": ["blue"]}}}

    with CodexClient(config, approval_handler=handler) as client:
        client.initialize()
        thread = client.thread_start({"cwd": str(ws), "approvalPolicy": "never", "model": "gpt-5.5"}).thread
        turn = client.turn_start(thread.id, "pick a color")
        client.wait_for_turn_completed(turn.turn.id)
    return asked


def test_questions_to_the_user_as_on_codex(tmp_path: Path) -> None:
    """request_user_input reaches the client as the same server request, and the same answer
    reaches the model (Codex needs its default-mode feature for the tool outside Plan mode)."""
    codex_bin = codex_binary()
    turns = [sc.turn(sc.function_call("request_user_input", QUESTION, "q1"), sc.completed()),
             sc.turn(sc.message("blue it is"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        ws = tmp_path / "codex-ws"
        ws.mkdir()
        flags = codex_config(srv.base_url)
        overrides = (*flags[1::2], "features.default_mode_request_user_input=true")
        os.makedirs(tmp_path / "codex-home")
        config = CodexConfig(codex_bin=str(codex_bin), config_overrides=overrides, cwd=str(ws),
                             env={"CODEX_HOME": str(tmp_path / "codex-home"), "MOCK_API_KEY": "k"})
        real = _ask_script(config, ws)
        real_output = srv.requests[1].body["input"][-1]["output"]
    with ScriptedModelServer(turns) as srv:
        home, ws = setup_home(tmp_path / "py", srv.base_url)
        ours = _ask_script(sdk_config(home, ws, tmp_path / "tap"), ws)
        our_output = srv.requests[1].body["input"][-1]["output"]
    assert ours == real and len(ours) == 1
    assert our_output == real_output == '{"answers":{"color":{"answers":["blue"]}}}'


def _review_script(config: Any, ws: Path) -> dict[str, Any]:
    """A review as an SDK user drives it: a refused target, a review of the uncommitted
    changes, then a turn that asks about it."""
    from openai_codex.client import CodexClient
    from openai_codex.errors import CodexError
    from openai_codex.generated.v2_all import ReviewStartResponse

    from tests.app_server.harness import start_review

    with CodexClient(config) as client:
        client.initialize()
        tid = client.thread_start({"cwd": str(ws), "approvalPolicy": "never", "model": "gpt-5.5",
                                   "sandbox": "danger-full-access"}).thread.id
        try:  # bad input: blank custom instructions
            client.request("review/start", {"threadId": tid, "target": {"type": "custom", "instructions": " "}},
                           response_model=ReviewStartResponse)
            refused = None
        except CodexError as e:
            refused = getattr(e, "code", None)
        result = start_review(client, tid, {"type": "uncommittedChanges"}).run()
        later = client.turn_start(tid, "and now?")
        client.wait_for_turn_completed(later.turn.id)
    shown = [(i.root.type, getattr(i.root, "review", None) or getattr(i.root, "text", None))
             for i in result.items if i.root.type in ("enteredReviewMode", "exitedReviewMode", "agentMessage")]
    return {"refused": refused, "status": result.status.value, "final": result.final_response.replace(str(ws), "WS"),
            "items": [(kind, text.replace(str(ws), "WS") if text else text) for kind, text in shown]}


def _review_turns(ws: Path) -> list[sc.Turn]:
    finding = {"title": "[P1] Keep x", "body": "Why:\nit matters", "confidence_score": 0.5, "priority": 1,
               "code_location": {"absolute_file_path": str(ws / "a.py"), "line_range": {"start": 1, "end": 1}}}
    answer = json.dumps({"findings": [finding], "overall_correctness": "patch is incorrect",
                         "overall_explanation": "x changed.", "overall_confidence_score": 0.5})
    return [sc.turn(sc.function_call("exec_command", {"cmd": "git diff"}, "c1"), sc.completed()),
            sc.turn(sc.message(answer), sc.completed()),
            sc.turn(sc.message("later answer"), sc.completed())]


def _git_repo(ws: Path) -> Path:
    import subprocess

    ws.mkdir(parents=True)
    for args in (["init", "-q", "-b", "main"], ["config", "user.email", "d@e"], ["config", "user.name", "D"]):
        subprocess.run(["git", "-C", str(ws), *args], check=True)
    (ws / "a.py").write_text("x = 1\n")
    subprocess.run(["git", "-C", str(ws), "add", "a.py"], check=True)
    subprocess.run(["git", "-C", str(ws), "commit", "-qm", "first"], check=True)
    (ws / "a.py").write_text("x = 2\n")
    return ws


def test_review_start_as_on_codex(tmp_path: Path, v2schema: V2Schema) -> None:
    """The same review on both servers: the same refusal code, the same review items and answer,
    the same request to the reviewer, and the review in the next turn's request."""
    codex_bin = codex_binary()
    ws = _git_repo(tmp_path / "codex-ws")
    with ScriptedModelServer(_review_turns(ws)) as srv:
        flags = codex_config(srv.base_url)
        os.makedirs(tmp_path / "codex-home")
        config = CodexConfig(codex_bin=str(codex_bin), config_overrides=tuple(flags[1::2]), cwd=str(ws),
                             env={"CODEX_HOME": str(tmp_path / "codex-home"), "MOCK_API_KEY": "k"})
        real = _review_script(config, ws)
        real_requests = [r.body for r in srv.requests]
    ws = _git_repo(tmp_path / "py" / "ws")
    with ScriptedModelServer(_review_turns(ws)) as srv:
        home, _ = setup_home(tmp_path / "py", srv.base_url)
        ours = _review_script(sdk_config(home, ws, tmp_path / "tap"), ws)
        our_requests = [r.body for r in srv.requests]
    assert ours == real
    assert real["refused"] == -32600 and real["status"] == "completed"
    assert [kind for kind, _ in real["items"]] == ["enteredReviewMode", "exitedReviewMode", "agentMessage"]
    for requests in (real_requests, our_requests):
        assert len(requests) == 3
        assert _last_user_text(requests[0]) == _last_user_text(real_requests[0])
        assert any("Keep x" in t for t in _texts(requests[2]))
    sent, received = tapped(tmp_path / "tap")
    v2schema.check_all(sent, received)


def _texts(body: dict[str, Any]) -> list[str]:
    return [c["text"] for i in body["input"] if i.get("type") == "message" for c in i["content"] if "text" in c]


def _last_user_text(body: dict[str, Any]) -> str:
    return [c["text"] for i in body["input"] if i.get("type") == "message" and i["role"] == "user"
            for c in i["content"] if "text" in c][-1]
