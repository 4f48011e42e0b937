"""`pycodex sandbox linux -- CMD…`: run a command under the agent's sandbox, to see what it may do."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click


@click.group("sandbox")
def sandbox_group() -> None:
    """Run commands under pycodex's sandbox."""


@sandbox_group.command("linux", context_settings={"ignore_unknown_options": True})
@click.option("--full-auto", is_flag=True, help="workspace-write: the working directory is writable.")
@click.option("-s", "--sandbox", "mode", type=click.Choice(["read-only", "workspace-write"]), help="Sandbox policy.")
@click.option("-C", "--cd", "cwd", type=click.Path(path_type=Path, file_okay=False), help="Working directory.")
@click.option("-c", "--config", "config", multiple=True, help="Config override key=value.")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def linux_command(full_auto: bool, mode: str | None, cwd: Path | None, config: tuple[str, ...], command: tuple[str, ...]) -> None:
    """Run COMMAND under bubblewrap with the policy the agent would have."""
    from pycodex.config.config import CliOverrides, ConfigError, load_config
    from pycodex.exec.env import build_env
    from pycodex.exec.sandbox.select import SandboxUnavailableError, wrap_command
    from pycodex.protocol.policies import SandboxMode
    from pycodex.tools.orchestrator import SECRET_ENV_VARS

    if command[0].startswith("-"):  # an option we do not have (a typo), not a program
        raise click.UsageError(f"no such option: {command[0]} (the command goes after `--`)")
    chosen = SandboxMode(mode) if mode else (SandboxMode.WORKSPACE_WRITE if full_auto else SandboxMode.READ_ONLY)
    try:
        cfg = load_config(CliOverrides(cwd=cwd, sandbox_mode=chosen, raw=list(config)))
    except ConfigError as e:
        raise click.ClickException(str(e)) from e
    if not cfg.cwd.is_dir():  # else the chdir below fails with a traceback
        raise click.ClickException(f"working directory {cfg.cwd} does not exist")
    env = build_env(cfg.shell_environment_policy, dict(os.environ),
                    [*SECRET_ENV_VARS, *([cfg.model_provider.env_key] if cfg.model_provider.env_key else [])])
    try:
        argv = wrap_command(list(command), cfg.sandbox_policy, cfg.cwd, cfg.additional_writable_roots, env)
    except SandboxUnavailableError as e:
        raise click.ClickException(str(e)) from e
    sys.stdout.flush()
    os.chdir(cfg.cwd)
    os.execvpe(argv[0], argv, env)
