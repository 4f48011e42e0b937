"""`pycodex batch` end to end: real subprocesses, real git, the sandbox, one scripted server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import jsonschema

from pycodex.protocol.schema import generate_schemas
from pycodex.testing import scenario as sc
from pycodex.testing.scenario import Turn
from pycodex.testing.server import RecordedRequest, ScriptedModelServer
from tests.batch.helpers import (
    batch_env,
    command_then_answer,
    git,
    make_repo,
    responder,
    results,
    run_batch,
    tag,
    write_config,
    write_tasks,
)
from tests.e2e.test_tools import PNG_1X1

EXEC_SCHEMA = generate_schemas()["exec-events.schema.json"]


def _requests_for(srv: ScriptedModelServer, task_id: str) -> int:
    return sum(1 for r in srv.requests if r.method == "POST" and tag(task_id) in json.dumps(r.body))


def _alive(marker: str) -> bool:
    return subprocess.run(["pgrep", "-f", marker], capture_output=True, check=False).returncode == 0


def _running_command(task_dir: Path) -> bool:
    """Whether the task's events show a command started and not yet finished."""
    try:
        events = [json.loads(x) for x in (task_dir / "events.jsonl").read_text().splitlines()]
    except (OSError, ValueError):
        return False
    return bool(events) and events[-1]["type"] == "item.started"


def _overlap(log: Path) -> int:
    """The most commands that were running at the same time, from their start/end lines."""
    points = []
    for line in log.read_text().splitlines():
        kind, stamp, _ = line.split()
        points.append((float(stamp), 1 if kind == "start" else -1))
    now = peak = 0
    for _, step in sorted(points, key=lambda p: (p[0], p[1])):
        now += step
        peak = max(peak, now)
    return peak


def test_six_tasks_three_at_a_time_then_a_rerun_makes_no_request(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"README.md": "hello\n", "src/app.py": "x = 1\n"})
    head, tree = git(repo, "rev-parse", "HEAD"), git(repo, "status", "--porcelain")
    logs = tmp_path / "logs"
    logs.mkdir()
    log = logs / "overlap.log"
    scripts = {
        f"t{i}": command_then_answer(
            f"echo start $(date +%s.%N) t{i} >> {log}; sleep 0.5; echo end $(date +%s.%N) t{i} >> {log}; "
            f"echo change-{i} >> README.md && echo {i} > new-{i}.txt", f"done {i}")
        for i in range(6)
    }
    lines = [{"id": f"t{i}", "prompt": f"{tag(f't{i}')} edit the readme", "workspace": "repo"}
             for i in range(6)]
    (tmp_path / "shot.png").write_bytes(PNG_1X1)
    lines[0]["images"] = ["shot.png"]  # relative to the TASKS file's folder
    tasks = write_tasks(tmp_path / "tasks.jsonl", lines)
    out, home = tmp_path / "out", tmp_path / "home"
    with ScriptedModelServer(responder=responder(scripts)) as srv:
        write_config(home, srv.base_url)
        first = run_batch(home, tasks, "--out", out, "--jobs", "3", "--full-auto", "--add-dir", logs)
        assert first.returncode == 0, first.stdout + first.stderr
        assert len(srv.requests) == 12
        first_t0 = next(r.body for r in srv.requests if tag("t0") in json.dumps(r.body))
        sent = [c for i in first_t0["input"] if i.get("role") == "user" for c in i["content"]]
        assert any(c["type"] == "input_image" and c["image_url"].startswith("data:image/png")
                   for c in sent)
        got = results(out)
        assert [r["id"] for r in got] == [f"t{i}" for i in range(6)]  # task order, not finish order
        for i, r in enumerate(got):
            assert r["status"] == "completed" and r["error"] is None
            assert r["final_message"] == f"done {i}"
            assert r["usage"]["total_tokens"] == 235 and r["attempts"] == 1
            assert Path(r["rollout"]).is_file() and r["thread_id"] in r["rollout"]
            task_dir = out / f"t{i}"
            assert json.loads((task_dir / "result.json").read_text()) == r
            events = [json.loads(x) for x in (task_dir / "events.jsonl").read_text().splitlines()]
            for e in events:
                jsonschema.validate(e, EXEC_SCHEMA)  # exactly the `exec --json` stream
            assert events[0] == {"type": "thread.started", "thread_id": r["thread_id"]}
            assert events[-1]["type"] == "turn.completed"
            diff = (task_dir / "changes.diff").read_text()
            assert f"+change-{i}" in diff and f"new-{i}.txt" in diff  # untracked file included
            assert "src/app.py" not in diff
            assert f"change-{i}" in (task_dir / "workspace" / "README.md").read_text()
        # The source repository was never touched.
        assert git(repo, "rev-parse", "HEAD") == head
        assert git(repo, "status", "--porcelain") == tree
        assert (repo / "README.md").read_text() == "hello\n"
        assert not list(repo.glob("new-*"))
        assert _overlap(log) == 3, log.read_text()  # --jobs 3: three at once, never four
        assert "[6/6]" in first.stdout and "6 tasks: 6 completed" in first.stdout
        assert "Traceback" not in first.stderr

        again = run_batch(home, tasks, "--out", out, "--jobs", "3", "--full-auto", "--add-dir", logs)
        assert again.returncode == 0, again.stdout + again.stderr
        assert len(srv.requests) == 12  # completed tasks are skipped: no model request at all
        assert "0 to run, 6 already completed" in again.stdout
        assert results(out) == got

        # A task whose line changed is run again; the others are still kept.
        lines[5]["prompt"] += " (reworded)"
        write_tasks(tasks, lines)
        third = run_batch(home, tasks, "--out", out, "--jobs", "3", "--full-auto", "--add-dir", logs)
        assert third.returncode == 0, third.stdout + third.stderr
        assert len(srv.requests) == 14 and _requests_for(srv, "t5") == 4
        assert results(out)[:5] == got[:5]


