"""review/start on `pycodex app-server`: real git repositories, the scripted model server, a
raw JSON-RPC client and OpenAI's SDK (which has no review method of its own: it is driven as
the SDK drives turn/start)."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

from pycodex.context.review_prompts import UNCOMMITTED_PROMPT
from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.app_server.harness import (
    RawClient,
    require_sdk,
    sdk_config,
    setup_home,
    start_review,
    tapped,
)
from tests.app_server.schema import V2Schema
from tests.e2e.helpers import input_texts

require_sdk()
from openai_codex.client import CodexClient  # noqa: E402


def make_repo(ws: Path) -> Path:
    """main with one commit ("Add x"), then an unstaged edit."""
    ws.mkdir(parents=True, exist_ok=True)
    for args in (["init", "-q", "-b", "main"], ["config", "user.email", "d@e"], ["config", "user.name", "D"]):
        subprocess.run(["git", "-C", str(ws), *args], check=True)
    (ws / "a.py").write_text("x = 1\n")
    subprocess.run(["git", "-C", str(ws), "add", "a.py"], check=True)
    subprocess.run(["git", "-C", str(ws), "commit", "-qm", "Add x"], check=True)
    (ws / "a.py").write_text("x = 2\n")
    return ws


def review_json(ws: Path) -> str:
    """The reviewer's answer: one finding on a.py."""
    finding = {"title": "[P1] Keep x", "body": "x must stay 1.", "confidence_score": 0.5, "priority": 1,
               "code_location": {"absolute_file_path": str(ws / "a.py"), "line_range": {"start": 1, "end": 1}}}
    return json.dumps({"findings": [finding], "overall_correctness": "patch is incorrect",
                       "overall_explanation": "x changed.", "overall_confidence_score": 0.5})


def rendered(ws: Path) -> str:
    """The review as Codex renders it."""
    return f"x changed.\n\nReview comment:\n\n- [P1] Keep x — {ws / 'a.py'}:1-1\n  x must stay 1."


def _review_turns(ws: Path) -> list[sc.Turn]:
    return [sc.turn(sc.function_call("exec_command", {"cmd": "git diff"}, "c1"), sc.completed()),
            sc.turn(sc.message(review_json(ws)), sc.completed()),
            sc.turn(sc.message("I will keep x"), sc.completed())]


def test_review_start_reviews_in_a_turn_and_reports_it_as_codex_does(
        tmp_path: Path, v2schema: V2Schema) -> None:
    with ScriptedModelServer(_review_turns(make_repo(tmp_path / "ws"))) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        c = RawClient(home, ws)
        try:
            c.initialize()
            tid = c.request("thread/start", {"cwd": str(ws), "approvalPolicy": "never",
                                             "sandbox": "danger-full-access"})["result"]["thread"]["id"]
            answer = c.request("review/start", {"threadId": tid, "target": {"type": "uncommittedChanges"},
                                                "delivery": "inline"})
            done = c.notification("turn/completed")
            c.request("turn/start", {"threadId": tid, "input": [{"type": "text", "text": "and now?"}]})
            c.notification("turn/completed")
            read = c.request("thread/read", {"threadId": tid, "includeTurns": True})["result"]["thread"]
        finally:
            c.close_stdin()
            assert c.wait() == 0
    result = answer["result"]
    turn_id = result["turn"]["id"]
    assert result["reviewThreadId"] == tid and result["turn"]["status"] == "inProgress"
    assert [i["type"] for i in result["turn"]["items"]] == ["userMessage"]
    assert result["turn"]["items"][0]["content"][0]["text"] == "current changes"
    # What the review turn sent, in order: the turn, the review's start, the reviewer's
    # command, the review's end with the rendered review, the review as the answer.
    msgs = c.messages()
    reply_at = next(i for i, m in enumerate(msgs) if m.get("id") == answer["id"] and "result" in m)
    turn_msgs = [m for m in msgs if m.get("params", {}).get("turnId") == turn_id
                 or m.get("params", {}).get("turn", {}).get("id") == turn_id]
    assert msgs.index(turn_msgs[0]) > reply_at  # nothing of the turn before the reply
    completed = [m["params"]["item"] for m in turn_msgs if m["method"] == "item/completed"]
    assert [i["type"] for i in completed] == ["enteredReviewMode", "commandExecution", "exitedReviewMode",
                                              "agentMessage"]
    assert completed[0]["review"] == "current changes"
    assert completed[2]["review"] == completed[3]["text"] == rendered(ws)
    assert done["params"]["turn"]["id"] == turn_id and done["params"]["turn"]["status"] == "completed"
    # The reviewer saw the request alone; the next turn sees the review, not the request.
    assert input_texts(srv.requests[0].body)[-1] == UNCOMMITTED_PROMPT
    later = input_texts(srv.requests[2].body)
    assert rendered(ws) in later and UNCOMMITTED_PROMPT not in later
    # Read back from the rollout: the review turn keeps its start, end and answer.
    review_turn = next(t for t in read["turns"] if t["id"] == turn_id)
    kinds = [i["type"] for i in review_turn["items"]]
    assert kinds[0] == "enteredReviewMode" and kinds[-2:] == ["exitedReviewMode", "agentMessage"]
    assert review_turn["items"][-2]["review"] == rendered(ws)
    v2schema.check_all(c.sent, msgs)


