"""/review over a real session and real git repositories: the target pickers, the review while
it runs and its findings, bad targets, and a review asked for while a turn runs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from pycodex.context.review_prompts import UNCOMMITTED_PROMPT
from pycodex.testing import scenario as sc
from pycodex.testing.fixtures import ModelServerFactory
from pycodex.tui import cells as c
from pycodex.tui.picker import PickerScreen, TextPromptScreen
from tests.e2e.helpers import input_texts
from tests.tui.helpers import git, make_app, shown, typed, until


def make_repo(ws: Path) -> Path:
    """main: "Add f"; branches old-topic (from main) and feature ("Make f add one", checked
    out); then an unstaged edit."""
    ws.mkdir(parents=True, exist_ok=True)
    git(ws, "init", "-q", "-b", "main")
    (ws / "a.py").write_text("def f(n):\n    return n\n")
    git(ws, "add", "a.py")
    git(ws, "commit", "-qm", "Add f")
    git(ws, "branch", "old-topic")
    git(ws, "checkout", "-qb", "feature")
    (ws / "a.py").write_text("def f(n):\n    return n + 1\n")
    git(ws, "commit", "-qam", "Make f add one")
    (ws / "a.py").write_text("def f(n):\n    return n + 2\n")
    return ws


def rev(ws: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(ws), *args], capture_output=True, text=True,
                          check=True).stdout.strip()


def review_json(ws: Path) -> str:
    finding = {"title": "[P1] Do not add two", "body": "f must add one.\nCallers rely on it.",
               "confidence_score": 0.7, "priority": 1,
               "code_location": {"absolute_file_path": str(ws / "a.py"), "line_range": {"start": 2, "end": 2}}}
    return json.dumps({"findings": [finding], "overall_correctness": "patch is incorrect",
                       "overall_explanation": "f now adds two.", "overall_confidence_score": 0.7})


def result_cell(app: Any) -> c.ReviewResultCell | None:
    """The last finished review's cell, once its answer has arrived."""
    cells = [x for x in app.state.cells if isinstance(x, c.ReviewResultCell) and x.text is not None]
    return cells[-1] if cells else None


async def _slash(pilot: Any, text: str) -> None:
    await typed(pilot, text)
    await pilot.press("enter")


async def _preset(pilot: Any, app: Any, downs: int) -> None:
    """/review, then the preset `downs` rows below the first (base branch)."""
    await _slash(pilot, "/review")
    await until(pilot, lambda: isinstance(app.screen, PickerScreen) and "Review a commit" in shown(app))
    await pilot.press(*["down"] * downs, "enter")


async def test_uncommitted_review_shows_its_banner_and_findings(
        tmp_path: Path, model_server: ModelServerFactory) -> None:
    ws = make_repo(tmp_path / "ws")
    srv = model_server([sc.turn(sc.function_call("exec_command", {"cmd": "git diff"}, "c1"), sc.completed()),
                        sc.turn(sc.message(review_json(ws)), sc.completed())])
    app = make_app(tmp_path / "home", ws, srv.base_url)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.state.session_id)
        await _preset(pilot, app, 1)
        cell = await until(pilot, lambda: result_cell(app))
        await until(pilot, lambda: not app.state.running)
        await pilot.pause(0.1)
        text = shown(app)
    assert "Code review: current changes" in text and "Code review finished: current changes" in text
    assert "[P1] Do not add two  a.py:2-2" in text and "  Callers rely on it." in text
    assert "f now adds two." in text
    assert any(isinstance(x, c.ExecCell) and "git diff" in x.command for x in app.state.cells)
    assert not any(isinstance(x, c.AgentCell) for x in app.state.cells)  # the review is shown once
    assert cell.output is not None and cell.output.findings[0].title == "[P1] Do not add two"
    assert input_texts(srv.requests[0].body)[-1] == UNCOMMITTED_PROMPT


async def test_base_branch_picker_lists_the_other_branches(
        tmp_path: Path, model_server: ModelServerFactory) -> None:
    ws = make_repo(tmp_path / "ws")
    srv = model_server([sc.turn(sc.message(review_json(ws)), sc.completed())])
    app = make_app(tmp_path / "home", ws, srv.base_url)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.state.session_id)
        await _preset(pilot, app, 0)
        await until(pilot, lambda: isinstance(app.screen, PickerScreen) and "Select a base branch" in shown(app))
        listed = shown(app)
        assert "feature → main" in listed and "feature → old-topic" in listed
        assert "feature → feature" not in listed
        await typed(pilot, "mai")
        await until(pilot, lambda: "old-topic" not in shown(app))
        await pilot.press("enter")
        await until(pilot, lambda: result_cell(app))
        text = shown(app)
    assert "Code review: changes against 'main'" in text
    request = input_texts(srv.requests[0].body)[-1]
    assert "'main'" in request and f"`git diff {rev(ws, 'merge-base', 'HEAD', 'main')}`" in request


async def test_commit_picker_shows_recent_commits_with_their_titles(
        tmp_path: Path, model_server: ModelServerFactory) -> None:
    ws = make_repo(tmp_path / "ws")
    first = rev(ws, "rev-parse", "HEAD~1")
    srv = model_server([sc.turn(sc.message(review_json(ws)), sc.completed())])
    app = make_app(tmp_path / "home", ws, srv.base_url)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.state.session_id)
        await _preset(pilot, app, 2)
        await until(pilot, lambda: isinstance(app.screen, PickerScreen) and "Select a commit" in shown(app))
        listed = shown(app)
        assert listed.index("Make f add one") < listed.index(f"{first[:7]}  Add f")  # newest first
        await pilot.press("down", "enter")
        await until(pilot, lambda: result_cell(app))
        text = shown(app)
    assert f"Code review: commit {first[:7]}: Add f" in text
    assert f'commit {first} ("Add f")' in input_texts(srv.requests[0].body)[-1]


