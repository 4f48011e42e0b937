"""An approval asked in place: what will run (or the diff), and keys to answer it."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Static

from pycodex.protocol import events as ev
from pycodex.protocol.command_display import display_command
from pycodex.protocol.policies import ReviewDecision
from pycodex.tui import cells as c
from pycodex.tui.cell_views import diff_text
from pycodex.tui.state import PendingApproval

KEYS = (
    ("y", "Yes, proceed"),
    ("a", "Yes, and don't ask again this session"),
    ("n", "No"),
    ("t", "No, and tell the model what to do instead"),
)


def request_text(request: ev.ExecApprovalRequest | ev.ApplyPatchApprovalRequest) -> Text:
    """What the request would do: the command, cwd and reason; or the patch's diff."""
    if isinstance(request, ev.ExecApprovalRequest):
        out = Text.assemble(("Allow this command?\n", "bold"), ("$ ", "dim"),
                            (display_command(request.command), "bold"), "\n",
                            ("in ", "dim"), str(request.cwd))
        if request.reason:
            out.append("\nwhy: ", style="dim")
            out.append(request.reason, style="italic")
        return out
    n = len(request.changes)
    out = Text.assemble((f"Apply this patch to {n} file{'s' if n != 1 else ''}?", "bold"))
    if request.reason:
        out.append("\nwhy: ", style="dim")
        out.append(request.reason, style="italic")
    if request.grant_root:
        out.append(f"\nand allow writes under {request.grant_root} for this session", style="dim")
    out.append("\n")
    out.append(diff_text(c.diff_lines(dict(request.changes))))
    return out


def keys_text() -> Text:
    """The answer keys."""
    out = Text()
    for key, label in KEYS:
        out.append(f" {key} ", style="bold reverse")
        out.append(f" {label}   ")
    return out


class ApprovalPanel(Vertical):
    """Holds the focus until the request is answered; nothing else proceeds meanwhile."""

    DEFAULT_CSS = """
    ApprovalPanel { height: auto; max-height: 70%; border: round $warning; padding: 0 1; }
    ApprovalPanel VerticalScroll { height: auto; max-height: 20; }
    ApprovalPanel Input { display: none; }
    ApprovalPanel.telling Input { display: block; }
    """
    can_focus = True

    class Decided(Message):
        """The user answered: the decision, and what to tell the model instead (if anything)."""

        def __init__(self, pending: PendingApproval, decision: ReviewDecision,
                     feedback: str | None = None) -> None:
            super().__init__()
            self.pending = pending
            self.decision = decision
            self.feedback = feedback

    def __init__(self, pending: PendingApproval) -> None:
        super().__init__(id="approval")
        self.pending = pending

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(request_text(self.pending.request))
        yield Static(keys_text(), classes="keys")
        yield Input(placeholder="What should the model do instead? (Enter sends, Esc goes back)")

    def on_mount(self) -> None:
        """Take the focus."""
        self.focus()

    def _decide(self, decision: ReviewDecision, feedback: str | None = None) -> None:
        self.post_message(self.Decided(self.pending, decision, feedback))

    def on_key(self, event: events.Key) -> None:
        """y / a / n / t; every other key is swallowed while the question is open."""
        if self.has_class("telling"):
            if event.key == "escape":
                event.stop()
                self.remove_class("telling")
                self.focus()
            return
        key = event.key
        if key == "y":
            self._decide(ReviewDecision.APPROVED)
        elif key == "a":
            self._decide(ReviewDecision.APPROVED_FOR_SESSION)
        elif key == "n":
            self._decide(ReviewDecision.DENIED)
        elif key == "t":
            self.add_class("telling")
            self.query_one(Input).focus()
        elif key in ("escape", "ctrl+c"):
            return  # the app's bindings: abort the turn
        event.stop()
        event.prevent_default()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """The instruction for the model: decline, and pass it on."""
        event.stop()
        text = event.value.strip()
        if text:
            self._decide(ReviewDecision.DENIED, text)
