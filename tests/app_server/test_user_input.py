"""The model's questions to the user (`request_user_input`) as Codex's v2 server request
`item/tool/requestUserInput`: answered through the SDK's handler; an error answer, a garbage
answer or a client that goes away counts as no answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.app_server.harness import RawClient, require_sdk, sdk_config, setup_home, tapped
from tests.app_server.schema import V2Schema

require_sdk()
from openai_codex.client import CodexClient  # noqa: E402

QUESTIONS = {"questions": [{"id": "color", "header": "Color", "question": "Which color?",
                            "options": [{"label": "red", "description": "warm"},
                                        {"label": "blue", "description": "cool"}]}]}
NO_USER = "no user is available"


def _ask(call_id: str) -> sc.Turn:
    return sc.turn(sc.function_call("request_user_input", QUESTIONS, call_id), sc.completed())


def _output(body: dict[str, Any], call_id: str) -> str:
    return next(str(i["output"]) for i in body["input"]
                if i.get("type") == "function_call_output" and i.get("call_id") == call_id)


def test_questions_reach_the_sdk_handler_and_its_answers_reach_the_model(
        tmp_path: Path, v2schema: V2Schema) -> None:
    """The first answer is a real one; the second is garbage (answers that are not lists of
    text), which counts as no answer: the model is told nobody could answer."""
    tap = tmp_path / "tap"
    asked: list[tuple[str, dict[str, Any] | None]] = []
    replies = iter([{"answers": {"color": {"answers": ["blue"]}}}, {"answers": {"color": "blue!"}}])

    def handler(method: str, params: dict[str, Any] | None) -> dict[str, Any]:
        asked.append((method, params))
        return next(replies)

    turns = [_ask("q1"), sc.turn(sc.message("blue it is"), sc.completed()),
             _ask("q2"), sc.turn(sc.message("I chose red"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        with CodexClient(sdk_config(home, ws, tap), approval_handler=handler) as client:
            client.initialize()
            thread = client.thread_start({"cwd": str(ws), "approvalPolicy": "never",
                                          "sandbox": "danger-full-access"}).thread
            first = client.turn_start(thread.id, "pick a color")
            client.wait_for_turn_completed(first.turn.id)
            second = client.turn_start(thread.id, "pick again")
            client.wait_for_turn_completed(second.turn.id)
    assert [m for m, _ in asked] == ["item/tool/requestUserInput"] * 2
    params = asked[0][1]
    assert params is not None
    assert (params["threadId"], params["turnId"], params["itemId"]) == (thread.id, first.turn.id, "q1")
    assert params["questions"][0]["isOther"] is True and params["isBlocking"] is False
    assert json.loads(_output(srv.requests[1].body, "q1")) == {"answers": {"color": {"answers": ["blue"]}}}
    assert NO_USER in _output(srv.requests[3].body, "q2")
    sent, received = tapped(tap)
    flags = [m["params"]["status"].get("activeFlags") for m in received
             if m.get("method") == "thread/status/changed"]
    assert ["waitingOnUserInput"] in flags
    resolved = [m for m in received if m.get("method") == "serverRequest/resolved"]
    assert len(resolved) == 2
    v2schema.check_all(sent, received)


def test_an_error_answer_or_a_client_that_leaves_is_no_answer(tmp_path: Path, v2schema: V2Schema) -> None:
    """Bad input tried: the client answers the question with a JSON-RPC error, then leaves
    (stdin closed) while the next question waits; the server ends cleanly, the turn aborted."""
    turns = [_ask("q1"), sc.turn(sc.message("going on without you"), sc.completed()), _ask("q2")]
    with ScriptedModelServer(turns) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        c = RawClient(home, ws)
        try:
            c.initialize()
            thread = c.request("thread/start", {"cwd": str(ws), "approvalPolicy": "never"})["result"]["thread"]
            c.request("turn/start", {"threadId": thread["id"], "input": [{"type": "text", "text": "ask me"}]})
            ask = c.wait_for(lambda m: m.get("method") == "item/tool/requestUserInput")
            c.send({"id": ask["id"], "error": {"code": -1, "message": "the user closed the dialog"}})
            c.notification("turn/completed")
            c.request("turn/start", {"threadId": thread["id"], "input": [{"type": "text", "text": "again"}]})
            c.wait_for(lambda m: m.get("method") == "item/tool/requestUserInput")
        finally:
            c.close_stdin()
            code = c.wait()
    assert code == 0
    assert NO_USER in _output(srv.requests[1].body, "q1")
    assert "Traceback" not in c.stderr()
    rollout = Path(thread["path"]).read_text()
    assert '"turn_aborted"' in rollout  # the waiting turn was ended, its rollout intact
    v2schema.check_all(c.sent, c.messages())
