"""Resume and fork end to end: real processes, real rollout files."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from pycodex.rollout.reader import load_rollout
from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import input_texts, run_exec, write_config

CODEX_CORPUS = Path(__file__).parents[1] / "rollout" / "corpus" / "codex-0.169"


def _rollouts(home: Path) -> list[Path]:
    return sorted((home / "sessions").rglob("rollout-*.jsonl"))


def test_resume_last_keeps_thread_history_and_file(tmp_path: Path) -> None:
    home, ws = tmp_path / "home", tmp_path
    turns = [sc.turn(sc.message("first answer"), sc.completed(input_tokens=100)),
             sc.turn(sc.message("second answer"), sc.completed(input_tokens=50))]
    with ScriptedModelServer(turns) as srv:
        write_config(home, srv.base_url)
        one = run_exec(home, ws, "first question")
        two = run_exec(home, ws, "resume", "--last", "second question")
    assert one.code == 0 and two.code == 0, two.stderr
    assert one.events()[0]["thread_id"] == two.events()[0]["thread_id"]
    texts = input_texts(srv.requests[1].body)
    assert texts.index("first question") < texts.index("first answer") < texts.index("second question")
    assert len(_rollouts(home)) == 1
    assert two.events()[-1]["usage"]["input_tokens"] == 150  # cumulative for the thread, as Codex


def test_resume_last_picks_the_newest_session_of_this_directory_as_codex(tmp_path: Path) -> None:
    """Wrong thread tried: `exec resume --last` in repo A continued repo B's newer session."""
    home, ws_a, ws_b, ws_c = tmp_path / "home", tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for ws in (ws_a, ws_b, ws_c):
        ws.mkdir()
    turns = [sc.turn(sc.message(f"answer {i}"), sc.completed()) for i in range(4)]
    with ScriptedModelServer(turns) as srv:
        write_config(home, srv.base_url)
        in_a = run_exec(home, ws_a, "work in A").events()[0]["thread_id"]
        in_b = run_exec(home, ws_b, "work in B").events()[0]["thread_id"]
        again = run_exec(home, ws_a, "resume", "--last", "more in A")
        assert again.code == 0, again.stderr
        assert again.events()[0]["thread_id"] == in_a
        # --all: the newest session of any directory, here from C which has none.
        anywhere = run_exec(home, ws_c, "resume", "--last", "--all", "from C")
        assert anywhere.code == 0, anywhere.stderr
        assert anywhere.events()[0]["thread_id"] in (in_a, in_b)
        none_here = run_exec(home, ws_c, "resume", "--last", "x")
    assert in_a != in_b
    assert none_here.code == 1 and none_here.stdout == ""
    assert none_here.stderr.strip().splitlines() == [
        f"Error: no recorded session in {ws_c} to resume (--all: from any directory)"]
    assert "more in A" in input_texts(srv.requests[2].body) and "work in B" not in input_texts(srv.requests[2].body)