async def test_custom_instructions_typed_in_or_given_with_the_command(
        tmp_path: Path, model_server: ModelServerFactory) -> None:
    """Bad input tried: Enter on blank instructions (the prompt says so and stays open); then a
    reviewer answer that is prose, not review JSON (shown whole, never lost)."""
    ws = make_repo(tmp_path / "ws")
    srv = model_server([sc.turn(sc.message("No JSON today, but the error handling looks fine."),
                                sc.completed()),
                        sc.turn(sc.message(review_json(ws)), sc.completed())])
    app = make_app(tmp_path / "home", ws, srv.base_url)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.state.session_id)
        await _preset(pilot, app, 3)
        await until(pilot, lambda: isinstance(app.screen, TextPromptScreen))
        await pilot.press("space", "enter")
        await until(pilot, lambda: "Type the instructions first" in shown(app))
        assert isinstance(app.screen, TextPromptScreen) and srv.requests == []
        await typed(pilot, "check the error handling")
        await pilot.press("enter")
        await until(pilot, lambda: result_cell(app))
        await until(pilot, lambda: not app.state.running)
        assert "No JSON today, but the error handling looks fine." in shown(app)
        await _slash(pilot, "/review look at the tests only")
        await until(pilot, lambda: len(srv.requests) == 2 and not app.state.running
                    and result_cell(app) and result_cell(app).output.findings)  # type: ignore[union-attr]
        text = shown(app)
    assert input_texts(srv.requests[0].body)[-1] == "check the error handling"
    assert input_texts(srv.requests[1].body)[-1] == "look at the tests only"
    assert "Code review: look at the tests only" in text


async def test_a_bad_target_is_an_error_and_nothing_is_sent(
        tmp_path: Path, model_server: ModelServerFactory) -> None:
    """Bad input tried: a review of uncommitted changes, then of a branch, in a directory that is
    no git repository. One error line (with what to do), one notice; the session goes on."""
    ws = tmp_path / "plain"
    ws.mkdir()
    srv = model_server([sc.turn(sc.message("still here"), sc.completed())])
    app = make_app(tmp_path / "home", ws, srv.base_url)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.state.session_id)
        await _preset(pilot, app, 1)
        error = await until(pilot, lambda: next(
            (x for x in app.state.cells if isinstance(x, c.ErrorCell)), None))
        await _preset(pilot, app, 0)
        await until(pilot, lambda: "is not a git repository; only custom instructions" in shown(app))
        assert srv.requests == [] and not isinstance(app.screen, PickerScreen)
        await _slash(pilot, "hello?")
        await until(pilot, lambda: "still here" in shown(app))
    assert error.message.startswith("cannot review: not a git repository: ") and "\n" not in error.message
    assert error.hint == "Pick another target with /review."
    assert not any(isinstance(x, c.ReviewStartCell) for x in app.state.cells)


async def test_review_while_a_turn_runs_is_refused_and_esc_ends_a_review(
        tmp_path: Path, model_server: ModelServerFactory) -> None:
    """Bad input tried: /review while the model is still answering. Then a review interrupted
    with Esc ends with a note and no findings."""
    ws = make_repo(tmp_path / "ws")
    srv = model_server([sc.turn(sc.text_deltas("thinking", n=1)[:-1], sc.stall()),
                        sc.turn(sc.stall())])
    app = make_app(tmp_path / "home", ws, srv.base_url, prompt="take your time")
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.state.running and srv.requests)
        await _slash(pilot, "/review")
        await until(pilot, lambda: "/review is not available while a turn runs" in shown(app))
        assert not isinstance(app.screen, PickerScreen)
        await pilot.press("escape")
        await until(pilot, lambda: not app.state.running)
        await _preset(pilot, app, 1)
        await until(pilot, lambda: app.state.reviewing == "current changes" and len(srv.requests) == 2)
        assert "Reviewing current changes" in shown(app)
        await pilot.press("escape")
        await until(pilot, lambda: not app.state.running
                    and any(isinstance(x, c.ReviewResultCell) for x in app.state.cells))
        await pilot.pause(0.1)
        text = shown(app)
    assert "Code review ended before the reviewer answered: current changes" in text
    assert "Interrupted" in text


def test_only_the_answer_right_after_a_review_is_the_review() -> None:
    """A review that failed with input queued: the session answers that input in the same turn,
    and that answer is the model's own message, not the review (folded from the events alone)."""
    from pycodex.protocol import events as ev
    from pycodex.tui.state import UIState

    state = UIState()
    state.apply_all([ev.Event(id="1", msg=m) for m in (
        ev.TaskStarted(),
        ev.EnteredReviewMode(target=ev.UncommittedChangesTarget(), user_facing_hint="current changes"),
        ev.ErrorEvent(message="stream disconnected"),
        ev.ExitedReviewMode(review_output=None),
        ev.UserMessageEvent(message="and also this"),
        ev.AgentMessageDelta(delta="Sure"),
        ev.AgentMessage(message="Sure, done."),
        ev.TaskComplete(),
    )])
    review = next(x for x in state.cells if isinstance(x, c.ReviewResultCell))
    assert review.text is None and review.hint == "current changes"
    assert [x.text for x in state.cells if isinstance(x, c.AgentCell)] == ["Sure, done."]
