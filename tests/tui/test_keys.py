"""Composer and key behaviour over a real session: sending, newlines, history, pastes,
interrupting and quitting."""

from __future__ import annotations

import json
from pathlib import Path

from textual import events

from pycodex.testing import scenario as sc
from pycodex.testing.fixtures import ModelServerFactory
from pycodex.tui import cells as c
from tests.tui.helpers import make_app, shown, typed, until


def _last_user_text(body: dict[str, object]) -> str:
    items = [i for i in body["input"] if i.get("type") == "message" and i["role"] == "user"]  # type: ignore[union-attr, attr-defined]
    return str(items[-1]["content"][0]["text"])


async def test_enter_sends_and_ctrl_j_adds_a_line(tmp_path: Path, model_server: ModelServerFactory) -> None:
    srv = model_server([sc.turn(sc.message("ok"), sc.completed())])
    app = make_app(tmp_path / "home", tmp_path, srv.base_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.state.session_id)
        await typed(pilot, "one")
        await pilot.press("ctrl+j")
        await typed(pilot, "two")
        assert app.composer.text == "one\ntwo"
        await pilot.press("enter")
        await until(pilot, lambda: srv.requests and not app.state.running
                    and any(isinstance(x, c.AgentCell) for x in app.state.cells))
        assert app.composer.text == ""
    assert _last_user_text(srv.requests[0].body) == "one\ntwo"


async def test_up_and_down_walk_the_prompt_history_from_history_jsonl(
        tmp_path: Path, model_server: ModelServerFactory) -> None:
    home = tmp_path / "home"
    home.mkdir()
    lines = [{"session_id": "s0", "ts": 1, "text": "first old prompt"},
             {"session_id": "s0", "ts": 2, "text": "second old prompt"}]
    (home / "history.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    srv = model_server([sc.turn(sc.message("ok"), sc.completed())])
    app = make_app(home, tmp_path, srv.base_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.state.session_id)
        await typed(pilot, "draft")
        await pilot.press("up")
        await until(pilot, lambda: app.composer.text == "second old prompt")
        await pilot.press("up")
        await until(pilot, lambda: app.composer.text == "first old prompt")
        await pilot.press("down")
        await until(pilot, lambda: app.composer.text == "second old prompt")
        await pilot.press("down")
        await until(pilot, lambda: app.composer.text == "draft")
        app.composer.take()
        await typed(pilot, "new one")
        await pilot.press("enter")
        await until(pilot, lambda: not app.state.running and srv.requests)
        await pilot.press("up")
        await until(pilot, lambda: app.composer.text == "new one")
    saved = [json.loads(x)["text"] for x in (home / "history.jsonl").read_text().splitlines()]
    assert saved[-1] == "new one"


async def test_a_large_paste_is_shown_collapsed_and_sent_whole(
        tmp_path: Path, model_server: ModelServerFactory) -> None:
    srv = model_server([sc.turn(sc.message("got it"), sc.completed())])
    app = make_app(tmp_path / "home", tmp_path, srv.base_url)
    pasted = "\n".join(f"line {i} " + "x" * 40 for i in range(100))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.state.session_id)
        await typed(pilot, "look: ")
        app.composer.post_message(events.Paste(pasted))
        await pilot.pause(0.05)
        assert app.composer.text.startswith("look: [Pasted Content ")
        assert len(app.composer.text) < 80
        await pilot.press("enter")
        await until(pilot, lambda: srv.requests)
    assert _last_user_text(srv.requests[0].body) == "look: " + pasted



async def test_a_small_paste_is_inserted_once(tmp_path: Path, model_server: ModelServerFactory) -> None:
    """Bad input: a short multi-line paste (under the collapsing size). The old composer handed it
    to the text area and textual then ran the text area's own paste handler too: it went in twice."""
    srv = model_server([sc.turn(sc.message("got it"), sc.completed())])
    app = make_app(tmp_path / "home", tmp_path, srv.base_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.state.session_id)
        await typed(pilot, "look: ")
        app.composer.post_message(events.Paste("def f():\n    return 1"))
        await pilot.pause(0.05)
        assert app.composer.text == "look: def f():\n    return 1"
        await pilot.press("enter")
        await until(pilot, lambda: srv.requests)
    assert _last_user_text(srv.requests[0].body) == "look: def f():\n    return 1"


async def test_pasted_carriage_returns_reach_the_model_as_newlines(
        tmp_path: Path, model_server: ModelServerFactory) -> None:
    """Bad input: a paste whose lines end in CR, as xterm, iTerm2 and tmux send a paste's
    newlines, and CR LF from a Windows clipboard. The old composer sent a large one to the model
    with its CRs (one "line", by its placeholder) and doubled CR LF breaks in a small one."""
    srv = model_server([sc.turn(sc.message("one"), sc.completed()),
                        sc.turn(sc.message("two"), sc.completed())])
    app = make_app(tmp_path / "home", tmp_path, srv.base_url)
    lines = [f"line {i} " + "x" * 40 for i in range(100)]
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.state.session_id)
        app.composer.post_message(events.Paste("\r".join(lines)))
        await pilot.pause(0.05)
        assert app.composer.text.startswith("[Pasted Content ") and "100 lines" in app.composer.text
        await pilot.press("enter")
        await until(pilot, lambda: len(srv.requests) == 1 and not app.state.running)
        app.composer.post_message(events.Paste("a\r\nb\rc"))
        await pilot.pause(0.05)
        await pilot.press("enter")
        await until(pilot, lambda: len(srv.requests) == 2)
    assert _last_user_text(srv.requests[0].body) == "\n".join(lines)
    assert _last_user_text(srv.requests[1].body) == "a\nb\nc"

async def test_esc_interrupts_a_running_turn(tmp_path: Path, model_server: ModelServerFactory) -> None:
    srv = model_server([sc.turn(sc.text_deltas("thinking hard", n=2)[:-1], sc.stall())])
    app = make_app(tmp_path / "home", tmp_path, srv.base_url, prompt="go")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.state.running and "Working" in shown(app))
        await pilot.press("escape")
        await until(pilot, lambda: not app.state.running)
        assert "Interrupted" in shown(app)


async def test_ctrl_c_interrupts_then_twice_on_an_idle_composer_quits(
        tmp_path: Path, model_server: ModelServerFactory) -> None:
    srv = model_server([sc.turn(sc.stall())])
    app = make_app(tmp_path / "home", tmp_path, srv.base_url, prompt="go")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.state.running)
        await pilot.press("ctrl+c")
        await until(pilot, lambda: not app.state.running)
        await typed(pilot, "half")
        await pilot.press("ctrl+c")  # clears the composer, does not quit
        assert app.composer.text == "" and app.is_running
        await pilot.press("ctrl+c")
        assert app.is_running  # one press on an idle composer only warns
        await pilot.press("ctrl+c")
        await until(pilot, lambda: not app.is_running)
    assert app.state.shut_down  # the session was shut down (rollout flushed) before leaving
    rollout = app.state.rollout_path
    assert rollout is not None and rollout.read_text().count("\n") >= 2


async def test_ctrl_d_on_an_empty_composer_quits(tmp_path: Path, model_server: ModelServerFactory) -> None:
    srv = model_server([])
    app = make_app(tmp_path / "home", tmp_path, srv.base_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.state.session_id)
        await typed(pilot, "x")
        await pilot.press("ctrl+d")
        assert app.is_running  # not empty: Ctrl-D is just a key
        await pilot.press("backspace", "ctrl+d")
        await until(pilot, lambda: not app.is_running)
    assert app.state.shut_down