def test_resume_by_id_with_prompt_on_stdin_like_the_sdk(tmp_path: Path) -> None:
    home, ws = tmp_path / "home", tmp_path
    turns = [sc.turn(sc.message("a1"), sc.completed()), sc.turn(sc.message("a2"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        write_config(home, srv.base_url)
        one = run_exec(home, ws, "q1")
        thread = one.events()[0]["thread_id"]
        two = run_exec(home, ws, "resume", thread, stdin="q2 from stdin")
    assert two.code == 0, two.stderr
    assert "q1" in input_texts(srv.requests[1].body) and input_texts(srv.requests[1].body)[-1] == "q2 from stdin"


def test_resume_unknown_id_is_a_clear_error(tmp_path: Path) -> None:
    """Bad input tried: a thread id with no rollout."""
    write_config(tmp_path / "home", "http://127.0.0.1:9/v1")
    run = run_exec(tmp_path / "home", tmp_path, "resume", "0000dead-beef", "x")
    assert run.code == 1 and "no recorded session" in run.stderr


def test_resume_after_kill_9_during_a_command(tmp_path: Path) -> None:
    home, ws = tmp_path / "home", tmp_path / "ws"
    ws.mkdir()
    turns = [sc.turn(sc.function_call("exec_command", {"cmd": "sleep 600", "yield_time_ms": 30000}, "c1"), sc.completed()),
             sc.turn(sc.message("recovered"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        write_config(home, srv.base_url)
        env = {**os.environ, "PYCODEX_HOME": str(home), "MOCK_API_KEY": "k"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "pycodex.cli.main", "exec", "--json", "--skip-git-repo-check",
             "--dangerously-bypass-approvals-and-sandbox", "-C", str(ws), "run the long thing"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        assert proc.stdout is not None
        for line in proc.stdout:
            if json.loads(line)["type"] == "item.started":
                break
        time.sleep(0.3)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        loaded = load_rollout(_rollouts(home)[0])
        assert loaded.meta is not None
        run = run_exec(home, ws, "--dangerously-bypass-approvals-and-sandbox", "resume", "--last", "go on")
    assert run.code == 0, run.stderr
    body = srv.requests[1].body
    outputs = {i["call_id"]: i["output"] for i in body["input"] if i["type"] == "function_call_output"}
    assert outputs == {"c1": "aborted"}
    assert input_texts(body).count("run the long thing") == 1
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert "sleep 600" not in ps


def test_codex_written_rollout_resumes_in_pycodex(tmp_path: Path) -> None:
    home = tmp_path / "home"
    src = CODEX_CORPUS / "b_shell_echo.rollout.jsonl"
    meta = load_rollout(src).meta
    assert meta is not None
    day = home / "sessions" / "2026" / "11" / "23"
    day.mkdir(parents=True)
    shutil.copy(src, day / f"rollout-2026-11-23T22-33-49-{meta.id}.jsonl")
    with ScriptedModelServer([sc.turn(sc.message("continuing codex's thread"), sc.completed())]) as srv:
        write_config(home, srv.base_url)
        run = run_exec(home, tmp_path, "resume", meta.id, "what did you do?")
    assert run.code == 0, run.stderr
    assert run.events()[0]["thread_id"] == meta.id
    texts = input_texts(srv.requests[0].body)
    assert "Create out.txt containing hello and show it." in texts
    assert any("Process exited with code 0" in t for t in texts)
    assert texts[-1] == "what did you do?"


async def test_fork_starts_a_new_thread_with_the_earlier_history(tmp_path: Path) -> None:
    from pycodex.session.conversation import ConversationManager
    from tests.e2e.test_session import make_config

    turns = [sc.turn(sc.message("A1"), sc.completed()), sc.turn(sc.message("A2"), sc.completed()),
             sc.turn(sc.message("forked answer"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        cfg = make_config(tmp_path, srv.base_url)
        mgr = ConversationManager()
        conv = await mgr.new_conversation(cfg)
        await conv.run("Q1")
        await conv.run("Q2")
        await conv.shutdown()
        assert conv.rollout_path is not None
        fork = await mgr.fork_conversation(cfg, conv.rollout_path, 1)
        result = await fork.run("Q2 instead")
        await fork.shutdown()
    assert fork.id != conv.id and result.final_message == "forked answer"
    texts = input_texts(srv.requests[2].body)
    assert "Q1" in texts and "A1" in texts and "Q2" not in texts and texts[-1] == "Q2 instead"
    assert fork.rollout_path is not None and fork.rollout_path != conv.rollout_path


def test_exec_fork_by_id_starts_a_new_thread_and_leaves_the_original_alone(tmp_path: Path) -> None:
    """`exec fork SESSION_ID PROMPT`, as in Codex 0.169 (it was sent to the model as the prompt "fork")."""
    home, ws = tmp_path / "home", tmp_path
    turns = [sc.turn(sc.message("A1"), sc.completed(input_tokens=100)),
             sc.turn(sc.message("forked answer"), sc.completed(input_tokens=50))]
    with ScriptedModelServer(turns) as srv:
        write_config(home, srv.base_url)
        one = run_exec(home, ws, "Q1")
        original = one.events()[0]["thread_id"]
        before = _rollouts(home)[0].read_bytes()
        fork = run_exec(home, ws, "fork", original, "Q2 in the fork")
    assert fork.code == 0, fork.stderr
    new_id = fork.events()[0]["thread_id"]
    assert new_id != original and fork.items("agent_message")[0]["text"] == "forked answer"
    texts = input_texts(srv.requests[1].body)
    assert texts.index("Q1") < texts.index("A1") < texts.index("Q2 in the fork")
    assert fork.events()[-1]["usage"]["input_tokens"] == 150  # the history's usage comes along, as Codex
    files = _rollouts(home)
    assert len(files) == 2 and files[0].read_bytes() == before  # the original is untouched
    meta = load_rollout(next(f for f in files if new_id in f.name)).meta
    assert meta is not None and meta.id == new_id and meta.forked_from_id == original


def test_exec_fork_bad_input_is_one_line(tmp_path: Path) -> None:
    """Bad input tried: `exec fork` without an id, with `--last`, and with an unknown id."""
    write_config(tmp_path / "home", "http://127.0.0.1:9/v1")
    no_id = run_exec(tmp_path / "home", tmp_path, "fork")
    assert no_id.code == 2 and no_id.stderr.strip().splitlines()[-1] == "Error: fork needs a SESSION_ID"
    last = run_exec(tmp_path / "home", tmp_path, "fork", "--last", "x")
    assert last.code == 2 and last.stderr.strip().splitlines()[-1] == "Error: --last is an option of `exec resume`"
    unknown = run_exec(tmp_path / "home", tmp_path, "fork", "0000dead-beef", "x")
    assert unknown.code == 1 and unknown.stderr.strip().splitlines() == ["Error: no recorded session with id 0000dead-beef"]


def test_unwritable_home_fails_with_a_clear_error(tmp_path: Path) -> None:
    """Bad input tried: the sessions directory cannot be created (a file is in the way)."""
    home = tmp_path / "home"
    write_config(home, "http://127.0.0.1:9/v1")
    (home / "sessions").write_text("in the way")
    run = run_exec(home, tmp_path, "hello")
    assert run.code == 1 and "cannot open rollout file" in run.stderr


async def test_rollout_write_failure_mid_session_stops_it(tmp_path: Path) -> None:
    """Bad input tried: the disk fills up (writes hit /dev/full) while a session runs."""
    from pycodex.protocol import events as ev
    from pycodex.protocol import ops
    from pycodex.protocol.inputs import TextInput
    from pycodex.session.conversation import ConversationManager
    from tests.e2e.test_session import make_config, wait_for

    turns = [sc.turn(sc.message("first ok"), sc.completed()), sc.turn(sc.message("never sent"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        conv = await ConversationManager().new_conversation(make_config(tmp_path, srv.base_url))
        assert (await conv.run("one")).final_message == "first ok"
        session = conv._codex.session
        assert session is not None and session.services.rollout is not None
        os.dup2(os.open("/dev/full", os.O_WRONLY), session.services.rollout._fd)
        await conv.submit(ops.UserInput(items=[TextInput(text="two")]))
        err = await wait_for(conv, ev.ErrorEvent)
        assert "session stopped" in err.msg.message and "No space left" in err.msg.message
        await wait_for(conv, ev.TaskComplete)
        await conv.submit(ops.UserInput(items=[TextInput(text="three")]))
        again = await wait_for(conv, ev.ErrorEvent)
        assert "session stopped" in again.msg.message
        await wait_for(conv, ev.TaskComplete)  # refused cleanly, not by an internal error
        await conv.shutdown()
    assert len(srv.requests) == 1  # nothing was sent that could not be recorded


def test_resume_keeps_the_recorded_model_unless_overridden(tmp_path: Path) -> None:
    home, ws = tmp_path / "home", tmp_path
    turns = [sc.turn(sc.message("a"), sc.completed()), sc.turn(sc.message("b"), sc.completed()),
             sc.turn(sc.message("c"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        write_config(home, srv.base_url, model="gpt-5.5")
        assert run_exec(home, ws, "first").code == 0
        write_config(home, srv.base_url, model="gpt-4.1")  # the config changed since
        assert run_exec(home, ws, "resume", "--last", "second").code == 0
        assert run_exec(home, ws, "-m", "gpt-5-mini", "resume", "--last", "third").code == 0
    assert [r.body["model"] for r in srv.requests] == ["gpt-5.5", "gpt-5.5", "gpt-5-mini"]


def test_second_process_resuming_a_session_in_use_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    """Bad input: `exec resume ID` while another pycodex is still running that session. Both used
    to append their turns to the one file, interleaving two conversations; Codex refuses the
    second writer ("already has an active writer"), and so does pycodex now, in one line."""
    home, ws = tmp_path / "home", tmp_path / "ws"
    ws.mkdir()
    turns = [sc.turn(sc.message("first answer"), sc.completed()),
             sc.turn(sc.function_call("exec_command", {"cmd": "sleep 600", "yield_time_ms": 30000}, "c1"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        write_config(home, srv.base_url)
        thread = run_exec(home, ws, "first question").events()[0]["thread_id"]
        env = {**os.environ, "PYCODEX_HOME": str(home), "MOCK_API_KEY": "k"}
        busy = subprocess.Popen(
            [sys.executable, "-m", "pycodex.cli.main", "exec", "--json", "--skip-git-repo-check",
             "--dangerously-bypass-approvals-and-sandbox", "-C", str(ws), "resume", thread, "long one"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True, env=env)
        try:
            assert busy.stdout is not None
            for line in busy.stdout:
                if json.loads(line)["type"] == "item.started":
                    break
            before = _rollouts(home)[0].read_bytes()
            second = run_exec(home, ws, "resume", thread, "meanwhile")
            after = _rollouts(home)[0].read_bytes()
        finally:
            busy.send_signal(signal.SIGTERM)
            busy.wait(timeout=30)
    assert second.code == 1 and second.stdout == ""
    assert second.stderr.strip().count("\n") == 0 and "Traceback" not in second.stderr
    assert thread in second.stderr and "another process" in second.stderr
    assert after == before
    assert len(srv.requests) == 2  # the refused process asked the model nothing
