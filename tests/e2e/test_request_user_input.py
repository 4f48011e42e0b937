"""request_user_input: the model asks the person, and never waits for nobody.

Real conversations against the scripted model server: the question reaches the client as a
`request_user_input` event and its `user_input_answer` op goes back to the model as Codex's JSON;
`Conversation.run` answers through its `answer` handler (or at once, saying no user is
available); `pycodex exec` refuses at once and finishes; an interrupt never waits on a question;
malformed questions are told to the model in one line.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from pycodex.config.config import CliOverrides, load_config
from pycodex.protocol import events as ev
from pycodex.protocol import ops
from pycodex.protocol.inputs import TextInput
from pycodex.protocol.json import dump_event_msg, submission_adapter
from pycodex.session.conversation import NO_ANSWERER, Conversation, ConversationManager
from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import run_exec, write_config

COLOR = {"id": "color", "header": "Color", "question": "Which color should the button be?",
         "options": [{"label": "Blue (Recommended)", "description": "Matches the theme."},
                     {"label": "Red", "description": "Stands out."}]}
SIZE = {"id": "size", "header": "Size", "question": "How big?",
        "options": [{"label": "Small", "description": "Fits the toolbar."},
                    {"label": "Large", "description": "Easier to hit."}]}


def _ask(*questions: dict[str, Any], call_id: str = "q1") -> list[sc.Turn]:
    return [sc.turn(sc.function_call("request_user_input", {"questions": list(questions)}, call_id),
                    sc.completed()),
            sc.turn(sc.message("thanks"), sc.completed())]


def _outputs(srv: ScriptedModelServer, n: int) -> dict[str, str]:
    return {i["call_id"]: i["output"] for i in srv.requests[n].body["input"]
            if i["type"] == "function_call_output"}


async def _conversation(tmp_path: Path, srv: ScriptedModelServer, write: bool = True) -> Conversation:
    ws, home = tmp_path / "ws", tmp_path / "home"
    ws.mkdir(parents=True, exist_ok=True)
    if write:
        write_config(home, srv.base_url)
    cfg = load_config(CliOverrides(cwd=ws), home=home,
                      env={"MOCK_API_KEY": "k", "PATH": os.environ["PATH"], "HOME": str(tmp_path)})
    return await ConversationManager().new_conversation(cfg)


async def _events_until_turn_ends(conv: Conversation) -> AsyncIterator[ev.Event]:
    while True:
        e = await asyncio.wait_for(conv.next_event(), 30)  # a hang fails here, not at the suite timeout
        yield e
        if isinstance(e.msg, ev.TaskComplete | ev.TurnAborted):
            return


async def test_tool_is_offered_to_gpt_5_5_where_codex_puts_it(tmp_path: Path) -> None:
    with ScriptedModelServer([sc.turn(sc.message("hi"), sc.completed())]) as srv:
        # update_plan is off by default (as in Codex); turned on, it comes first.
        write_config(tmp_path / "home", srv.base_url, extra="[tools.update_plan]\nenabled = true\n")
        conv = await _conversation(tmp_path, srv, write=False)
        try:
            await conv.run("hello")
        finally:
            await conv.shutdown()
    names = [t.get("name") for t in srv.requests[0].body["tools"]]
    assert names.index("update_plan") < names.index("request_user_input") < names.index("apply_patch")
    spec = next(t for t in srv.requests[0].body["tools"] if t.get("name") == "request_user_input")
    question = spec["parameters"]["properties"]["questions"]["items"]
    assert question["required"] == ["id", "header", "question", "options"]
    assert question["properties"]["options"]["items"]["required"] == ["label", "description"]


async def test_question_answered_through_the_op(tmp_path: Path) -> None:
    """The interactive path: the event out, Codex's `user_input_answer` JSON in."""
    with ScriptedModelServer(_ask(COLOR, SIZE)) as srv:
        conv = await _conversation(tmp_path, srv)
        asked: list[ev.Event] = []
        try:
            turn = await conv.submit(ops.UserInput(items=[TextInput(text="make a button")]))
            async for e in _events_until_turn_ends(conv):
                if isinstance(e.msg, ev.RequestUserInputEvent):
                    asked.append(e)
                    raw = {"id": "a1", "op": {"type": "user_input_answer", "id": e.msg.turn_id, "response": {
                        "answers": {"color": {"answers": ["Red"]}, "size": {"answers": ["Small", "user_note: tiny"]}}}}}
                    await conv.submit(submission_adapter().validate_python(raw).op)
                last = e.msg
        finally:
            await conv.shutdown()
    assert isinstance(last, ev.TaskComplete) and last.last_agent_message == "thanks"
    [e] = asked
    assert e.id == turn and e.msg.turn_id == turn and e.msg.call_id == "q1"
    wire = dump_event_msg(e.msg)
    assert wire["type"] == "request_user_input"
    assert wire["questions"][0] == {**COLOR, "isOther": True, "isSecret": False}
    assert json.loads(_outputs(srv, 1)["q1"]) == {
        "answers": {"color": {"answers": ["Red"]}, "size": {"answers": ["Small", "user_note: tiny"]}}}
    assert " " not in _outputs(srv, 1)["q1"].replace("user_note: tiny", "")  # compact, as Codex writes it