def test_bad_targets_are_json_rpc_errors_and_the_thread_goes_on(tmp_path: Path, v2schema: V2Schema) -> None:
    """Bad input tried: a workspace that is no git repository, an unknown branch, a branch name
    that looks like an option, an unknown commit, blank instructions, no target, an unknown
    target type, a branch that is not a string, `detached` delivery, an unknown thread. Each is
    one JSON-RPC error line; nothing reaches the model; the thread still answers a turn."""
    with ScriptedModelServer([sc.turn(sc.message("still here"), sc.completed())]) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        repo = make_repo(tmp_path / "repo")
        c = RawClient(home, ws)
        try:
            c.initialize()
            plain = c.request("thread/start", {"cwd": str(ws)})["result"]["thread"]["id"]
            tid = c.request("thread/start", {"cwd": str(repo)})["result"]["thread"]["id"]
            bad: list[tuple[str, Any]] = [
                (plain, {"target": {"type": "uncommittedChanges"}}),
                (tid, {"target": {"type": "baseBranch", "branch": "no-such-branch"}}),
                (tid, {"target": {"type": "baseBranch", "branch": "--output=stolen.txt"}}),
                (tid, {"target": {"type": "commit", "sha": "deadbeef"}}),
                (tid, {"target": {"type": "custom", "instructions": "   "}}),
                (tid, {}),
                (tid, {"target": {"type": "pullRequest", "number": 3}}),
                (tid, {"target": {"type": "baseBranch", "branch": 7}}),
                (tid, {"target": {"type": "uncommittedChanges"}, "delivery": "detached"}),
                ("no-such-thread", {"target": {"type": "uncommittedChanges"}}),
            ]
            errors = [c.request("review/start", {"threadId": thread, **params}).get("error")
                      for thread, params in bad]
            c.request("turn/start", {"threadId": tid, "input": [{"type": "text", "text": "are you there?"}]})
            done = c.notification("turn/completed")
        finally:
            c.close_stdin()
            code = c.wait()
    assert code == 0 and "Traceback" not in c.stderr()
    assert all(e is not None and "\n" not in e["message"] for e in errors), errors
    codes = [e["code"] for e in errors]
    assert codes == [-32600] * 5 + [-32602] * 4 + [-32600]
    messages = [e["message"] for e in errors]
    assert messages[0].startswith("cannot review: not a git repository: ")
    assert messages[1].startswith("cannot review: unknown branch 'no-such-branch'")
    assert "unknown branch '--output=stolen.txt'" in messages[2]
    assert messages[3].startswith("cannot review: unknown commit 'deadbeef'")
    assert messages[4] == "cannot review: the review instructions are empty"
    assert messages[5].startswith("invalid params: target")
    assert "delivery" in messages[8] and "no-such-thread" in messages[9]
    assert len(srv.requests) == 1 and input_texts(srv.requests[0].body)[-1] == "are you there?"
    assert done["params"]["turn"]["status"] == "completed"
    assert not (repo / "stolen.txt").exists()
    v2schema.check_all(c.sent, c.messages())


