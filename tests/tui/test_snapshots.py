"""Key screens at 80×24 as SVG snapshots (pytest-textual-snapshot); a real session drives
each one. Update them with `pytest tests/tui/test_snapshots.py --snapshot-update` after
looking at the new pictures."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from pycodex.protocol.policies import AskForApproval, SandboxMode
from pycodex.testing import scenario as sc
from pycodex.testing.fixtures import ModelServerFactory
from pycodex.tui import cells as c
from tests.tui.helpers import approval_focused, make_app, until

# The screens show the workspace path: a fixed one keeps them identical from run to run.
WS = Path("/tmp/pycodex-tui-snapshots/ws")

PATCH = """*** Begin Patch
*** Add File: hello.py
+def hello() -> str:
+    return "hi"
*** End Patch"""

ANSWER = """Added `hello.py`:

```python
def hello() -> str:
    return "hi"
```

- one function
- **no** tests yet"""


@pytest.fixture
def ws() -> Path:
    shutil.rmtree(WS.parent, ignore_errors=True)
    WS.mkdir(parents=True)
    return WS


def _done(app: Any) -> Callable[[Pilot[Any]], Any]:
    async def wait(pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: not app.state.running
                    and any(isinstance(x, c.AgentCell) and x.done for x in app.state.cells))
        await pilot.pause(0.3)
    return wait


def test_a_finished_turn(ws: Path, tmp_path: Path, model_server: ModelServerFactory,
                         snap_compare: Any) -> None:
    srv = model_server([
        sc.turn(sc.reasoning("Writing a small module"),
                sc.custom_tool_call("apply_patch", PATCH, "p1"), sc.completed()),
        sc.turn(sc.text_deltas(ANSWER, n=10), sc.completed()),
    ])
    app = make_app(tmp_path / "home", ws, srv.base_url, prompt="add a hello module",
                   approval=AskForApproval.NEVER)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_done(app))


def test_a_patch_waiting_for_approval(ws: Path, tmp_path: Path, model_server: ModelServerFactory,
                                      snap_compare: Any) -> None:
    srv = model_server([sc.turn(sc.custom_tool_call("apply_patch", PATCH, "p1"), sc.completed())])
    app = make_app(tmp_path / "home", ws, srv.base_url, prompt="add a hello module",
                   sandbox=SandboxMode.READ_ONLY)

    async def wait(pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: approval_focused(app))
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=(80, 24), run_before=wait)


def test_a_finished_review(ws: Path, tmp_path: Path, model_server: ModelServerFactory,
                           snap_compare: Any) -> None:
    """/review of the uncommitted changes: the banner, then the findings."""
    import json

    from pycodex.tui.picker import PickerScreen
    from tests.tui.helpers import git, typed

    git(ws, "init", "-q", "-b", "main")
    (ws / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    git(ws, "add", "calc.py")
    git(ws, "commit", "-qm", "Add add")
    (ws / "calc.py").write_text("def add(a, b):\n    return a - b\n")

    def finding(title: str, body: str, priority: int, line: int) -> dict[str, Any]:
        return {"title": title, "body": body, "confidence_score": 0.8, "priority": priority,
                "code_location": {"absolute_file_path": str(ws / "calc.py"),
                                  "line_range": {"start": line, "end": line}}}

    review = json.dumps({
        "findings": [finding("[P0] add subtracts", "`a - b` returns the difference, not the sum.", 0, 2),
                     finding("[P3] Name the operands", "`a` and `b` say little.\nConsider x and y.", 3, 1)],
        "overall_correctness": "patch is incorrect",
        "overall_explanation": "The change breaks add: it now subtracts.",
        "overall_confidence_score": 0.8})
    srv = model_server([sc.turn(sc.message(review), sc.completed())])
    app = make_app(tmp_path / "home", ws, srv.base_url, approval=AskForApproval.NEVER)

    async def run(pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: app.state.session_id)
        await typed(pilot, "/review")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PickerScreen))
        await pilot.press("down", "enter")
        await until(pilot, lambda: not app.state.running and any(
            isinstance(x, c.ReviewResultCell) and x.text for x in app.state.cells))
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run)
