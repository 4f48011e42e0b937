"""`exec_command` (modern) and `shell` (classic)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pydantic import AliasChoices, BaseModel, Field

from pycodex.protocol.policies import SandboxPermissions
from pycodex.session.shell import shell_for
from pycodex.tools.context import RespondToModel, ToolInvocation, ToolOutput, parse_args
from pycodex.tools.orchestrator import CommandRequest, run_command

MIN_YIELD_MS = 250
MAX_YIELD_MS = 30_000
DEFAULT_SHELL_TIMEOUT_MS = 10_000


class ExecCommandArgs(BaseModel):
    cmd: str
    workdir: str | None = None
    shell: str | None = None
    login: bool = True
    tty: bool = False
    yield_time_ms: int = 10_000
    max_output_tokens: int = 10_000
    sandbox_permissions: SandboxPermissions = SandboxPermissions.USE_DEFAULT
    justification: str | None = None
    prefix_rule: list[str] | None = None


class ShellArgs(BaseModel):
    command: list[str] = Field(min_length=1)
    workdir: str | None = None
    timeout_ms: int | None = Field(default=None, validation_alias=AliasChoices("timeout_ms", "timeout"))
    with_escalated_permissions: bool = False
    justification: str | None = None


def resolve_workdir(inv: ToolInvocation, workdir: str | None) -> Path:
    """The directory a command runs in; it must exist."""
    cwd = inv.tc.resolve_path(workdir)
    if not cwd.is_dir():
        raise RespondToModel(f"workdir {workdir} does not exist or is not a directory")
    return cwd


def _is_known_safe(argv: list[str]) -> bool:
    from pycodex.exec.safety import is_known_safe_command

    return is_known_safe_command(argv)


class ExecCommandHandler:
    """Runs `cmd` through the user's shell; may leave it running for write_stdin."""

    async def handle(self, inv: ToolInvocation) -> ToolOutput:
        """Run the command (or the apply_patch it contains)."""
        args = parse_args(ExecCommandArgs, inv.payload)
        cwd = await asyncio.to_thread(resolve_workdir, inv, args.workdir)
        from pycodex.patch.invocation import detect_apply_patch_in_script
        from pycodex.tools.handlers.apply_patch import apply_patch_for_call

        found = detect_apply_patch_in_script(args.cmd)
        if found is not None:
            return await apply_patch_for_call(inv, found.patch_text, cwd / (found.workdir or "."))
        shell = shell_for(args.shell, inv.session.services.user_shell)
        req = CommandRequest(
            argv=shell.argv(args.cmd, login=args.login),
            cwd=cwd,
            escalated=args.sandbox_permissions is SandboxPermissions.REQUIRE_ESCALATED,
            justification=args.justification,
            tty=args.tty,
            yield_time_ms=max(MIN_YIELD_MS, min(MAX_YIELD_MS, args.yield_time_ms)),
            max_output_tokens=max(1, args.max_output_tokens),
            login_script=args.cmd if args.login else None,
        )
        return await run_command(inv, req)

    def parallel_safe(self, inv: ToolInvocation) -> bool:
        """Read-only known-safe commands may run alongside each other."""
        try:
            args = parse_args(ExecCommandArgs, inv.payload)
        except RespondToModel:
            return True
        return _is_known_safe(["bash", "-lc", args.cmd])


class ShellHandler:
    """The classic `shell` tool: argv run to completion with a timeout."""

    async def handle(self, inv: ToolInvocation) -> ToolOutput:
        """Run the argv (or the apply_patch it contains)."""
        if inv.name == "local_shell":
            from pycodex.protocol.models import LocalShellExec

            action = LocalShellExec.model_validate_json(inv.payload)
            args = ShellArgs(
                command=action.command, workdir=action.working_directory, timeout_ms=action.timeout_ms
            )
        else:
            args = parse_args(ShellArgs, inv.payload)
        cwd = await asyncio.to_thread(resolve_workdir, inv, args.workdir)
        from pycodex.patch.invocation import detect_apply_patch
        from pycodex.tools.handlers.apply_patch import apply_patch_for_call

        found = detect_apply_patch(args.command)
        if found is not None:
            return await apply_patch_for_call(inv, found.patch_text, cwd / (found.workdir or "."))
        req = CommandRequest(
            argv=args.command,
            cwd=cwd,
            escalated=args.with_escalated_permissions,
            justification=args.justification,
            classic=True,
            timeout_ms=args.timeout_ms or DEFAULT_SHELL_TIMEOUT_MS,
        )
        return await run_command(inv, req)

    def parallel_safe(self, inv: ToolInvocation) -> bool:
        """Read-only known-safe commands may run alongside each other."""
        try:
            return _is_known_safe(parse_args(ShellArgs, inv.payload).command)
        except RespondToModel:
            return True