def test_a_failing_task_a_timing_out_one_and_a_retried_one(tmp_path: Path) -> None:
    """Bad input: the model answering with an error, a command that outlives --timeout-sec,
    and a task whose first attempt fails (retried by --retries)."""
    make_repo(tmp_path / "repo")
    marker = f"pycodex-batch-slow-{uuid.uuid4().hex}"
    flaky_calls: list[int] = []
    lock = threading.Lock()
    scripts = {
        "ok": command_then_answer("echo fine", "all good"),
        "slow": [sc.turn(sc.function_call("exec_command", {"cmd": f"sleep 30 && echo {marker}",
                                                           "yield_time_ms": 30_000}, "c1"),
                         sc.completed()),
                 sc.turn(sc.message("never"), sc.completed())],
        "broken": [sc.http_error(400, '{"error": {"message": "model says no"}}')],
    }
    pick = responder(scripts)

    def answer(req: RecordedRequest) -> Turn | None:
        if tag("flaky") in json.dumps(req.body):
            with lock:
                flaky_calls.append(1)
                first = len(flaky_calls) == 1
            return (sc.http_error(400, '{"error": {"message": "first attempt fails"}}') if first
                    else sc.turn(sc.message("second time lucky"), sc.completed()))
        return pick(req)

    tasks = write_tasks(tmp_path / "tasks.jsonl", [
        {"id": name, "prompt": f"{tag(name)} go", "workspace": "repo"}
        for name in ("ok", "slow", "broken", "flaky")])
    out, home = tmp_path / "out", tmp_path / "home"
    with ScriptedModelServer(responder=answer) as srv:
        write_config(home, srv.base_url)
        t0 = time.monotonic()
        proc = run_batch(home, tasks, "--out", out, "--jobs", "4", "--timeout-sec", "1.5",
                         "--retries", "1", "--full-auto")
        elapsed = time.monotonic() - t0
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    by_id = {r["id"]: r for r in results(out)}
    assert by_id["ok"]["status"] == "completed" and by_id["ok"]["final_message"] == "all good"
    assert by_id["slow"]["status"] == "timed_out"
    assert by_id["slow"]["error"] == "timed out after 1.5 s" and by_id["slow"]["attempts"] == 2
    slow_events = [json.loads(x) for x in (out / "slow" / "events.jsonl").read_text().splitlines()]
    assert slow_events[-1] == {"type": "turn.failed", "error": {"message": "turn aborted: interrupted"}}
    assert not _alive(marker), "the timed-out task's command outlived it"
    assert by_id["broken"]["status"] == "failed" and by_id["broken"]["attempts"] == 2
    assert "model says no" in by_id["broken"]["error"]
    assert by_id["flaky"]["status"] == "completed" and by_id["flaky"]["attempts"] == 2
    assert by_id["flaky"]["final_message"] == "second time lucky"
    assert "1 failed, 1 timed out" in proc.stdout
    assert elapsed < 20, elapsed  # two 1.5 s timeouts, not the 30 s command


