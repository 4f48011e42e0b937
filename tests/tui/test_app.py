"""The UI over a real in-process session and the scripted model server, driven with Pilot."""

from __future__ import annotations

from pathlib import Path

from pycodex.protocol.policies import AskForApproval
from pycodex.testing import scenario as sc
from pycodex.testing.fixtures import ModelServerFactory
from pycodex.tui import cells as c
from pycodex.tui.cell_views import AgentView, ErrorView, ExecView
from tests.tui.helpers import approval_focused, make_app, shown, typed, until


async def test_prompt_is_sent_at_once_and_the_answer_streams_as_markdown(
        tmp_path: Path, model_server: ModelServerFactory) -> None:
    srv = model_server([sc.turn(sc.reasoning("Looking around"),
                                sc.text_deltas("Here is **bold**\n\n```python\nprint(1)\n```\n", n=12),
                                sc.completed())])
    app = make_app(tmp_path / "home", tmp_path, srv.base_url, prompt="hello")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.state.cells and not app.state.running
                    and any(isinstance(x, c.AgentCell) and x.done for x in app.state.cells))
        await pilot.pause(0.1)
        agent = app.query_one(AgentView)
        assert "print(1)" in agent._md.source
        text = shown(app)
        assert "› hello" in text and "Looking around" in text
        assert "gpt-5.5" in text and "workspace-write" in text and "context left" in text
        assert srv.requests[0].body["input"][-1]["content"][0]["text"] == "hello"


def _escalated(target: Path, call_id: str) -> list[sc.Event]:
    return sc.function_call("exec_command", {
        "cmd": f"echo done > {target}", "sandbox_permissions": "require_escalated",
        "justification": "write the report outside the workspace"}, call_id)


def _outputs(srv: object, n: int) -> list[str]:
    body = srv.requests[n].body  # type: ignore[attr-defined]
    return [i["output"] for i in body["input"] if i["type"] == "function_call_output"]


async def test_an_escalated_command_waits_for_y_and_then_runs(
        tmp_path: Path, model_server: ModelServerFactory) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    ws = tmp_path / "ws"
    ws.mkdir()
    srv = model_server([sc.turn(_escalated(outside / "a.txt", "c1"), sc.completed()),
                        sc.turn(sc.message("wrote it"), sc.completed())])
    app = make_app(tmp_path / "home", ws, srv.base_url, prompt="write it")
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await until(pilot, lambda: approval_focused(app))
        text = shown(app)
        assert f"echo done > {outside / 'a.txt'}" in text and str(ws) in text
        assert "write the report outside the workspace" in text
        # Nothing proceeds meanwhile: typing does not reach the composer, Enter sends nothing.
        await pilot.press("x", "enter")
        assert app.composer.text == "" and len(srv.requests) == 1
        assert panel and not app.composer.display
        await pilot.press("y")
        await until(pilot, lambda: not app.state.running and len(srv.requests) == 2)
        assert (outside / "a.txt").read_text() == "done\n"
        assert app.composer.display and app.composer.has_focus
        assert any(isinstance(x, c.ExecCell) and x.exit_code == 0 for x in app.state.cells)


async def test_n_declines_and_t_tells_the_model_what_to_do_instead(
        tmp_path: Path, model_server: ModelServerFactory) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    ws = tmp_path / "ws"
    ws.mkdir()
    srv = model_server([sc.turn(_escalated(outside / "a.txt", "c1"), sc.completed()),
                        sc.turn(_escalated(outside / "b.txt", "c2"), sc.completed()),
                        sc.turn(sc.message("ok"), sc.completed())])
    app = make_app(tmp_path / "home", ws, srv.base_url, prompt="write both")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: approval_focused(app))
        await pilot.press("n")
        await until(pilot, lambda: len(srv.requests) == 2 and approval_focused(app))
        await pilot.press("t")
        await typed(pilot, "use ws")
        await pilot.press("enter")
        await until(pilot, lambda: not app.state.running and len(srv.requests) == 3,
                    wait=5)
    assert not (outside / "a.txt").exists() and not (outside / "b.txt").exists()
    assert "rejected" in _outputs(srv, 1)[-1].lower() or "denied" in _outputs(srv, 1)[-1].lower()
    texts = [ct["text"] for i in srv.requests[2].body["input"] if i["type"] == "message"
             for ct in i["content"] if "text" in ct]
    assert texts[-1] == "use ws"  # the instruction reaches the model right after the refusal


async def test_a_command_cell_shows_its_output_and_exit_code_then_folds_it(
        tmp_path: Path, model_server: ModelServerFactory) -> None:
    srv = model_server([
        sc.turn(sc.function_call("exec_command", {"cmd": "printf 'one\\ntwo\\n'; exit 3"}, "c1"),
                sc.completed()),
        sc.turn(sc.message("it failed"), sc.completed())])
    app = make_app(tmp_path / "home", tmp_path, srv.base_url, prompt="run",
                   approval=AskForApproval.NEVER)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: not app.state.running and len(srv.requests) == 2)
        await pilot.pause(0.1)
        view = app.query_one(ExecView)
        text = shown(app)
        assert "exit 3" in text and "printf" in text
        from textual.widgets import Collapsible

        fold = view.query_one(Collapsible)
        assert "one\ntwo" in view.cell.output
        n = len(view.cell.output.rstrip("\n").splitlines())
        assert fold.collapsed and fold.title == f"output ({n} lines)"


async def test_an_error_is_red_and_says_what_to_do(
        tmp_path: Path, model_server: ModelServerFactory) -> None:
    """Bad input: the provider refuses the API key (HTTP 401)."""
    srv = model_server([sc.http_error(401, '{"error": {"message": "bad key"}}')])
    app = make_app(tmp_path / "home", tmp_path, srv.base_url, prompt="hi")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.query(ErrorView))
        text = shown(app)
        assert "API key" in text