def test_the_sdk_reads_a_review_and_its_items(tmp_path: Path, v2schema: V2Schema) -> None:
    """A commit review through the SDK: its typed items and final response."""
    ws = make_repo(tmp_path / "ws")
    sha = subprocess.run(["git", "-C", str(ws), "rev-parse", "HEAD"], capture_output=True, text=True,
                         check=True).stdout.strip()
    turns = [sc.turn(sc.message(review_json(ws)), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        home, _ = setup_home(tmp_path, srv.base_url)
        with CodexClient(sdk_config(home, ws, tmp_path / "tap")) as client:
            client.initialize()
            thread = client.thread_start({"cwd": str(ws), "approvalPolicy": "never"}).thread
            result = start_review(client, thread.id, {"type": "commit", "sha": sha[:10]}).run()
    assert result.status.value == "completed"
    assert result.final_response == rendered(ws)
    items = [i.root for i in result.items]
    assert [i.type for i in items] == ["enteredReviewMode", "exitedReviewMode", "agentMessage"]
    assert items[0].review == f"commit {sha[:7]}: Add x"
    assert items[1].review == rendered(ws)
    assert f'commit {sha} ("Add x")' in input_texts(srv.requests[0].body)[-1]
    v2schema.check_all(*tapped(tmp_path / "tap"))


def test_a_review_replaces_a_running_turn_and_can_be_interrupted(tmp_path: Path, v2schema: V2Schema) -> None:
    """As in Codex: review/start while a turn runs ends that turn (`interrupted`); interrupting
    the review ends it with no findings, and the thread answers the next turn."""
    turns = [sc.turn(sc.text_deltas("working", n=1)[:-1], sc.stall()), sc.turn(sc.stall()),
             sc.turn(sc.message("back"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        home, _ = setup_home(tmp_path, srv.base_url)
        ws = make_repo(tmp_path / "repo")
        c = RawClient(home, ws)
        try:
            c.initialize()
            tid = c.request("thread/start", {"cwd": str(ws)})["result"]["thread"]["id"]
            first = c.request("turn/start", {"threadId": tid, "input": [{"type": "text", "text": "go"}]})
            c.notification("item/agentMessage/delta")
            review = c.request("review/start", {"threadId": tid, "target": {"type": "uncommittedChanges"}})
            replaced = c.notification("turn/completed")
            review_id = review["result"]["turn"]["id"]
            c.wait_for(lambda m: m.get("method") == "item/completed"
                       and m["params"]["item"]["type"] == "enteredReviewMode")
            deadline = time.monotonic() + 10
            while len(srv.requests) < 2:  # until the reviewer's request is in flight
                assert time.monotonic() < deadline, "the reviewer never asked the model"
                time.sleep(0.05)
            assert c.request("turn/interrupt", {"threadId": tid, "turnId": review_id}).get("result") == {}
            ended = c.notification("turn/completed")
            c.request("turn/start", {"threadId": tid, "input": [{"type": "text", "text": "hello"}]})
            after = c.notification("turn/completed")
        finally:
            c.close_stdin()
            assert c.wait() == 0
    assert replaced["params"]["turn"]["id"] == first["result"]["turn"]["id"]
    assert replaced["params"]["turn"]["status"] == "interrupted"
    assert ended["params"]["turn"]["id"] == review_id and ended["params"]["turn"]["status"] == "interrupted"
    exited = [m["params"]["item"] for m in c.messages() if m.get("method") == "item/completed"
              and m["params"]["item"]["type"] == "exitedReviewMode"]
    assert [e["review"] for e in exited] == ["Reviewer failed to output a response."]
    assert after["params"]["turn"]["status"] == "completed"
    assert "None." in " ".join(input_texts(srv.requests[2].body))  # the unfinished review's summary
    v2schema.check_all(c.sent, c.messages())