def test_bad_tasks_lines_are_reported_with_line_numbers_before_anything_runs(tmp_path: Path) -> None:
    """Bad input: a line that is not JSON, one without a prompt, a duplicate id, a workspace
    that does not exist, a missing image, a task config the loader rejects, and --out inside
    a workspace that would be copied into itself."""
    make_repo(tmp_path / "repo")
    plain = tmp_path / "plain"
    plain.mkdir()
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text("\n".join([
        json.dumps({"id": "good", "prompt": f"{tag('good')} hi", "workspace": "repo"}),
        "{oops",
        json.dumps({"id": "np", "workspace": "repo"}),
        json.dumps({"id": "good", "prompt": "again", "workspace": "repo"}),
        json.dumps({"id": "ws", "prompt": "p", "workspace": "no/such/dir"}),
        json.dumps({"id": "img", "prompt": "p", "workspace": "repo", "images": ["missing.png"]}),
        json.dumps({"id": "cfg", "prompt": "p", "workspace": "repo",
                    "config": {"approval_policy": "whenever"}}),
        json.dumps({"id": "self", "prompt": "p", "workspace": "plain"}),
    ]) + "\n")
    out, home = plain / "out", tmp_path / "home"
    with ScriptedModelServer(responder=responder({})) as srv:
        write_config(home, srv.base_url)
        proc = run_batch(home, tasks, "--out", out)
        assert srv.requests == []
    assert proc.returncode == 2
    errors = proc.stderr.strip().splitlines()
    assert errors[0] == (f"Error: {tasks}:2: not JSON (Expecting property name enclosed in "
                         "double quotes at column 2)")
    text = "\n".join(errors)
    for needle in (f'{tasks}:3: missing "prompt"', f"{tasks}:4: duplicate id 'good' (first on line 1)",
                   f"{tasks}:5: workspace no/such/dir is not a directory",
                   f"{tasks}:6: image missing.png does not exist",
                   f"{tasks}:8: --out {out} is inside workspace {plain}, which is copied"):
        assert needle in text, text
    assert any(e.startswith(f"Error: {tasks}:7: ") and "approval_policy" in e for e in errors), text
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert not out.exists()

    # A file that cannot be read at all: one line too.
    missing = run_batch(home, tmp_path / "nope.jsonl", "--out", tmp_path / "o2")
    assert missing.returncode == 2
    assert missing.stderr.strip() == f"Error: cannot read {tmp_path / 'nope.jsonl'}: No such file or directory"


