"""Driving the real UI over a real in-process session against the scripted model server."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from pycodex.config.config import CliOverrides, load_config
from pycodex.protocol.policies import AskForApproval, SandboxMode
from pycodex.tui.app import PycodexApp
from pycodex.tui.launch import InProcessFactory
from tests.e2e.helpers import write_config

# Writes outside the workspace need approval: /tmp and $TMPDIR are not writable roots.
WORKSPACE_ONLY = ("[sandbox_workspace_write]\nexclude_slash_tmp = true\n"
                  "exclude_tmpdir_env_var = true\n")


def make_app(home: Path, ws: Path, base_url: str, *, prompt: str | None = None,
             approval: AskForApproval = AskForApproval.ON_REQUEST,
             sandbox: SandboxMode = SandboxMode.WORKSPACE_WRITE, extra: str = "",
             resume: Path | None = None, pick_resume: bool = False) -> PycodexApp:
    """The app as `pycodex` builds it, with its config pointed at the scripted server."""
    write_config(home, base_url, extra=extra + WORKSPACE_ONLY)
    env = {**os.environ, "PYCODEX_HOME": str(home), "MOCK_API_KEY": "test-key"}
    config = load_config(CliOverrides(cwd=ws, approval_policy=approval, sandbox_mode=sandbox),
                         home=home, env=env)
    config.can_ask_user = True
    config.shell_snapshot = False  # no login profile run per test: faster, same behaviour
    app = PycodexApp(InProcessFactory(config), prompt=prompt, resume=resume, pick_resume=pick_resume)
    # A blinking cursor makes a screenshot depend on when it is taken (it failed under load).
    app.composer.cursor_blink = False
    return app


async def until(pilot: Pilot[Any], check: Callable[[], Any], wait: float = 10.0) -> Any:
    """Let the app run until check() is truthy (its value is returned)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        value = check()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {check}")
        await pilot.pause(0.02)


def shown(app: PycodexApp) -> str:
    """The text of every static widget and markdown document on the screen, in order."""
    from textual.widgets import Markdown, OptionList, Static

    parts: list[str] = []
    for widget in app.screen.walk_children():
        if isinstance(widget, Markdown):
            parts.append(widget.source)
        elif isinstance(widget, OptionList):
            parts += [str(widget.get_option_at_index(i).prompt) for i in range(widget.option_count)]
        elif isinstance(widget, Static) and widget.display:
            content = widget.content
            parts.append(content.plain if hasattr(content, "plain") else str(content))
    return "\n".join(parts)


async def typed(pilot: Pilot[Any], text: str) -> None:
    """Type text into the focused widget, key by key."""
    for ch in text:
        await pilot.press(ch if ch != " " else "space")


def approval_focused(app: PycodexApp) -> bool:
    """Whether an approval is on screen and holds the focus (keys go to it)."""
    return app.focused is not None and app.focused.id == "approval"


def git(ws: Path, *args: str) -> None:
    """Run git in ws (a few milliseconds: tests call it before the app starts)."""
    import subprocess

    subprocess.run(["git", "-C", str(ws), "-c", "user.email=t@t", "-c", "user.name=t", *args],
                   check=True, capture_output=True)
