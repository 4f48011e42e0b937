"""The status line (model, effort, approvals, sandbox, cwd, context left) and the working
indicator (spinner, elapsed time, queued input)."""

from __future__ import annotations

import os
from pathlib import Path

from rich.text import Text
from textual.widgets import Static

from pycodex.protocol.policies import AskForApproval, SandboxPolicy, sandbox_mode_of
from pycodex.tui.state import UIState

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


def short_path(path: Path, home: str | None = None) -> str:
    """A path with the home directory shown as ~."""
    home = home if home is not None else os.path.expanduser("~")
    s = str(path)
    if home and home != "/" and (s == home or s.startswith(home + "/")):
        return "~" + s[len(home):]
    return s


def format_elapsed(seconds: float) -> str:
    """12s, 3m 04s, 1h 02m 03s."""
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    return f"{s // 3600}h {(s % 3600) // 60:02d}m {s % 60:02d}s"


def approval_label(approval: AskForApproval, sandbox: SandboxPolicy) -> str:
    """The approval policy and sandbox, as the status line shows them."""
    return f"{approval.value} · {sandbox_mode_of(sandbox).value}"


def status_text(state: UIState, width: int = 1000) -> Text:
    """model effort · approval · sandbox · N% context left · cwd (cut from the left to fit)."""
    model = state.model + (f" {state.effort.value}" if state.effort else "")
    parts = [model, approval_label(state.approval, state.sandbox)]
    left = state.context_left()
    if left is not None:
        parts.append(f"{left}% context left")
    head = "  " + " · ".join(parts) + " · "
    cwd = short_path(state.cwd)
    room = width - len(head) - 1
    if len(cwd) > room:
        cwd = "…" + cwd[-max(room - 1, 8):]
    return Text(head + cwd, style="dim")


def working_text(state: UIState, tick: int, now: float | None = None) -> Text:
    """⠋ Working (12s · esc to interrupt) (or Reviewing <what>), and a hint when input is
    queued."""
    if not state.running:
        return Text("")
    frame = SPINNER[tick % len(SPINNER)]
    out = Text.assemble(
        (f"{frame} ", "cyan"),
        (f"Reviewing {state.reviewing}" if state.reviewing else "Working", "bold"),
        (f" ({format_elapsed(state.elapsed(now))} · esc to interrupt)", "dim"),
    )
    if state.queued:
        n = state.queued
        out.append(f"\n  ↳ {n} message{'s' if n != 1 else ''} queued: the model reads "
                   f"{'them' if n != 1 else 'it'} at its next step", style="yellow")
    return out


class WorkingLine(Static):
    """Spinner and elapsed time while a turn runs; empty (and hidden) otherwise."""

    DEFAULT_CSS = """
    WorkingLine { height: auto; padding: 0 1; display: none; }
    WorkingLine.on { display: block; }
    """

    def __init__(self) -> None:
        super().__init__("", id="working")
        self._tick = 0

    def refresh_from(self, state: UIState, advance: bool = False) -> None:
        """Redraw from the state (advance the spinner on a timer tick)."""
        if advance:
            self._tick += 1
        # While a question waits for the user nothing is working: the panel says what waits.
        on = state.running and not state.approvals
        self.set_class(on, "on")
        if on:
            self.update(working_text(state, self._tick))


class StatusLine(Static):
    """The line under the composer."""

    DEFAULT_CSS = """
    StatusLine { height: 1; }
    """

    def __init__(self) -> None:
        super().__init__("", id="status")
        self._state: UIState | None = None

    def refresh_from(self, state: UIState) -> None:
        """Redraw from the state."""
        self._state = state
        self.update(status_text(state, self.size.width or 80))

    def on_resize(self) -> None:
        """Fit the line to the new width."""
        if self._state is not None:
            self.update(status_text(self._state, self.size.width))