def test_ctrl_c_aborts_running_tasks_records_them_and_a_rerun_resumes(tmp_path: Path) -> None:
    """Bad input: SIGINT while two tasks run commands and one has not started."""
    make_repo(tmp_path / "repo")
    marker = f"pycodex-batch-int-{uuid.uuid4().hex}"
    gate = tmp_path / "gate" / "open"
    gate.parent.mkdir()
    slow = f"test -e {gate} || sleep 60 && echo {marker}"
    scripts = {
        "quick": command_then_answer("echo quick", "quick done"),
        "a": [sc.turn(sc.function_call("exec_command", {"cmd": slow, "yield_time_ms": 60_000}, "c1"),
                      sc.completed()), sc.turn(sc.message("a done"), sc.completed())],
        "b": [sc.turn(sc.function_call("exec_command", {"cmd": slow, "yield_time_ms": 60_000}, "c1"),
                      sc.completed()), sc.turn(sc.message("b done"), sc.completed())],
        "later": command_then_answer("echo later", "later done"),
    }
    tasks = write_tasks(tmp_path / "tasks.jsonl", [
        {"id": name, "prompt": f"{tag(name)} go", "workspace": "repo"} for name in scripts])
    out, home = tmp_path / "out", tmp_path / "home"
    args = ["--out", str(out), "--jobs", "2", "--full-auto", "--add-dir", str(gate.parent)]
    with ScriptedModelServer(responder=responder(scripts)) as srv:
        write_config(home, srv.base_url)
        proc = subprocess.Popen(
            [sys.executable, "-m", "pycodex.cli.main", "batch", str(tasks), *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=batch_env(home),
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # both slow commands running: interrupt now
            if _alive(marker) and all(_running_command(out / name) for name in ("a", "b")):
                break
            time.sleep(0.05)
        else:
            proc.kill()
            raise AssertionError(f"the slow commands never ran: {proc.communicate()}")
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 130, stdout + stderr
        assert "Traceback" not in stderr
        assert "SIGINT: aborting 2 running task(s)" in stdout
        time.sleep(0.2)
        assert not _alive(marker), "a command outlived the interrupted batch"
        by_id = {r["id"]: r for r in results(out)}
        assert by_id["quick"]["status"] == "completed"
        for name in ("a", "b"):
            assert by_id[name]["status"] == "aborted"
            assert by_id[name]["error"] == "aborted: the batch was interrupted"
            events = (out / name / "events.jsonl").read_text().splitlines()
            assert json.loads(events[-1]) == {"type": "turn.failed",
                                              "error": {"message": "turn aborted: interrupted"}}
            assert json.loads((out / name / "result.json").read_text()) == by_id[name]
        assert by_id["later"]["status"] == "aborted"
        assert by_id["later"]["error"].startswith("not started")
        quick_requests = _requests_for(srv, "quick")

        gate.write_text("")  # the resumed run's commands finish at once
        resumed = run_batch(home, tasks, *args)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        assert "3 to run, 1 already completed" in resumed.stdout
        assert _requests_for(srv, "quick") == quick_requests  # kept: never asked again
        final = {r["id"]: r for r in results(out)}
        assert {k: v["status"] for k, v in final.items()} == dict.fromkeys(scripts, "completed")
        assert final["quick"] == by_id["quick"]
        assert final["a"]["final_message"] == "a done"
    assert os.path.isdir(out / "a" / "workspace")


def test_the_output_schema_reaches_every_task_and_an_unreadable_one_is_refused(tmp_path: Path) -> None:
    """Bad input: an --output-schema file that is not JSON."""
    make_repo(tmp_path / "repo")
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"],
              "additionalProperties": False}
    (tmp_path / "schema.json").write_text(json.dumps(schema))
    (tmp_path / "broken.json").write_text("{nope")
    scripts = {name: [sc.turn(sc.message('{"ok": true}'), sc.completed())] for name in ("a", "b")}
    tasks = write_tasks(tmp_path / "tasks.jsonl", [
        {"id": name, "prompt": f"{tag(name)} answer", "workspace": "repo"} for name in scripts])
    home = tmp_path / "home"
    with ScriptedModelServer(responder=responder(scripts)) as srv:
        write_config(home, srv.base_url)
        bad = run_batch(home, tasks, "--out", tmp_path / "out", "--output-schema", tmp_path / "broken.json")
        assert bad.returncode == 2 and srv.requests == []
        assert bad.stderr.startswith(f"Error: cannot read output schema {tmp_path / 'broken.json'}: ")
        assert len(bad.stderr.strip().splitlines()) == 1
        good = run_batch(home, tasks, "--out", tmp_path / "out", "--output-schema", tmp_path / "schema.json")
        assert good.returncode == 0, good.stdout + good.stderr
        assert len(srv.requests) == 2
        for req in srv.requests:
            assert req.body["text"]["format"]["schema"] == schema
    assert [r["final_message"] for r in results(tmp_path / "out")] == ['{"ok": true}'] * 2


def test_a_clone_that_never_answers_times_out_and_ctrl_c_stops_it(tmp_path: Path) -> None:
    """Bad input: a git URL whose server accepts the connection and never answers. With
    --timeout-sec the task is timed_out; without it, SIGINT aborts it. Either way the batch
    ends at once, results.jsonl is written and no git process is left behind."""
    import contextlib
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []

    def accept() -> None:  # take connections and never answer them
        with contextlib.suppress(OSError):
            while True:
                held.append(listener.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/{uuid.uuid4().hex}.git"
    tasks = write_tasks(tmp_path / "tasks.jsonl", [{"id": "hang", "prompt": "go", "workspace": url}])
    home = tmp_path / "home"
    try:
        with ScriptedModelServer([]) as srv:
            write_config(home, srv.base_url)
            started = time.monotonic()
            timed = run_batch(home, tasks, "--out", tmp_path / "out1", "--timeout-sec", "2")
            took = time.monotonic() - started
            assert timed.returncode == 1, timed.stdout + timed.stderr
            assert took < 20
            [result] = results(tmp_path / "out1")
            assert result["status"] == "timed_out"
            assert result["error"] == "timed out after 2 s preparing the workspace"
            assert not _alive(url), "the clone outlived its task"

            proc = subprocess.Popen(
                [sys.executable, "-m", "pycodex.cli.main", "batch", str(tasks), "--out", str(tmp_path / "out2")],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=batch_env(home),
            )
            deadline = time.monotonic() + 20
            while not _alive(url):
                assert time.monotonic() < deadline, "the clone never started"
                time.sleep(0.05)
            proc.send_signal(signal.SIGINT)
            stdout, stderr = proc.communicate(timeout=20)
            assert proc.returncode == 130, stdout + stderr
            assert "Traceback" not in stderr
            [result] = results(tmp_path / "out2")
            assert result["status"] == "aborted"
            assert result["error"] == "aborted: the batch was interrupted"
            time.sleep(0.2)
            assert not _alive(url), "the clone outlived the interrupted batch"
            assert srv.requests == []
    finally:
        listed = subprocess.run(["pgrep", "-f", url], capture_output=True, text=True, check=False)
        for pid in listed.stdout.split():  # a clone the fix failed to stop: by its id only
            os.kill(int(pid), signal.SIGKILL)
        listener.close()


def test_a_tasks_file_with_a_bom_runs_and_a_task_config_key_nobody_knows_is_named(tmp_path: Path) -> None:
    """Bad input: a TASKS file saved with a UTF-8 byte order mark (it was refused as 'not
    JSON'), and a task whose own `config` has a key pycodex does not know (it was ignored
    without a word, while the same key given with -c is warned about)."""
    make_repo(tmp_path / "repo")
    tasks = tmp_path / "tasks.jsonl"
    line = json.dumps({"id": "t1", "prompt": f"{tag('t1')} hi", "workspace": "repo",
                       "config": {"bogus_knob": 1}})
    tasks.write_bytes(b"\xef\xbb\xbf" + line.encode() + b"\n")
    out, home = tmp_path / "out", tmp_path / "home"
    scripts = {"t1": [sc.turn(sc.message("done"), sc.completed())]}
    with ScriptedModelServer(responder=responder(scripts)) as srv:
        write_config(home, srv.base_url)
        proc = run_batch(home, tasks, "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert [r["status"] for r in results(out)] == ["completed"]
    assert f"{tasks}:1: config warning: ignoring unknown keys" in proc.stderr
    assert "bogus_knob" in proc.stderr
