"""The UI's state in one place, updated only from protocol events (pure: no widgets, no I/O)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pycodex.protocol import events as ev
from pycodex.protocol.command_display import display_command
from pycodex.protocol.goals import ThreadGoal, ThreadGoalUpdated
from pycodex.protocol.policies import (
    AskForApproval,
    ReasoningEffort,
    ReasoningSummary,
    SandboxPolicy,
    WorkspaceWrite,
)
from pycodex.protocol.usage import RateLimitSnapshot, TokenUsageInfo
from pycodex.tui import cells as c

ApprovalRequest = ev.ExecApprovalRequest | ev.ApplyPatchApprovalRequest


@dataclass
class PendingApproval:
    """A request waiting for the user; `sub_id` is what the answer op carries."""

    sub_id: str
    request: ApprovalRequest


@dataclass
class Update:
    """What one batch of events changed, for the view to redraw."""

    added: list[c.Cell] = field(default_factory=list)
    changed: list[c.Cell] = field(default_factory=list)
    history: ev.GetHistoryEntryResponse | None = None
    shutdown: bool = False
    turn_ended: bool = False

    def touch(self, cell: c.Cell) -> None:
        """Note a changed cell once (an added one is drawn whole anyway)."""
        if cell not in self.added and cell not in self.changed:
            self.changed.append(cell)


@dataclass
class UIState:
    """Session settings, the running turn, pending approvals and the transcript's cells."""

    session_id: str = ""
    model: str = ""
    provider: str | None = None
    effort: ReasoningEffort | None = None
    summary: ReasoningSummary | None = None
    approval: AskForApproval = AskForApproval.ON_REQUEST
    sandbox: SandboxPolicy = field(default_factory=WorkspaceWrite)
    cwd: Path = field(default_factory=Path.cwd)
    rollout_path: Path | None = None
    history_log_id: int = 0
    history_count: int = 0
    context_window: int | None = None
    tokens: TokenUsageInfo | None = None
    rate_limits: RateLimitSnapshot | None = None
    goal: ThreadGoal | None = None
    running: bool = False
    turn_started: float | None = None  # time.monotonic() when the turn began
    queued: int = 0  # messages sent mid-turn that the model has not taken yet
    approvals: list[PendingApproval] = field(default_factory=list)
    cells: list[c.Cell] = field(default_factory=list)
    shut_down: bool = False
    reviewing: str | None = None  # what the running review looks at
    _agent: c.AgentCell | None = None
    _review: c.ReviewResultCell | None = None  # an ended review whose answer is still to come
    _reasoning: c.ReasoningCell | None = None
    _execs: dict[str, c.ExecCell] = field(default_factory=dict)
    _patches: dict[str, c.PatchCell] = field(default_factory=dict)

    # ---- derived ------------------------------------------------------------------------
    def context_left(self) -> int | None:
        """Percent of the context window left, once the model has reported usage."""
        window = (self.tokens.model_context_window if self.tokens else None) or self.context_window
        if window is None:
            return None
        if self.tokens is None:
            return 100
        return self.tokens.last_token_usage.percent_of_context_window_remaining(window)

    def elapsed(self, now: float | None = None) -> float:
        """Seconds the running turn has taken."""
        if self.turn_started is None:
            return 0.0
        return (time.monotonic() if now is None else now) - self.turn_started

    # ---- local changes (made by the user, not reported by the session) -----------------
    def add(self, cell: c.Cell) -> c.Cell:
        """Append a cell the UI made itself (notices, /status, /diff)."""
        self.cells.append(cell)
        return cell

    def take_approval(self) -> PendingApproval | None:
        """The oldest pending approval, removed (it is being answered)."""
        return self.approvals.pop(0) if self.approvals else None

    # ---- events -------------------------------------------------------------------------
    def apply_all(self, events: Iterable[ev.Event]) -> Update:
        """Fold a batch of events into the state; says which cells to redraw."""
        update = Update()
        for event in events:
            self.apply(event, update)
        return update

    def apply(self, event: ev.Event, update: Update) -> None:
        """Fold one event into the state."""
        msg = event.msg
        if self._review is not None and not isinstance(msg, ev.AgentMessage):
            self._review = None  # a review's answer comes right after its end, or not at all
        if isinstance(msg, ev.AgentMessageDelta):
            cell = self._agent or self._new(c.AgentCell(), update)
            self._agent = cell
            cell.text += msg.delta
            update.touch(cell)
        elif isinstance(msg, ev.AgentReasoningDelta):
            rcell = self._reasoning or self._new(c.ReasoningCell(), update)
            self._reasoning = rcell
            rcell.text += msg.delta
            update.touch(rcell)
        elif isinstance(msg, ev.ExecCommandOutputDelta):
            self._exec_output(msg, update)
        else:
            self._apply_other(event.id, msg, update)

    def _new(self, cell: c.CellT, update: Update) -> c.CellT:
        self.cells.append(cell)
        update.added.append(cell)
        return cell

    def _exec_output(self, msg: ev.ExecCommandOutputDelta, update: Update) -> None:
        import base64
        import binascii

        cell = self._execs.get(msg.call_id)
        if cell is None:
            return
        try:
            cell.feed(base64.b64decode(msg.chunk))
        except (binascii.Error, ValueError):
            return  # a malformed chunk shows nothing rather than garbage
        update.touch(cell)

    def _apply_other(self, sub_id: str, msg: ev.EventMsg, update: Update) -> None:
        if isinstance(msg, ev.SessionConfigured):
            self._configured(msg, update)
        elif isinstance(msg, ev.TaskStarted):
            self.running = True
            self.turn_started = time.monotonic()
            if msg.model_context_window:
                self.context_window = msg.model_context_window
        elif isinstance(msg, ev.TaskComplete | ev.TurnAborted):
            self._end_turn(update, killed=isinstance(msg, ev.TurnAborted))
            if isinstance(msg, ev.TurnAborted):
                self._new(c.InfoCell(text=_aborted_text(msg.reason), tone="warning"), update)
        elif isinstance(msg, ev.UserMessageEvent):
            if msg.kind in (None, ev.UserMessageKind.PLAIN):
                self._close_streams(update)
                self.queued = max(0, self.queued - 1) if self.running else 0
                self._new(c.UserCell(text=msg.message), update)
        elif isinstance(msg, ev.AgentMessage) and self._review is not None:
            # The answer after a review is the review itself: its cell shows it once.
            self._review.text = msg.message
            update.touch(self._review)
            self._review = self._agent = None
        elif isinstance(msg, ev.AgentMessage):
            cell = self._agent
            if cell is None:
                cell = self._new(c.AgentCell(text=msg.message), update)
            else:
                cell.text = msg.message  # the final text wins over what streamed
                update.touch(cell)
            cell.done = True
            self._agent = None
        elif isinstance(msg, ev.AgentReasoning):
            rcell = self._reasoning
            if rcell is None:
                rcell = self._new(c.ReasoningCell(text=msg.text), update)
            else:
                rcell.text = msg.text
                update.touch(rcell)
            rcell.done = True
            self._reasoning = None
        elif isinstance(msg, ev.AgentReasoningSectionBreak):
            self._reasoning = None
        elif isinstance(msg, ev.ExecCommandBegin):
            self._close_streams(update)
            ecell = c.ExecCell(call_id=msg.call_id, command=display_command(msg.command), cwd=msg.cwd)
            self._execs[msg.call_id] = self._new(ecell, update)
        elif isinstance(msg, ev.ExecCommandEnd):
            self._exec_end(msg, update)
        elif isinstance(msg, ev.PatchApplyBegin):
            self._close_streams(update)
            self._patches[msg.call_id] = self._new(c.PatchCell(changes=dict(msg.changes)), update)
        elif isinstance(msg, ev.PatchApplyEnd):
            pcell = self._patches.pop(msg.call_id, None)
            if pcell is not None:
                pcell.success = msg.success
                pcell.error = msg.stderr.strip()
                update.touch(pcell)
        elif isinstance(msg, ev.PlanUpdate):
            self._close_streams(update)
            self._new(c.PlanCell(explanation=msg.explanation, items=list(msg.plan)), update)
        elif isinstance(msg, ev.ExecApprovalRequest | ev.ApplyPatchApprovalRequest):
            self._close_streams(update)
            self.approvals.append(PendingApproval(sub_id, msg))
        elif isinstance(msg, ev.ErrorEvent):
            hint = c.error_hint(msg.codex_error_info, msg.message)
            self._new(c.ErrorCell(message=msg.message, hint=hint), update)
        elif isinstance(msg, ev.StreamError | ev.WarningEvent):
            self._new(c.InfoCell(text=msg.message, tone="warning"), update)
        elif isinstance(msg, ev.BackgroundEvent):
            self._new(c.InfoCell(text=msg.message, tone="dim"), update)
        elif isinstance(msg, ev.EnteredReviewMode):
            self._close_streams(update)
            self.reviewing = msg.user_facing_hint or "the changes"
            self._new(c.ReviewStartCell(hint=self.reviewing), update)
        elif isinstance(msg, ev.ExitedReviewMode):
            self._close_streams(update)
            result = c.ReviewResultCell(hint=self.reviewing or "", output=msg.review_output, cwd=self.cwd)
            self._review = self._new(result, update)
            self.reviewing = None
        elif isinstance(msg, ev.ContextCompacted):
            self._new(c.InfoCell(text="Context compacted.", tone="dim"), update)
        elif isinstance(msg, ev.TokenCount):
            if msg.info is not None:
                self.tokens = msg.info
            if msg.rate_limits is not None:
                self.rate_limits = msg.rate_limits
        elif isinstance(msg, ThreadGoalUpdated):
            self.goal = msg.goal
        elif isinstance(msg, ev.GetHistoryEntryResponse):
            update.history = msg
        elif isinstance(msg, ev.ShutdownComplete):
            self.shut_down = True
            update.shutdown = True

    def _configured(self, msg: ev.SessionConfigured, update: Update) -> None:
        self.session_id = msg.session_id
        self.model = msg.model
        self.provider = msg.model_provider_id
        self.effort = msg.reasoning_effort or self.effort
        if msg.approval_policy is not None:
            self.approval = msg.approval_policy
        if msg.sandbox_policy is not None:
            self.sandbox = msg.sandbox_policy
        if msg.cwd is not None:
            self.cwd = msg.cwd
        self.rollout_path = msg.rollout_path
        self.history_log_id = msg.history_log_id
        self.history_count = msg.history_entry_count
        # A resumed session replays its recorded events: the history is shown, nothing runs.
        for old in msg.initial_messages or []:
            self.apply(ev.Event(id="", msg=old), update)
        self._end_turn(update)

    def _exec_end(self, msg: ev.ExecCommandEnd, update: Update) -> None:
        cell = self._execs.pop(msg.call_id, None)
        if cell is None:  # an end without a begin (e.g. replayed history): show it whole
            command = display_command(msg.command) if msg.command else "(command)"
            cell = self._new(c.ExecCell(call_id=msg.call_id, command=command, cwd=msg.cwd), update)
        cell.exit_code = msg.exit_code
        cell.duration = msg.duration.seconds()
        cell.output = msg.aggregated_output or (msg.stdout + msg.stderr)
        update.touch(cell)

    def _close_streams(self, update: Update) -> None:
        """A new item starts: whatever streamed before it is complete."""
        for cell in (self._agent, self._reasoning):
            if cell is not None:
                cell.done = True
                update.touch(cell)
        self._agent = None
        self._reasoning = None

    def _end_turn(self, update: Update, killed: bool = False) -> None:
        self._close_streams(update)
        self.running = False
        self.reviewing = self._review = None
        self.turn_started = None
        self.queued = 0
        self.approvals.clear()  # the session denies what was still waiting
        if killed:  # an interrupt kills every command; one still running after a finished
            # turn (a background exec session) keeps its cell until it ends.
            for cell in self._execs.values():
                cell.exit_code = -1
                update.touch(cell)
            self._execs.clear()
        update.turn_ended = True


def _aborted_text(reason: ev.TurnAbortReason) -> str:
    if reason is ev.TurnAbortReason.INTERRUPTED:
        return "■ Interrupted. Tell the model what to do differently."
    return f"■ Turn aborted ({reason.value})."
