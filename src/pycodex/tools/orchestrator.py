"""Running a command for the model: approval → sandbox → run → (on-failure) retry."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from pycodex.protocol.events import (
    BackgroundEvent,
    Duration,
    ExecCommandBegin,
    ExecCommandEnd,
    ExecCommandOutputDelta,
    ExecCommandSource,
    ExecOutputStream,
    ParsedCommand,
)
from pycodex.protocol.policies import AskForApproval, ReviewDecision
from pycodex.tools.context import (
    RespondToModel,
    ToolInvocation,
    ToolOutput,
    decline_unless_someone_can_answer,
)
from pycodex.tools.exec_call import ExecCallInfo

if TYPE_CHECKING:
    from pycodex.session.session import Session
    from pycodex.session.turn_context import TurnContext

MAX_DELTAS_PER_CALL = 10_000
# Variables that carry model credentials: never handed to commands unless the user sets them.
SECRET_ENV_VARS = ("OPENAI_API_KEY", "CODEX_API_KEY", "PYCODEX_API_KEY", "AZURE_OPENAI_API_KEY")


@dataclass
class CommandRequest:
    """A command the model wants to run, before policy is applied."""

    argv: list[str]
    cwd: Path
    escalated: bool = False
    justification: str | None = None
    tty: bool = False
    classic: bool = False  # classic `shell`: run to completion with a timeout
    yield_time_ms: int = 10_000
    max_output_tokens: int = 10_000
    timeout_ms: int = 10_000
    login_script: str | None = None  # `cmd` of a `shell -lc cmd`: may run from a snapshot


async def run_command(inv: ToolInvocation, req: CommandRequest) -> ToolOutput:
    """Decide, run, and report a command; everything the model should know is in the text."""
    sandboxed = await _approve(inv, req)
    out, failed_in_sandbox = await _execute(inv, req, sandboxed)
    if failed_in_sandbox and inv.tc.can_ask_user and inv.tc.approval_policy in (
        AskForApproval.ON_FAILURE,
        AskForApproval.UNTRUSTED,
    ):
        await inv.session.send_event(
            inv.sub_id, BackgroundEvent(message="Execution failed in the sandbox")
        )
        decision = await inv.session.request_command_approval(
            inv.sub_id, inv.call_id, req.argv, req.cwd, "command failed; retry without sandbox?"
        )
        if decision in (ReviewDecision.APPROVED, ReviewDecision.APPROVED_FOR_SESSION):
            inv.session.add_approved_command(req.argv)
            await inv.session.send_event(
                inv.sub_id, BackgroundEvent(message="retrying command without sandbox")
            )
            out, _ = await _execute(inv, req, sandboxed=False)
    return out


async def _approve(inv: ToolInvocation, req: CommandRequest) -> bool:
    """Apply the approval × sandbox rules; returns whether to sandbox the command."""
    from pycodex.exec.policy import AskUser, AutoApprove, Reject, assess_command_safety
    from pycodex.exec.sandbox.select import detect_backend

    tc = inv.tc
    backend = await asyncio.to_thread(detect_backend)  # the first call probes bubblewrap
    check = assess_command_safety(
        req.argv,
        tc.approval_policy,
        tc.sandbox_policy,
        inv.session.approved_commands(),
        req.escalated,
        backend is not None,
    )
    if isinstance(check, Reject):
        raise RespondToModel(f"exec command rejected: {check.reason}")
    if isinstance(check, AutoApprove):
        return check.sandboxed
    assert isinstance(check, AskUser)
    decline_unless_someone_can_answer(inv, "exec command", req.justification or check.reason)
    decision = await inv.session.request_command_approval(
        inv.sub_id, inv.call_id, req.argv, req.cwd, req.justification or check.reason
    )
    if decision is ReviewDecision.APPROVED_FOR_SESSION:
        inv.session.add_approved_command(req.argv)
    elif decision is not ReviewDecision.APPROVED:
        raise RespondToModel("exec command rejected by user")
    return False  # what the user approved runs as approved: outside the sandbox


def command_secrets(tc: TurnContext) -> list[str]:
    """Environment variables that must never reach a command (the model's credentials)."""
    secrets = [*SECRET_ENV_VARS]
    env_key = getattr(tc.client.provider, "env_key", None)
    if env_key:
        secrets.append(env_key)
    return secrets


def command_env(tc: TurnContext) -> dict[str, str]:
    """The environment a command gets under the turn's policy."""
    from pycodex.exec.env import build_env

    return build_env(tc.shell_environment_policy, tc.base_env, command_secrets(tc))


async def _command_argv_env(inv: ToolInvocation, req: CommandRequest, sandboxed: bool) -> tuple[list[str], dict[str, str]]:
    """The final argv (login environment restored, sandbox applied) and its environment."""
    from pycodex.exec.sandbox.select import SandboxUnavailableError, wrap_command
    from pycodex.exec.snapshot import command_env_from_snapshot
    from pycodex.protocol.policies import has_network_access

    tc = inv.tc
    env = command_env(tc)
    argv = list(req.argv)
    snapshots = inv.session.services.shell_snapshots
    if req.login_script is not None and snapshots is not None:
        login_env = await snapshots.get(req.argv[0], env, req.cwd)
        if login_env is not None:
            argv = [req.argv[0], "-c", req.login_script]
            env = command_env_from_snapshot(
                login_env, tc.shell_environment_policy.set, command_secrets(tc)
            )
    if not sandboxed:
        return argv, env
    if not has_network_access(tc.sandbox_policy):
        env["CODEX_SANDBOX_NETWORK_DISABLED"] = "1"  # as Codex marks it for tools that check
    try:
        wrapped = await asyncio.to_thread(
            wrap_command, argv, tc.sandbox_policy, tc.cwd, list(tc.additional_writable_roots), env,
            req.cwd, tc.protected_paths,
        )
    except SandboxUnavailableError as e:
        raise RespondToModel(f"sandbox unavailable: {e}") from e
    return wrapped, env


async def _execute(inv: ToolInvocation, req: CommandRequest, sandboxed: bool) -> tuple[ToolOutput, bool]:
    """Run once; returns the model's text and whether the sandbox likely caused a failure."""
    from pycodex.exec.manager import SpawnRequest
    from pycodex.exec.policy import should_offer_unsandboxed_retry

    session, tc = inv.session, inv.tc
    argv, env = await _command_argv_env(inv, req, sandboxed)
    info = ExecCallInfo(call_id=inv.call_id, command=req.argv, cwd=req.cwd)
    await session.send_event(
        inv.sub_id,
        ExecCommandBegin(
            call_id=inv.call_id,
            command=req.argv,
            cwd=req.cwd,
            parsed_cmd=[ParsedCommand(cmd=req.argv[-1] if req.argv else "")],
            source=ExecCommandSource.AGENT if req.classic else ExecCommandSource.UNIFIED_EXEC_STARTUP,
        ),
    )
    on_chunk = output_forwarder(session, inv.sub_id, info)
    spawn = SpawnRequest(argv=argv, cwd=req.cwd, env=env, tty=req.tty)
    pm = session.services.process_manager
    if req.classic:
        from pycodex.exec.output import format_shell_output_json

        try:
            res = await pm.run(spawn, req.timeout_ms, on_chunk)
        except OSError as e:
            await _spawn_failed(inv, info, req, e)
        aggregated = res.aggregated.decode("utf-8", errors="replace")
        text = format_shell_output_json(
            aggregated, res.exit_code, res.duration, res.timed_out, req.timeout_ms
        )
        await session.send_event(
            inv.sub_id,
            ExecCommandEnd(
                call_id=inv.call_id,
                stdout=res.stdout.decode("utf-8", errors="replace"),
                stderr=res.stderr.decode("utf-8", errors="replace"),
                aggregated_output=aggregated,
                exit_code=res.exit_code,
                duration=Duration.of(res.duration),
                formatted_output=text,
                command=req.argv,
                cwd=req.cwd,
            ),
        )
        failed = sandboxed and should_offer_unsandboxed_retry(
            tc.approval_policy, sandboxed, res.exit_code, aggregated
        )
        return ToolOutput(text, success=res.exit_code == 0), failed

    from pycodex.exec.output import format_exec_command_output

    try:
        outcome = await pm.start(spawn, req.yield_time_ms, req.max_output_tokens, on_chunk, owner=info)
    except OSError as e:
        await _spawn_failed(inv, info, req, e)
    text = format_exec_command_output(outcome, req.max_output_tokens)
    failed = False
    # Still running: the process manager keeps `info` with the process for write_stdin, and
    # its end is reported when it exits, polled or not (as Codex does).
    if outcome.exit_code is None and outcome.session_id is not None:
        pm.on_session_exit(outcome.session_id, _end_at_exit(session, inv.sub_id, info))
    else:
        await finish_exec_call(inv, info, outcome.exit_code if outcome.exit_code is not None else -1, text)
        failed = sandboxed and should_offer_unsandboxed_retry(
            tc.approval_policy, sandboxed, outcome.exit_code or 0, info.aggregated_text()
        )
    return ToolOutput(text), failed


async def _spawn_failed(inv: ToolInvocation, info: ExecCallInfo, req: CommandRequest, e: OSError) -> NoReturn:
    """A command that could not start (no such shell, argv too long): its item ends failed."""
    program = e.filename if isinstance(e.filename, str) else (req.argv[0] if req.argv else "")
    reason = f"cannot start {program}: {e.strerror or e}"
    info.add_output(reason.encode())
    await finish_exec_call(inv, info, -1, reason)
    raise RespondToModel(f"{inv.name} failed: {reason}") from e


def output_forwarder(session: Session, sub_id: str, info: ExecCallInfo) -> Any:
    """A callback that streams output chunks as delta events and keeps them for the end."""

    def on_chunk(stream: str, data: bytes) -> None:
        info.add_output(data)
        if info.deltas_sent >= MAX_DELTAS_PER_CALL:
            return
        info.deltas_sent += 1
        session.send_event_nowait(
            sub_id,
            ExecCommandOutputDelta(
                call_id=info.call_id,
                stream=ExecOutputStream(stream),
                chunk=base64.b64encode(data).decode("ascii"),
            ),
        )

    return on_chunk


def _end_event(info: ExecCallInfo, exit_code: int, formatted: str) -> ExecCommandEnd:
    aggregated = info.aggregated_text()
    return ExecCommandEnd(
        call_id=info.call_id,
        stdout=aggregated,
        aggregated_output=aggregated,
        exit_code=exit_code,
        duration=Duration.of(time.monotonic() - info.started),
        formatted_output=formatted,
        command=info.command,
        cwd=info.cwd,
        source=ExecCommandSource.UNIFIED_EXEC_STARTUP,
    )


def _end_at_exit(session: Session, sub_id: str, info: ExecCallInfo) -> Callable[[int], None]:
    """The listener that reports a running session's end the moment it exits."""

    def on_exit(exit_code: int) -> None:
        if not info.ended:
            info.ended = True
            # Never persisted (the rollout does not keep exec ends), so no await is needed.
            session.send_event_nowait(sub_id, _end_event(info, exit_code, info.aggregated_text()))

    return on_exit


async def finish_exec_call(inv: ToolInvocation, info: ExecCallInfo, exit_code: int, formatted: str) -> None:
    """Emit the end event of an exec_command call (once: its exit may have reported it)."""
    if info.ended:
        return
    info.ended = True
    await inv.session.send_event(inv.sub_id, _end_event(info, exit_code, formatted))