async def test_answer_for_no_waiting_question_is_ignored(tmp_path: Path) -> None:
    """Bad input tried: an answer op for a turn that asked nothing, and one for an unknown id."""
    with ScriptedModelServer(_ask(COLOR)) as srv:
        conv = await _conversation(tmp_path, srv)
        try:
            stray = ops.RequestUserInputResponse(answers={"color": ops.RequestUserInputAnswer(answers=["Blue"])})
            await conv.submit(ops.UserInputAnswer(id="no-such-turn", response=stray))
            await conv.submit(ops.UserInput(items=[TextInput(text="go")]))
            async for e in _events_until_turn_ends(conv):
                if isinstance(e.msg, ev.RequestUserInputEvent):
                    await conv.submit(ops.UserInputAnswer(id="wrong-turn", response=stray))
                    await conv.submit(ops.UserInputAnswer(id=e.msg.turn_id, response=ops.RequestUserInputResponse(
                        answers={"color": ops.RequestUserInputAnswer(answers=["Red"])})))
                last = e.msg
        finally:
            await conv.shutdown()
    assert isinstance(last, ev.TaskComplete)
    assert json.loads(_outputs(srv, 1)["q1"]) == {"answers": {"color": {"answers": ["Red"]}}}


async def test_run_asks_a_sync_answer_handler(tmp_path: Path) -> None:
    seen: list[list[ev.RequestUserInputQuestion]] = []

    def answer(questions: list[ev.RequestUserInputQuestion]) -> dict[str, str | list[str]]:
        seen.append(questions)
        return {"color": questions[0].options[1].label if questions[0].options else "", "size": ["Large"]}

    with ScriptedModelServer(_ask(COLOR, SIZE)) as srv:
        conv = await _conversation(tmp_path, srv)
        try:
            result = await asyncio.wait_for(conv.run("make a button", answer=answer), 30)
        finally:
            await conv.shutdown()
    assert [q.id for q in seen[0]] == ["color", "size"] and seen[0][0].question == COLOR["question"]
    assert result.final_message == "thanks"
    assert json.loads(_outputs(srv, 1)["q1"]) == {
        "answers": {"color": {"answers": ["Red"]}, "size": {"answers": ["Large"]}}}
    [outcome] = result.questions
    assert outcome.request.call_id == "q1" and outcome.note is None
    assert outcome.response.answers["size"].answers == ["Large"]


async def test_run_asks_an_async_answer_handler(tmp_path: Path) -> None:
    async def answer(questions: list[ev.RequestUserInputQuestion]) -> ops.RequestUserInputResponse:
        await asyncio.sleep(0.05)  # a person taking their time
        return ops.RequestUserInputResponse(answers={"color": ops.RequestUserInputAnswer(answers=["Blue (Recommended)"])})

    with ScriptedModelServer(_ask(COLOR)) as srv:
        conv = await _conversation(tmp_path, srv)
        try:
            result = await asyncio.wait_for(conv.run("make a button", answer=answer), 30)
        finally:
            await conv.shutdown()
    assert _outputs(srv, 1)["q1"] == '{"answers":{"color":{"answers":["Blue (Recommended)"]}}}'
    assert result.final_message == "thanks" and result.questions[0].note is None


async def test_run_without_a_handler_answers_at_once_that_no_user_is_available(tmp_path: Path) -> None:
    with ScriptedModelServer(_ask(COLOR)) as srv:
        conv = await _conversation(tmp_path, srv)
        try:
            result = await asyncio.wait_for(conv.run("make a button"), 30)  # never waits for nobody
        finally:
            await conv.shutdown()
    told = _outputs(srv, 1)["q1"]
    assert "no user is available" in told and "\n" not in told
    assert result.final_message == "thanks"
    [outcome] = result.questions
    assert outcome.note == NO_ANSWERER and outcome.response.answers == {}


