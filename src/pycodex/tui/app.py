"""The textual app: lays out the widgets, pumps events into the state, sends the user's ops."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import ClassVar, Protocol

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.driver import Driver
from textual.widgets import TextArea

from pycodex.protocol import events as ev
from pycodex.protocol import ops
from pycodex.protocol.inputs import InputItem, LocalImageInput, TextInput
from pycodex.protocol.policies import ReasoningSummary, ReviewDecision
from pycodex.tui import cells as c
from pycodex.tui import commands, files, slash
from pycodex.tui.approval import ApprovalPanel
from pycodex.tui.cell_views import Transcript
from pycodex.tui.client import AgentClient
from pycodex.tui.composer import Composer, Suggestions
from pycodex.tui.history_nav import HistoryNav
from pycodex.tui.state import UIState, Update
from pycodex.tui.status import StatusLine, WorkingLine

FRAME_SECONDS = 1 / 30  # deltas that arrive within one frame are drawn together
QUIT_WINDOW_SECONDS = 2.0  # a second Ctrl-C within this quits
SHUTDOWN_WAIT_SECONDS = 15.0


class SessionFactory(Protocol):
    """Starts conversations for the app (in-process today; an app-server later)."""

    home: Path
    summary: ReasoningSummary | None

    async def start(self, resume: Path | None) -> AgentClient:
        """A new conversation, or the recorded one at `resume`, continued."""
        ...


class PycodexApp(App[None]):
    """pycodex's interactive UI."""

    TITLE = "pycodex"
    CSS = """
    Screen { layout: vertical; }
    #log { height: 1fr; scrollbar-size-vertical: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c", "ctrl_c", "interrupt / quit", priority=True, show=False),
        Binding("escape", "escape", "interrupt", show=False),
    ]
    ENABLE_COMMAND_PALETTE = False

    def __init__(self, factory: SessionFactory, *, prompt: str | None = None,
                 images: list[Path] | None = None, resume: Path | None = None,
                 pick_resume: bool = False, driver_class: type[Driver] | None = None) -> None:
        super().__init__(driver_class=driver_class)
        self.factory = factory
        self.state = UIState(summary=factory.summary)
        self.client: AgentClient | None = None
        self.history = HistoryNav()
        self._prompt = prompt
        self._images = list(images or [])
        self._resume = resume
        self._pick_resume = pick_resume
        self._quit_armed_at: float | None = None
        self._pump_done: asyncio.Event = asyncio.Event()
        self._files: list[str] | None = None
        self._quitting = False
        self.ended_thread_id: str | None = None  # for the resume hint printed on exit
        # Held directly: `query_one` would search whichever screen is on top (a picker).
        self.popup = Suggestions()
        self.composer = Composer(self.popup)
        self.working = WorkingLine()
        self.status_line = StatusLine()
        self.log_view = VerticalScroll(id="log")
        self.transcript = Transcript()

    # ---- layout -------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with self.log_view:
            yield self.transcript
        yield self.working
        yield self.popup
        yield self.composer
        yield self.status_line

    def on_mount(self) -> None:
        """Start (or pick) the session; keep the spinner moving."""
        self.log_view.anchor()
        self.composer.focus()
        self.set_interval(0.1, self._tick)
        if self._pick_resume:
            commands.pick_session(self, on_pick=self._first_session)
        else:
            self._first_session(self._resume)

    def _first_session(self, resume: Path | None) -> None:
        self.connect(resume)

    def _tick(self) -> None:
        self.working.refresh_from(self.state, advance=True)

    def notice(self, text: str, tone: str = "info") -> None:
        """Show a notice in the transcript."""
        self.show_cells([self.state.add(c.InfoCell(text=text, tone=tone))])

    def refresh_status(self) -> None:
        """Redraw the status line (after a local settings change)."""
        self.status_line.refresh_from(self.state)

    def show_cells(self, cells: list[c.Cell]) -> None:
        """Draw cells the UI added itself."""
        self.transcript.add_cells(cells)
        self.log_view.scroll_end(animate=False)

    # ---- the session --------------------------------------------------------------------
    @work(exclusive=True, group="connect")
    async def connect(self, resume: Path | None) -> None:
        """Start a conversation (new, or the recorded one) and pump its events."""
        try:
            client = await self.factory.start(resume)
        except Exception as e:  # a bad rollout, a config problem: say it, stay usable
            self.show_cells([self.state.add(c.ErrorCell(
                message=f"could not start the session: {e}",
                hint="Quit with Ctrl-C twice and check the message above.",
            ))])
            return
        self.client = client
        self._pump_done = asyncio.Event()
        self.run_worker(self._pump(client), group="pump", exclusive=True)

    async def _pump(self, client: AgentClient) -> None:
        try:
            while True:
                batch = [await client.next_event()]
                while (more := client.next_event_nowait()) is not None:
                    batch.append(more)
                update = self.state.apply_all(batch)
                self._render(update)
                if any(isinstance(e.msg, ev.SessionConfigured) for e in batch):
                    await self._configured()
                if update.shutdown:
                    return
                if any(isinstance(e.msg, ev.AgentMessageDelta | ev.ExecCommandOutputDelta)
                       for e in batch):
                    await asyncio.sleep(FRAME_SECONDS)  # let the next frame's deltas pile up
        finally:
            self._pump_done.set()

    async def _configured(self) -> None:
        self.history = HistoryNav(self.state.history_log_id, self.state.history_count)
        self.ended_thread_id = self.state.session_id
        self._files = None
        if self._prompt:
            prompt, self._prompt = self._prompt, None
            await self.send_message(prompt)

    def _render(self, update: Update) -> None:
        self.transcript.add_cells(update.added)
        self.transcript.changed(update.changed)
        self.working.refresh_from(self.state)
        self.status_line.refresh_from(self.state)
        if update.history is not None:
            text = self.history.fetched(update.history.offset,
                                        update.history.entry.text if update.history.entry else None)
            if text is not None:
                self.composer.set_text(text)
        self._show_approval()

    async def submit(self, op: ops.Op) -> str | None:
        """Send an op to the session (nothing when none is connected)."""
        if self.client is None or self.state.shut_down:
            return None
        return await self.client.submit(op)

    async def send_message(self, text: str) -> None:
        """Send the user's message: a new turn, or input for the running one."""
        items: list[InputItem] = [LocalImageInput(path=p) for p in self._images]
        self._images = []
        items.append(TextInput(text=text))
        s = self.state
        if s.running:
            s.queued += 1
        await self.submit(ops.UserTurn(items=items, cwd=s.cwd, approval_policy=s.approval,
                                       sandbox_policy=s.sandbox, model=s.model, effort=s.effort,
                                       summary=s.summary))
        await self.submit(ops.AddToHistory(text=text))
        self.history.record(text)
        self.working.refresh_from(s)

    async def end_session(self) -> None:
        """Shut the conversation down (commands killed, rollout flushed) and wait for it."""
        if self.client is not None and not self.state.shut_down:
            await self.client.submit(ops.Shutdown())
            try:
                await asyncio.wait_for(self._pump_done.wait(), SHUTDOWN_WAIT_SECONDS)
            except TimeoutError:
                pass
        self.client = None

    async def switch_session(self, resume: Path | None) -> None:
        """End this conversation and start another (/new, /resume)."""
        await self.end_session()
        self.state = UIState(summary=self.factory.summary)
        self.transcript.clear()
        self.connect(resume)

    # ---- approvals ----------------------------------------------------------------------
    def _show_approval(self) -> None:
        panels = self.screen_stack[0].query(ApprovalPanel)
        if panels:
            if not self.state.approvals:  # the turn ended: the session denied it
                panels.remove()
                self._restore_composer()
            return
        if self.state.approvals:
            self.popup.close()
            self.composer.display = False
            self.composer.disabled = True  # no key reaches it until the question is answered
            self.screen_stack[0].mount(ApprovalPanel(self.state.approvals[0]), before=self.status_line)
            self.call_after_refresh(self.log_view.scroll_end, animate=False)

    def _restore_composer(self) -> None:
        self.composer.disabled = False
        self.composer.display = True
        self.call_after_refresh(self.log_view.scroll_end, animate=False)
        self.composer.focus()

    @on(ApprovalPanel.Decided)
    async def _decided(self, event: ApprovalPanel.Decided) -> None:
        pending = self.state.take_approval()
        for panel in self.screen_stack[0].query(ApprovalPanel):
            await panel.remove()
        if pending is None:
            self._restore_composer()
            return
        if event.feedback:
            # Queued before the answer, so the model reads it right after the refusal.
            self.state.queued += 1
            await self.submit(ops.UserInput(items=[TextInput(text=event.feedback)]))
        is_exec = isinstance(pending.request, ev.ExecApprovalRequest)
        op = (ops.ExecApproval(id=pending.sub_id, decision=event.decision) if is_exec
              else ops.PatchApproval(id=pending.sub_id, decision=event.decision))
        await self.submit(op)
        if event.decision is ReviewDecision.DENIED and not event.feedback:
            self.notice("✗ Declined.", tone="dim")
        if self.state.approvals:
            self._show_approval()
        else:
            self._restore_composer()

    # ---- keys ---------------------------------------------------------------------------
    async def action_ctrl_c(self) -> None:
        """Interrupt a running turn; clear the composer; twice on an idle one: quit."""
        if self.state.running:
            await self.submit(ops.Interrupt())
            return
        if self.composer.text:
            self.composer.take()
            return
        now = time.monotonic()
        if self._quit_armed_at is not None and now - self._quit_armed_at < QUIT_WINDOW_SECONDS:
            await self.quit_app()
            return
        self._quit_armed_at = now
        self.notify("Press Ctrl-C again to quit", timeout=QUIT_WINDOW_SECONDS)

    async def action_escape(self) -> None:
        """Esc interrupts a running turn."""
        if self.popup.is_open:
            self.popup.close()
        elif self.state.running:
            await self.submit(ops.Interrupt())

    async def quit_app(self) -> None:
        """Flush and end the session, then leave."""
        if self._quitting:
            return
        self._quitting = True
        self.composer.disabled = True
        self.status_line.update("  shutting down…")
        await self.end_session()
        self.exit()

    # ---- the composer -------------------------------------------------------------------
    @on(Composer.Submitted)
    async def _submitted(self, event: Composer.Submitted) -> None:
        text = event.text
        self.popup.close()
        command = slash.parse(text)
        self.composer.take()
        if command is not None:
            await commands.run(self, command)
            return
        await self.send_message(text)

    @on(Composer.QuitRequested)
    async def _ctrl_d(self) -> None:
        await self.quit_app()

    @on(Composer.HistoryStep)
    async def _history_step(self, event: Composer.HistoryStep) -> None:
        got = self.history.older(self.composer.text) if event.older else self.history.newer()
        if got is None:
            return
        self.composer.browsing_history = self.history.browsing
        if isinstance(got, str):
            self.composer.set_text(got)
            self.composer.browsing_history = self.history.browsing
        else:
            await self.submit(ops.GetHistoryEntryRequest(offset=got, log_id=self.history.log_id))

    @on(TextArea.Changed, "#composer")
    async def _composer_changed(self) -> None:
        text = self.composer.text
        if not self.composer.browsing_history:
            self.history.reset()
        items = slash.matches(text)
        if items:
            self.popup.show("slash", items)
            return
        cursor = self.composer.cursor_offset()
        token = files.at_token(text, cursor)
        if token is None:
            self.popup.close()
            return
        if self._files is None:
            self._files = await files.list_files(self.state.cwd)
        found = files.rank(token[1], self._files)
        self.popup.show("file", [(p, p) for p in found])

    @on(Composer.Picked)
    async def _picked(self, event: Composer.Picked) -> None:
        if event.kind == "slash":
            self.composer.take()
            await commands.run(self, slash.SlashCommand(event.value, "", True))
            return
        text = self.composer.text
        cursor = self.composer.cursor_offset()
        token = files.at_token(text, cursor)
        if token is None:
            return
        path = event.value if " " not in event.value else f'"{event.value}"'
        new = text[: token[0]] + path + " " + text[cursor:]
        self.composer.load_text(new)
        self.composer.move_cursor_to_offset(token[0] + len(path) + 1)
        self.popup.close()
