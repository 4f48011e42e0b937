"""`write_stdin`: feed a running exec_command session and read what it printed since."""

from __future__ import annotations

from pydantic import BaseModel

from pycodex.protocol.events import TerminalInteraction
from pycodex.tools.context import RespondToModel, ToolInvocation, ToolOutput, parse_args
from pycodex.tools.exec_call import ExecCallInfo
from pycodex.tools.orchestrator import finish_exec_call, output_forwarder

MIN_POLL_MS = 250
MAX_POLL_MS = 300_000


class WriteStdinArgs(BaseModel):
    session_id: int
    chars: str = ""
    yield_time_ms: int = 250
    max_output_tokens: int = 10_000


class WriteStdinHandler:
    """Writes to the process and reports the new output; ends its item when it exits."""

    async def handle(self, inv: ToolInvocation) -> ToolOutput:
        """Write, wait, and report."""
        from pycodex.exec.manager import STDIN_CLOSED, StdinClosedError, UnknownSessionError
        from pycodex.exec.output import format_exec_command_output

        args = parse_args(WriteStdinArgs, inv.payload)
        pm = inv.session.services.process_manager
        info = pm.session_owner(args.session_id)
        if not isinstance(info, ExecCallInfo):
            raise RespondToModel(f"write_stdin failed: Unknown process id {args.session_id}")
        if args.chars and not pm.accepts_input(args.session_id):
            raise RespondToModel(f"write_stdin failed: {STDIN_CLOSED}")  # Codex's words
        if args.chars:
            await inv.session.send_event(
                inv.sub_id,
                TerminalInteraction(
                    call_id=info.call_id, process_id=str(args.session_id), stdin=args.chars
                ),
            )
        try:
            outcome = await pm.write_stdin(
                args.session_id,
                args.chars,
                max(MIN_POLL_MS, min(MAX_POLL_MS, args.yield_time_ms)),
                max(1, args.max_output_tokens),
                output_forwarder(inv.session, inv.sub_id, info),
            )
        except (UnknownSessionError, StdinClosedError) as e:  # it ended meanwhile
            raise RespondToModel(f"write_stdin failed: {e}") from e
        text = format_exec_command_output(outcome, args.max_output_tokens)
        if outcome.note:  # input the process did not take: the model must know it was dropped
            sep = "" if text.endswith("\n") else "\n"
            text = f"{text}{sep}{outcome.note}"
        if outcome.exit_code is not None:
            await finish_exec_call(inv, info, outcome.exit_code, text)
        return ToolOutput(text)

    def parallel_safe(self, inv: ToolInvocation) -> bool:
        """Stdin writes are ordered."""
        return False
