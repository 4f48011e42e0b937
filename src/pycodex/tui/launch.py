"""Running the UI: an in-process session factory, the app, and what is printed on exit."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from pycodex.protocol.policies import ReasoningSummary
from pycodex.tui.client import AgentClient, start_in_process

if TYPE_CHECKING:
    from pycodex.config.config import Config
    from pycodex.tui.app import PycodexApp


@dataclass
class InProcessFactory:
    """Conversations run in this process, all with the same config."""

    config: Config
    home: Path = field(init=False)
    summary: ReasoningSummary | None = field(init=False)

    def __post_init__(self) -> None:
        self.home = self.config.home
        self.summary = self.config.model_reasoning_summary

    async def start(self, resume: Path | None) -> AgentClient:
        """A new conversation, or the recorded one at `resume`, continued."""
        from pycodex.session.codex import InitialHistory

        initial = InitialHistory(kind="resumed", rollout_path=resume) if resume else None
        return await start_in_process(self.config, initial)


@dataclass
class LaunchOptions:
    """What the command line asked the UI to do."""

    prompt: str | None = None
    images: list[Path] = field(default_factory=list)
    resume: Path | None = None
    pick_resume: bool = False


def build_app(config: Config, opts: LaunchOptions) -> PycodexApp:
    """The app over an in-process session."""
    from pycodex.tui.app import PycodexApp

    return PycodexApp(InProcessFactory(config), prompt=opts.prompt, images=opts.images,
                      resume=opts.resume, pick_resume=opts.pick_resume,
                      driver_class=stdout_driver() if sys.platform == "linux" else None)


def run_tui(config: Config, opts: LaunchOptions, out: TextIO | None = None) -> int:
    """Run the UI until the user quits; then leave the transcript and the resume command in
    the terminal's scrollback. Returns the exit code."""
    from pycodex.tui.exit_print import print_exit

    app = build_app(config, opts)
    app.run()
    print_exit(app.state, app.ended_thread_id, out or sys.stdout)
    return 0 if app.return_code in (None, 0) else app.return_code


def stdout_driver() -> type[Any]:
    """textual's Linux driver drawing on stdout, as Codex does: `pycodex 2>log` still shows
    the UI, and stderr stays free for warnings."""
    from textual.drivers.linux_driver import LinuxDriver

    class StdoutDriver(LinuxDriver):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._file = sys.__stdout__

    return StdoutDriver
