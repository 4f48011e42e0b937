"""Human-readable `exec` output: progress on stderr, the final answer on stdout."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from pycodex.protocol import events as ev
from pycodex.protocol.command_display import display_command

if TYPE_CHECKING:
    from pycodex.config.config import Config

MAX_OUTPUT_LINES = 20


class HumanOutput:
    """Streams what the agent does in a readable form, with a spinner while it thinks."""

    def __init__(self, config: Config, color: str = "auto") -> None:
        from rich.console import Console
        from rich.markup import escape

        self._esc = escape

        force = {"always": True, "never": False}.get(color)
        # soft_wrap: long lines are left to the terminal (or the log file), never hard-wrapped.
        self._err = Console(stderr=True, force_terminal=force, no_color=color == "never", highlight=False,
                            soft_wrap=True)
        self._config = config
        self._status: Any = None
        self._had_error = False
        self._aborted = False
        self.last_agent_message: str | None = None

    @property
    def failed(self) -> bool:
        """Whether the run failed (exit code 1)."""
        return self._had_error or self._aborted

    def _spin(self, on: bool) -> None:
        if not self._err.is_terminal:
            return
        if on and self._status is None:
            self._status = self._err.status("thinking…", spinner="dots")
            self._status.start()
        elif not on and self._status is not None:
            self._status.stop()
            self._status = None

    def handle(self, event: Any) -> None:
        """Render one event."""
        msg = event.msg
        p = self._err.print
        if isinstance(msg, ev.SessionConfigured):
            p(f"[bold]pycodex[/] model [cyan]{msg.model}[/] · provider {msg.model_provider_id} "
              f"· sandbox {msg.sandbox_policy.type if msg.sandbox_policy else '?'} "
              f"· approval {msg.approval_policy.value if msg.approval_policy else '?'}")
            p(f"[dim]workdir {self._esc(str(msg.cwd))} · session {msg.session_id}[/]")
            return
        if isinstance(msg, ev.AgentMessageDelta | ev.AgentReasoningDelta | ev.ExecCommandOutputDelta):
            return
        self._spin(False)
        if isinstance(msg, ev.UserMessageEvent):
            p(f"[bold]user[/] {self._esc(msg.message)}")
        elif isinstance(msg, ev.EnteredReviewMode):
            p(f"[bold]review[/] {self._esc(msg.user_facing_hint or '')}")
        elif isinstance(msg, ev.AgentReasoning):
            if not self._config.hide_agent_reasoning:
                p(f"[dim italic]thinking: {self._esc(msg.text)}[/]")
        elif isinstance(msg, ev.ExecCommandBegin):
            p(f"[magenta]exec[/] {self._esc(display_command(msg.command))} [dim]in {self._esc(str(msg.cwd))}[/]")
        elif isinstance(msg, ev.ExecCommandEnd):
            style = "green" if msg.exit_code == 0 else "red"
            p(f"[{style}]exit {msg.exit_code}[/] [dim]({msg.duration.seconds():.2f}s)[/]")
            self._print_output(msg.aggregated_output)
        elif isinstance(msg, ev.PatchApplyBegin):
            for path, change in msg.changes.items():
                p(f"[magenta]patch[/] {change.type} {self._esc(str(path))}")
        elif isinstance(msg, ev.PatchApplyEnd):
            p("[green]patch applied[/]" if msg.success else f"[red]patch failed[/] {self._esc(msg.stderr)}")
        elif isinstance(msg, ev.PlanUpdate):
            marks = {"completed": "x", "in_progress": ">", "pending": " "}
            for item in msg.plan:
                p(f"  \\[{marks[item.status.value]}] {self._esc(item.step)}")
        elif isinstance(msg, ev.AgentMessage):
            self.last_agent_message = msg.message
            p(f"[bold cyan]pycodex[/] {self._esc(msg.message)}")
        elif isinstance(msg, ev.ErrorEvent):
            self._had_error = True
            p(f"[bold red]error[/] {self._esc(msg.message)}")
        elif isinstance(msg, ev.StreamError | ev.WarningEvent | ev.BackgroundEvent):
            p(f"[yellow]{self._esc(msg.message)}[/]")
        elif isinstance(msg, ev.TurnAborted):
            self._aborted = True
            p(f"[red]turn aborted ({msg.reason.value})[/]")
        elif isinstance(msg, ev.TokenCount) and msg.info is not None:
            t = msg.info.total_token_usage
            p(f"[dim]tokens: {t.input_tokens} in ({t.cached_input_tokens} cached), {t.output_tokens} out[/]")
        elif isinstance(msg, ev.TaskComplete):
            if msg.last_agent_message is not None:
                self.last_agent_message = msg.last_agent_message
            return
        if isinstance(msg, ev.TaskStarted | ev.ExecCommandEnd | ev.PatchApplyEnd | ev.TokenCount):
            self._spin(True)

    def _print_output(self, text: str) -> None:
        lines = text.rstrip("\n").splitlines()
        shown = lines[:MAX_OUTPUT_LINES]
        for line in shown:
            self._err.print(f"  [dim]{self._esc(line)}[/]", highlight=False, soft_wrap=True)
        if len(lines) > len(shown):
            self._err.print(f"  [dim]… {len(lines) - len(shown)} more lines[/]")

    def finish(self) -> None:
        """Stop the spinner and print the final answer on stdout."""
        self._spin(False)
        if self.last_agent_message:
            sys.stdout.write(self.last_agent_message.rstrip("\n") + "\n")
            sys.stdout.flush()
