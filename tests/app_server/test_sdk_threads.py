"""Threads through the official SDK: resume in a new server, read with turns, list, fork,
archive, names and compaction; the same threads as `pycodex exec` and `pycodex sessions`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.app_server.harness import require_sdk, sdk_config, server_env, setup_home, tapped
from tests.app_server.schema import V2Schema
from tests.e2e.helpers import input_texts, run_exec

require_sdk()
from openai_codex import Codex  # noqa: E402
from openai_codex.api import ApprovalMode, Sandbox  # noqa: E402


def _start(codex: Any, ws: Path) -> Any:
    return codex.thread_start(cwd=str(ws), sandbox=Sandbox.full_access, approval_mode=ApprovalMode.deny_all)


def _answers(*texts: str) -> list[sc.Turn]:
    return [sc.turn(sc.message(t), sc.completed()) for t in texts]


def test_resume_in_a_new_server_and_read_turns(tmp_path: Path, v2schema: V2Schema) -> None:
    tap = tmp_path / "tap"
    turns = [sc.turn(sc.function_call("exec_command", {"cmd": "echo one"}, "c1"), sc.completed()),
             *_answers("first answer", "second answer", "third answer")]
    with ScriptedModelServer(turns) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        with Codex(sdk_config(home, ws, tap)) as codex:
            thread = _start(codex, ws)
            first = thread.run("first prompt")
            thread.run("second prompt")
            thread_id = thread.id
        with Codex(sdk_config(home, ws, tap)) as codex:  # a new app-server process
            resumed = codex.thread_resume(thread_id)
            read = resumed.read(include_turns=True)
            third = resumed.run("third prompt")
    assert resumed.id == thread_id
    t = read.thread
    assert t.id == thread_id and t.preview == "first prompt" and t.path
    assert [turn.status.value for turn in t.turns] == ["completed", "completed"]
    assert [i.root.type for i in t.turns[0].items] == ["userMessage", "commandExecution", "agentMessage"]
    command = t.turns[0].items[1].root
    assert command.exit_code == 0 and command.aggregated_output == "one\n" and command.id == "c1"
    # A turn's id is the same live and read back.
    assert t.turns[0].id == first.id
    assert third.final_response == "third answer"
    assert {"first prompt", "second prompt"} <= set(input_texts(srv.requests[-1].body_json))
    sent, received = tapped(tap)
    v2schema.check_all(sent, received)


def test_app_server_exec_and_sessions_share_threads(tmp_path: Path) -> None:
    """A thread started by the app-server resumes with `pycodex exec resume ID` and shows in
    `pycodex sessions list`; a session of `pycodex exec` shows in thread/list and resumes."""
    with ScriptedModelServer(_answers("from app-server", "from exec", "exec session", "back in app-server")) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        with Codex(sdk_config(home, ws, tmp_path / "tap")) as codex:
            thread = _start(codex, ws)
            thread.run("hello from the sdk")
        resumed = run_exec(home, ws, "resume", thread.id, "and from exec")
        assert resumed.code == 0, resumed.stderr
        assert "hello from the sdk" in input_texts(srv.requests[1].body_json)
        listed = subprocess.run([sys.executable, "-m", "pycodex.cli.main", "sessions", "list", "--json"],
                                capture_output=True, text=True, env=server_env(home), check=True)
        ids = [json.loads(line).get("thread_id") for line in listed.stdout.splitlines()]
        assert thread.id in ids
        fresh = run_exec(home, ws, "an exec session")
        exec_id = next(e["thread_id"] for e in fresh.events() if e["type"] == "thread.started")
        with Codex(sdk_config(home, ws, tmp_path / "tap")) as codex:
            listing = codex.thread_list()
            by_id = {t.id: t for t in listing.data}
            assert set(by_id) == {thread.id, exec_id}
            assert by_id[exec_id].source.root.value == "exec"
            assert by_id[thread.id].source.root.value == "vscode"
            back = codex.thread_resume(exec_id).run("continue the exec session")
    assert back.final_response == "back in app-server"
    assert "an exec session" in input_texts(srv.requests[-1].body_json)


def test_thread_list_pages_and_filters(tmp_path: Path, v2schema: V2Schema) -> None:
    tap = tmp_path / "tap"
    other = tmp_path / "other"
    other.mkdir()
    with ScriptedModelServer(_answers("a", "b", "c")) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        with Codex(sdk_config(home, ws, tap)) as codex:
            ids = []
            for prompt, cwd in (("apples", ws), ("bananas", ws), ("cherries", other)):
                thread = codex.thread_start(cwd=str(cwd), approval_mode=ApprovalMode.deny_all)
                thread.run(prompt)
                ids.append(thread.id)
            page1 = codex.thread_list(limit=2)
            page2 = codex.thread_list(limit=2, cursor=page1.next_cursor)
            by_cwd = codex.thread_list(cwd=str(other))
            by_text = codex.thread_list(search_term="bananas")
            by_provider = codex.thread_list(model_providers=["nope"])
            oldest_first = codex.thread_list(sort_direction="asc", sort_key="created_at")
            bad_cursor = None
            try:
                codex.thread_list(cursor="garbage!")
            except Exception as e:  # bad input: a cursor this server never gave
                bad_cursor = str(e)
    listed = [t.id for t in page1.data] + [t.id for t in page2.data]
    assert listed == list(reversed(ids)) and page1.next_cursor and page2.next_cursor is None
    assert [t.id for t in by_cwd.data] == [ids[2]]
    assert [t.id for t in by_text.data] == [ids[1]]
    assert by_provider.data == []
    assert [t.id for t in oldest_first.data] == ids
    assert bad_cursor is not None and "cursor" in bad_cursor
    sent, received = tapped(tap)
    v2schema.check_all(sent, received)


def test_fork_copies_history_up_to_a_turn(tmp_path: Path, v2schema: V2Schema) -> None:
    tap = tmp_path / "tap"
    with ScriptedModelServer(_answers("one", "two", "fork answer", "cut answer")) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        with Codex(sdk_config(home, ws, tap)) as codex:
            source = _start(codex, ws)
            first = source.run("first prompt")
            source.run("second prompt")
            fork = codex.thread_fork(source.id)
            fork_answer = fork.run("in the fork")
            cut = codex._client.thread_fork(source.id, {"lastTurnId": first.id})
            Codex_thread = codex.thread_resume(cut.thread.id)
            Codex_thread.run("after the first turn only")
            fork_read = fork.read(include_turns=True)
            source_read = source.read(include_turns=True)
    assert fork.id != source.id and fork_answer.final_response == "fork answer"
    assert fork_read.thread.forked_from_id == source.id
    assert len(fork_read.thread.turns) == 3 and len(source_read.thread.turns) == 2
    fork_input = input_texts(srv.requests[2].body_json)
    assert "first prompt" in fork_input and "second prompt" in fork_input
    cut_input = input_texts(srv.requests[3].body_json)
    assert "first prompt" in cut_input and "second prompt" not in cut_input
    sent, received = tapped(tap)
    v2schema.check_all(sent, received)


def test_archive_unarchive_and_names_persist(tmp_path: Path, v2schema: V2Schema) -> None:
    tap = tmp_path / "tap"
    with ScriptedModelServer(_answers("kept", "archived")) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        with Codex(sdk_config(home, ws, tap)) as codex:
            keep, gone = _start(codex, ws), _start(codex, ws)
            keep.run("keep me")
            gone.run("archive me")
            keep.set_name("my kept thread")
            path = Path(gone.read().thread.path or "")
            codex.thread_archive(gone.id)
            listed_after_archive = [t.id for t in codex.thread_list().data]
            archived_list = [t.id for t in codex.thread_list(archived=True).data]
        archived_file = home / "archived_sessions" / path.name
        assert archived_file.exists() and not path.exists()
        sessions = subprocess.run([sys.executable, "-m", "pycodex.cli.main", "sessions", "list", "--json"],
                                  capture_output=True, text=True, env=server_env(home), check=True).stdout
        with Codex(sdk_config(home, ws, tap)) as codex:  # names survive the process
            names = {t.id: t.name for t in codex.thread_list().data}
            back = codex.thread_unarchive(gone.id)
            listed_after_unarchive = {t.id for t in codex.thread_list().data}
    assert listed_after_archive == [keep.id] and archived_list == [gone.id]
    assert gone.id not in sessions
    assert names == {keep.id: "my kept thread"}
    assert back.id == gone.id and listed_after_unarchive == {keep.id, gone.id}
    assert not archived_file.exists()
    lines = [json.loads(x) for x in (home / "session_index.jsonl").read_text().splitlines()]
    assert lines[-1]["id"] == keep.id and lines[-1]["thread_name"] == "my kept thread"
    sent, received = tapped(tap)
    v2schema.check_all(sent, received)
    methods = [m.get("method") for m in received]
    assert {"thread/archived", "thread/unarchived", "thread/name/updated"} <= set(methods)


def test_compact_runs_a_turn_and_replaces_the_history(tmp_path: Path, v2schema: V2Schema) -> None:
    tap = tmp_path / "tap"
    turns = _answers("long answer", "SUMMARY OF THE THREAD", "after compaction")
    with ScriptedModelServer(turns) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        with Codex(sdk_config(home, ws, tap)) as codex:
            thread = _start(codex, ws)
            thread.run("a long conversation")
            assert thread.compact().model_dump() == {}
            srv.wait_for_requests(2)
            after = thread.run("what now?")
            turns_read = thread.read(include_turns=True).thread.turns
    assert after.final_response == "after compaction"
    assert "SUMMARY OF THE THREAD" in "\n".join(input_texts(srv.requests[2].body_json))
    assert any(i.root.type == "contextCompaction" for i in turns_read[1].items)
    sent, received = tapped(tap)
    v2schema.check_all(sent, received)
    compaction = [m for m in received if m.get("method") == "item/completed"
                  and m["params"]["item"]["type"] == "contextCompaction"]
    assert len(compaction) == 1
