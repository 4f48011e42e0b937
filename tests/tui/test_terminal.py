"""`pycodex` in a real terminal (tmux) against the scripted model server: keys in with
send-keys, the screen read with capture-pane."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pycodex.testing import scenario as sc
from pycodex.testing.fixtures import ModelServerFactory
from tests.e2e.helpers import write_config
from tests.tui.helpers import WORKSPACE_ONLY
from tests.tui.tmux import Terminal, need_tmux, pgrep, pycodex_argv, pycodex_env


@pytest.fixture
def term(tmp_path: Path) -> Iterator[Terminal]:
    need_tmux()
    t = Terminal(tmp_path)
    yield t
    t.close()


def _escalated(target: Path, call_id: str) -> list[sc.Event]:
    return sc.function_call("exec_command", {
        "cmd": f"echo done > {target}", "sandbox_permissions": "require_escalated",
        "justification": "write outside"}, call_id)


def test_answer_approve_decline_status_and_quit_leaving_no_process(
        tmp_path: Path, term: Terminal, model_server: ModelServerFactory) -> None:
    ws, home, outside = tmp_path / "ws", tmp_path / "home", tmp_path / "outside"
    ws.mkdir()
    outside.mkdir()
    marker = f"sleep 3{abs(hash(tmp_path)) % 1000}.5"  # a command still running at quit time
    srv = model_server([
        sc.turn(sc.text_deltas("Hello from **the model**", n=4), sc.completed()),
        sc.turn(_escalated(outside / "yes.txt", "c1"), sc.completed()),
        sc.turn(_escalated(outside / "no.txt", "c2"), sc.completed()),
        sc.turn(sc.function_call("exec_command", {"cmd": marker, "yield_time_ms": 200}, "c3"),
                sc.completed()),
        sc.turn(sc.message("all done"), sc.completed()),
    ])
    write_config(home, srv.base_url, extra=WORKSPACE_ONLY)
    term.start(pycodex_argv("-a", "on-request", "-s", "workspace-write", "say hello"), ws,
               pycodex_env(home))
    term.wait_for("Hello from the model")
    screen = term.wait_for("context left")
    assert "gpt-5.5" in screen and "on-request · workspace-write" in screen
    term.type("write the files")
    term.keys("Enter")
    screen = term.wait_for("why: write outside")
    assert "Allow this command?" in screen and "echo done > " in screen and "yes.t" in screen
    term.wait_for("write the files", timeout=2)  # the transcript stays in view above it
    term.keys("y")
    deadline = time.monotonic() + 15
    while not (outside / "yes.txt").exists() or "outside/no.t" not in term.screen():
        assert time.monotonic() < deadline, term.screen()
        time.sleep(0.05)
    term.keys("n")
    term.wait_for("all done")
    assert not (outside / "no.txt").exists()
    term.type("/status")
    term.keys("Enter")
    screen = term.wait_for("Tokens")
    assert "Session" in screen and "Approvals" in screen
    assert pgrep(marker) != []  # the model's command is still running as we quit
    term.keys("C-c")
    time.sleep(0.2)
    term.keys("C-c")
    term.wait_for("EXITED=0")
    assert "To continue this session, run pycodex resume" in term.scrollback()
    assert "Hello from the model" in term.scrollback()  # the conversation stays in scrollback
    assert pgrep(marker) == []
    # (EXITED=0 came after pycodex itself ended; a pattern matching every pycodex UI on the
    # machine would also see another checkout's test run.)
    assert pgrep(str(home)) == []


def test_esc_interrupts_and_resume_shows_the_history(
        tmp_path: Path, term: Terminal, model_server: ModelServerFactory) -> None:
    ws, home = tmp_path / "ws", tmp_path / "home"
    ws.mkdir()
    srv = model_server([
        sc.turn(sc.message("first answer"), sc.completed()),
        sc.turn(sc.text_deltas("partial", n=1)[:-1], sc.stall()),
        sc.turn(sc.message("resumed answer"), sc.completed()),
    ])
    write_config(home, srv.base_url)
    term.start(pycodex_argv("remember the walrus"), ws, pycodex_env(home))
    term.wait_for("first answer")
    term.type("go on")
    term.keys("Enter")
    term.wait_for("esc to interrupt")
    term.keys("Escape")
    term.wait_for("Interrupted")
    term.keys("C-d")
    term.wait_for("EXITED=0")
    term.close()
    (tmp_path / "t2").mkdir()
    term2 = Terminal(tmp_path / "t2")
    try:
        term2.start(pycodex_argv("resume", "--last"), ws, pycodex_env(home))
        screen = term2.wait_for("first answer")
        assert "remember the walrus" in screen
        term2.type("and now?")
        term2.keys("Enter")
        term2.wait_for("resumed answer")
        term2.keys("C-c")
        time.sleep(0.2)
        term2.keys("C-c")
        term2.wait_for("EXITED=0")
    finally:
        term2.close()
    body = str(srv.requests[2].body["input"])
    assert "remember the walrus" in body and "first answer" in body


def test_not_a_terminal_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """Bad input: stdin and stdout are pipes, not a terminal."""
    proc = subprocess.run(pycodex_argv("hello"), capture_output=True, text=True, timeout=30,
                          env=pycodex_env(tmp_path / "home"), stdin=subprocess.PIPE, check=False)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "needs a terminal" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_review_a_commit_in_a_real_terminal(tmp_path: Path, term: Terminal,
                                            model_server: ModelServerFactory) -> None:
    """/review in a real git repository: the preset list, the commit picker with titles, the
    review's banner and findings on screen, and the commit named in the reviewer's request."""
    import json

    from tests.tui.helpers import git

    ws, home = tmp_path / "ws", tmp_path / "home"
    ws.mkdir()
    git(ws, "init", "-q", "-b", "main")
    (ws / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    git(ws, "add", "calc.py")
    git(ws, "commit", "-qm", "Add add")
    (ws / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    git(ws, "commit", "-qam", "Break add")
    sha = subprocess.run(["git", "-C", str(ws), "rev-parse", "HEAD"], capture_output=True, text=True,
                         check=True).stdout.strip()
    finding = {"title": "[P0] add subtracts", "body": "It returns a - b.", "confidence_score": 0.9,
               "priority": 0, "code_location": {"absolute_file_path": str(ws / "calc.py"),
                                                "line_range": {"start": 2, "end": 2}}}
    review = json.dumps({"findings": [finding], "overall_correctness": "patch is incorrect",
                         "overall_explanation": "Break add breaks add.", "overall_confidence_score": 0.9})
    srv = model_server([sc.turn(sc.message(review), sc.completed())])
    write_config(home, srv.base_url)
    term.start(pycodex_argv("-a", "never"), ws, pycodex_env(home))
    term.wait_for("gpt-5.5")
    term.type("/review")
    term.keys("Enter")
    term.wait_for("Review uncommitted changes")
    term.keys("Down", "Down", "Enter")
    screen = term.wait_for("Select a commit to review")
    assert f"{sha[:7]}  Break add" in screen and "Add add" in screen
    term.keys("Enter")
    screen = term.wait_for("[P0] add subtracts")
    assert f"Code review: commit {sha[:7]}: Break add" in screen
    assert "calc.py:2-2" in screen and "It returns a - b." in screen and "Break add breaks add." in screen
    term.keys("C-c")
    time.sleep(0.2)
    term.keys("C-c")
    term.wait_for("EXITED=0")
    assert "[P0] add subtracts" in term.scrollback()  # the review stays in scrollback
    request = srv.requests[0].body["input"][-1]["content"][0]["text"]
    assert f'commit {sha} ("Break add")' in request
