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