@pytest.mark.parametrize("handler", ["raises", "returns junk"])
async def test_a_broken_answer_handler_means_no_answers_and_says_why(tmp_path: Path, handler: str) -> None:
    """Bad input tried: a handler that raises, and one that returns a number instead of answers."""
    def answer(questions: list[ev.RequestUserInputQuestion]) -> Any:
        if handler == "raises":
            raise RuntimeError("handler bug")
        return 42

    with ScriptedModelServer(_ask(COLOR)) as srv:
        conv = await _conversation(tmp_path, srv)
        try:
            result = await asyncio.wait_for(conv.run("make a button", answer=answer), 30)
        finally:
            await conv.shutdown()
    assert "no user is available" in _outputs(srv, 1)["q1"] and result.final_message == "thanks"
    note = result.questions[0].note or ""
    assert ("handler bug" in note) if handler == "raises" else ("42" in note)


def test_exec_refuses_at_once_and_finishes(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    with ScriptedModelServer(_ask(COLOR)) as srv:
        write_config(tmp_path / "home", srv.base_url)
        run = run_exec(tmp_path / "home", ws, "make a button", timeout=30)  # no user: must not wait
    assert run.code == 0, run.stderr
    told = _outputs(srv, 1)["q1"]
    assert "no user is available" in told
    # As Codex's exec: nothing is printed for the call itself.
    assert [e["item"]["type"] for e in run.events() if "item" in e] == ["agent_message"]
    assert run.items("agent_message")[-1]["text"] == "thanks"


async def test_interrupt_while_a_question_waits(tmp_path: Path) -> None:
    turns = [*_ask(COLOR)[:1], sc.turn(sc.message("next turn"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        conv = await _conversation(tmp_path, srv)
        try:
            turn = await conv.submit(ops.UserInput(items=[TextInput(text="ask me")]))
            async for e in _events_until_turn_ends(conv):
                if isinstance(e.msg, ev.RequestUserInputEvent):
                    await conv.submit(ops.Interrupt())
                last = e
            # An answer that arrives after the turn ended reaches nobody and breaks nothing.
            await conv.submit(ops.UserInputAnswer(id=turn, response=ops.RequestUserInputResponse(answers={})))
            result = await asyncio.wait_for(conv.run("go on"), 30)
        finally:
            await conv.shutdown()
    assert last.id == turn and isinstance(last.msg, ev.TurnAborted)
    assert last.msg.reason is ev.TurnAbortReason.INTERRUPTED
    assert result.final_message == "next turn"
    assert _outputs(srv, 1)["q1"] == "aborted"  # the unanswered call is closed in the history


async def test_malformed_questions_are_told_to_the_model(tmp_path: Path) -> None:
    """Bad input tried: arguments that are not JSON, questions that are not a list, no questions,
    a question without options, one with empty options, one without its text, and two questions
    sharing an id. Each gets a one-line error, nobody is asked, and the turn goes on."""
    bad = {
        "b1": "{not json",
        "b2": {"questions": "Which color?"},
        "b3": {"questions": []},
        "b4": {"questions": [{k: v for k, v in COLOR.items() if k != "options"}]},
        "b5": {"questions": [{**COLOR, "options": []}]},
        "b6": {"questions": [{k: v for k, v in COLOR.items() if k != "question"}]},
        "b7": {"questions": [COLOR, {**SIZE, "id": "color"}]},
    }
    calls = [sc.function_call("request_user_input", args, cid) for cid, args in bad.items()]
    turns = [sc.turn(*calls, sc.completed()), sc.turn(sc.message("fine"), sc.completed())]
    asked: list[Any] = []
    with ScriptedModelServer(turns) as srv:
        conv = await _conversation(tmp_path, srv)
        try:
            result = await asyncio.wait_for(conv.run("go", answer=asked.append), 30)
        finally:
            await conv.shutdown()
    told = _outputs(srv, 1)
    assert not asked and not result.questions and result.final_message == "fine"
    assert all("\n" not in t and "Traceback" not in t for t in told.values()), told
    assert told["b1"].startswith("failed to parse function arguments:")
    assert told["b2"].startswith("failed to parse function arguments: questions")
    assert told["b3"].startswith("failed to parse function arguments: questions")
    assert told["b4"] == told["b5"] == "request_user_input requires non-empty options for every question"
    assert told["b6"].startswith("failed to parse function arguments: questions.0.question")
    assert "'color' is used twice" in told["b7"]
