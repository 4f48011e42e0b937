"""`pycodex app-server` on the wire: handshake, bad input, and the end of input."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.app_server.harness import RawClient, setup_home
from tests.app_server.schema import V2Schema


def _client(tmp_path: Path, srv: ScriptedModelServer) -> tuple[RawClient, Path, Path]:
    home, ws = setup_home(tmp_path, srv.base_url)
    return RawClient(home, ws), home, ws


def test_initialize_gives_what_the_sdk_validates(tmp_path: Path, v2schema: V2Schema) -> None:
    with ScriptedModelServer([]) as srv:
        c, home, _ = _client(tmp_path, srv)
        try:
            result = c.initialize()["result"]
        finally:
            c.close_stdin()
            assert c.wait() == 0
    # The SDK needs a user agent and a server name and version (serverInfo or parsed from it).
    assert result["userAgent"].startswith("raw_test/")
    assert result["serverInfo"] == {"name": "pycodex", "version": result["serverInfo"]["version"]}
    assert result["serverInfo"]["version"]
    assert result["codexHome"] == str(home)
    v2schema.check_all(c.sent, c.messages())


def test_bad_input_is_answered_and_the_server_goes_on(tmp_path: Path, v2schema: V2Schema) -> None:
    """Bad input, each answered with one error and nothing lost: a request before initialize,
    a line that is not JSON, JSON that is not an object, an unknown method, a second
    initialize, params of the wrong type and missing, an input item of an unknown type and
    one without its text, an unknown thread id, a goal for a thread that does not exist, a
    notification nobody knows."""
    with ScriptedModelServer([]) as srv:
        c, _, _ = _client(tmp_path, srv)
        try:
            early = c.request("thread/list", {})
            c.write_line("this is not json {")
            parse = c.wait_for(lambda m: m.get("error", {}).get("code") == -32700)
            c.write_line("[1, 2]")
            not_object = c.wait_for(lambda m: m.get("error", {}).get("code") == -32600 and m.get("id") is None)
            c.initialize()
            again = c.request("initialize", {"clientInfo": {"name": "x", "version": "1"}})
            unknown = c.request("no/such/method", {})
            wrong_type = c.request("thread/read", {"threadId": 5})
            missing = c.request("thread/read", {})
            no_thread = c.request("thread/read", {"threadId": "0000-no-such-thread"})
            goal = c.request("thread/goal/set", {"threadId": "x", "objective": "y"})
            c.send({"method": "some/notification", "params": {}})
            bad_input = c.request("turn/start", {"threadId": "x", "input": [{"type": "bogus"}]})
            no_text = c.request("turn/start", {"threadId": "x", "input": [{"type": "text"}]})
            still_fine = c.request("thread/list", {})
        finally:
            c.close_stdin()
            assert c.wait() == 0
    assert early["error"] == {"code": -32600, "message": "Not initialized"}
    assert parse["id"] is None and "parse error" in parse["error"]["message"]
    assert "JSON object" in not_object["error"]["message"]
    assert again["error"]["code"] == -32600
    assert unknown["error"]["code"] == -32601 and "no/such/method" in unknown["error"]["message"]
    assert wrong_type["error"]["code"] == -32602 and "threadId" in wrong_type["error"]["message"]
    assert missing["error"]["code"] == -32602 and "threadId" in missing["error"]["message"]
    assert no_thread["error"]["code"] == -32600 and "0000-no-such-thread" in no_thread["error"]["message"]
    assert goal["error"] == {"code": -32600, "message": "thread not found: x"}
    assert bad_input["error"]["code"] == -32602 and "input.0" in bad_input["error"]["message"]
    assert no_text["error"]["message"] == "invalid params: input.0.text: Field required"
    assert still_fine["result"]["data"] == []
    for msg in c.messages():  # one line per message, nothing else on stdout
        assert "error" in msg or "result" in msg or "method" in msg
    v2schema.check_all(c.sent, c.messages())
    assert "Traceback" not in c.stderr()


def test_end_of_input_aborts_the_turn_kills_its_command_and_flushes(tmp_path: Path) -> None:
    """The client goes away mid-turn (stdin closes while a command runs): the turn is
    aborted, the command killed, the rollout records the abort, and the server exits 0."""
    marker = tmp_path / "pid"
    cmd = f"echo $$ > {marker}; exec sleep 300"
    turns = [sc.turn(sc.function_call("exec_command", {"cmd": cmd, "yield_time_ms": 60000}, "c1"),
                     sc.completed())]
    with ScriptedModelServer(turns) as srv:
        c, _, ws = _client(tmp_path, srv)
        c.initialize()
        thread = c.request("thread/start", {"cwd": str(ws), "approvalPolicy": "never",
                                             "sandbox": "danger-full-access"})["result"]["thread"]
        c.request("turn/start", {"threadId": thread["id"], "input": [{"type": "text", "text": "go"}]})
        c.wait_for(lambda m: m.get("method") == "item/started" and m["params"]["item"]["type"] == "commandExecution")
        deadline = time.monotonic() + 10
        while not (marker.exists() and marker.read_text().strip()) and time.monotonic() < deadline:
            time.sleep(0.05)
        pid = int(marker.read_text())
        start = time.monotonic()
        c.close_stdin()
        assert c.wait(timeout=15) == 0
        took = time.monotonic() - start
    assert not _alive(pid), "the command outlived the server"
    assert took < 10
    rollout = Path(thread["path"]).read_text()
    assert '"turn_aborted"' in rollout
    completed = c.notification("turn/completed", timeout=1)
    assert completed["params"]["turn"]["status"] == "interrupted"


def test_deeply_nested_json_is_a_parse_error_and_the_turn_goes_on(tmp_path: Path, v2schema: V2Schema) -> None:
    """Bad input: a line of 100,000 nested arrays (valid-looking JSON deeper than the parser
    recurses) sent while a turn runs a command. It is answered with one -32700 line; the
    server stays up and the running turn completes."""
    gate = tmp_path / "gate"
    cmd = f"while [ ! -e {gate} ]; do sleep 0.05; done; echo through"
    turns = [sc.turn(sc.function_call("exec_command", {"cmd": cmd, "yield_time_ms": 60000}, "c1"),
                     sc.completed()),
             sc.turn(sc.message("finished"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        c, _, ws = _client(tmp_path, srv)
        try:
            c.initialize()
            thread = c.request("thread/start", {"cwd": str(ws), "approvalPolicy": "never",
                                                 "sandbox": "danger-full-access"})["result"]["thread"]
            c.request("turn/start", {"threadId": thread["id"], "input": [{"type": "text", "text": "go"}]})
            c.wait_for(lambda m: m.get("method") == "item/started"
                       and m["params"]["item"]["type"] == "commandExecution")
            c.write_line("[" * 100_000)
            parse = c.wait_for(lambda m: m.get("error", {}).get("code") == -32700)
            gate.touch()
            completed = c.notification("turn/completed")
            still_fine = c.request("thread/list", {})
        finally:
            c.close_stdin()
            assert c.wait() == 0
    assert parse["id"] is None and parse["error"]["message"].startswith("parse error")
    assert completed["params"]["turn"]["status"] == "completed"
    assert "result" in still_fine
    v2schema.check_all(c.sent, c.messages())
    assert "Traceback" not in c.stderr()


def test_requests_from_a_file_and_answers_into_a_file(tmp_path: Path) -> None:
    """Bad input for the transport: stdin and stdout are regular files (`pycodex app-server
    < requests.jsonl > answers.jsonl`), which the loop cannot watch as pipes. Every request is
    answered into the file, without a traceback, and the server exits 0 at the file's end."""
    import subprocess
    import sys

    from tests.app_server.harness import server_env

    with ScriptedModelServer([]) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        requests = tmp_path / "requests.jsonl"
        requests.write_text(json.dumps({"id": 1, "method": "initialize",
                                        "params": {"clientInfo": {"name": "file", "version": "1"}}}) + "\n"
                            + json.dumps({"method": "initialized"}) + "\n"
                            + json.dumps({"id": 2, "method": "thread/list", "params": {}}) + "\n")
        answers = tmp_path / "answers.jsonl"
        with requests.open("rb") as stdin, answers.open("wb") as stdout:
            proc = subprocess.run([sys.executable, "-m", "pycodex.cli.main", "app-server"], stdin=stdin,
                                  stdout=stdout, stderr=subprocess.PIPE, cwd=ws, env=server_env(home),
                                  timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr.decode()
    assert "Traceback" not in proc.stderr.decode()
    got = [json.loads(line) for line in answers.read_text().splitlines()]
    assert [m["id"] for m in got] == [1, 2]
    assert got[1]["result"]["data"] == []


def test_stdout_carries_only_protocol_lines(tmp_path: Path, v2schema: V2Schema) -> None:
    """Bad input in config.toml (an unknown key): logged on stderr and sent as a configWarning
    notification; stdout holds only protocol lines."""
    with ScriptedModelServer([sc.turn(sc.message("hi"), sc.completed())]) as srv:
        home, ws = setup_home(tmp_path, srv.base_url, extra="no_such_key_at_all = 1")
        c = RawClient(home, ws)
        c.initialize()
        thread = c.request("thread/start", {"cwd": str(ws)})["result"]["thread"]
        c.request("turn/start", {"threadId": thread["id"], "input": [{"type": "text", "text": "hi"}]})
        c.notification("turn/completed")
        c.close_stdin()
        assert c.wait() == 0
    v2schema.check_all(c.sent, c.messages())
    for raw in c.raw_stdout:
        assert isinstance(json.loads(raw), dict)
    warning = c.notification("configWarning", timeout=1)["params"]
    assert "no_such_key_at_all" in warning["summary"]
    assert "no_such_key_at_all" in c.stderr()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie waiting for its reaper is dead too
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_resuming_a_thread_another_process_writes_is_an_invalid_request(tmp_path: Path) -> None:
    """Bad input: thread/resume of a thread whose rollout another process holds (as a second
    writer would interleave two conversations). Codex answers -32600; it was -32603."""
    import fcntl

    with ScriptedModelServer([sc.turn(sc.message("first"), sc.completed())]) as srv:
        c, home, ws = _client(tmp_path, srv)
        try:
            c.initialize()
            thread = c.request("thread/start", {"cwd": str(ws)})["result"]["thread"]
            c.request("turn/start", {"threadId": thread["id"], "input": [{"type": "text", "text": "hi"}]})
            c.notification("turn/completed")
        finally:
            c.close_stdin()
            assert c.wait() == 0
        rollout = next((home / "sessions").rglob("*.jsonl"))
        with rollout.open("rb") as held:
            fcntl.flock(held, fcntl.LOCK_EX)  # "another process" writing it
            second = RawClient(home, ws)
            try:
                second.initialize()
                answer = second.request("thread/resume", {"threadId": thread["id"]})
            finally:
                second.close_stdin()
                assert second.wait() == 0
    assert answer["error"]["code"] == -32600, answer
    assert "in use by another process" in answer["error"]["message"]
