"""Bare `pycodex [PROMPT]` and `pycodex resume [--last | ID]`: the interactive UI."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from pycodex.cli.root_flags import TuiOptions, tui_options
from pycodex.protocol.modes import AskForApproval, SandboxMode

NOT_A_TERMINAL = ("Error: pycodex's interactive UI needs a terminal on stdin and stdout; "
                  "for scripts and pipes use `pycodex exec`.")


@click.command("prompt", context_settings={"help_option_names": ["-h", "--help"]}, hidden=True)
@click.argument("prompt", required=False)
@tui_options
@click.pass_context
def prompt_command(ctx: click.Context, /, prompt: str | None, **flags: Any) -> None:
    """`pycodex PROMPT [flags]`: open the UI and send PROMPT at once."""
    base: TuiOptions = ctx.obj["tui"]
    sys.exit(launch(base.merged(**flags), prompt=prompt))


@click.command("resume", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("session_id", required=False)
@click.option("--last", is_flag=True, help="Continue the most recent session in this directory.")
@click.option("--all", "all_dirs", is_flag=True, help="With --last: the most recent of any directory.")
@tui_options
@click.pass_context
def resume_command(ctx: click.Context, /, session_id: str | None, last: bool, all_dirs: bool,
                   **flags: Any) -> None:
    """Continue a recorded session: pick one, the --last one, or SESSION_ID."""
    base: TuiOptions = (ctx.obj or {}).get("tui") or TuiOptions()
    which = "--last" if last else session_id
    sys.exit(launch(base.merged(**flags), resume=which, pick=which is None, all_dirs=all_dirs))


def launch(opts: TuiOptions, *, prompt: str | None = None, resume: str | None = None,
           pick: bool = False, all_dirs: bool = False) -> int:
    """Check the terminal, load the config, run the UI; returns the exit code."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print(NOT_A_TERMINAL, file=sys.stderr)
        return 2
    from pycodex.cli.exec_run import ExecError

    try:
        config, resume_path = _prepare(opts, resume, all_dirs)
        missing = [p for p in opts.images if not p.is_file()]
        if missing:
            raise ExecError(f"image not found: {missing[0]}")
    except ExecError as e:
        for line in str(e).splitlines() or [""]:
            print(f"Error: {line}", file=sys.stderr)
        return 1
    from pycodex.tui.launch import LaunchOptions, run_tui

    return run_tui(config, LaunchOptions(prompt=prompt, images=opts.images, resume=resume_path,
                                         pick_resume=pick))


def _prepare(opts: TuiOptions, resume: str | None, all_dirs: bool = False) -> tuple[Any, Path | None]:
    from pycodex.cli.exec_run import ExecError, _check_api_key, _resume_history
    from pycodex.config.config import CliOverrides, ConfigError, load_config
    from pycodex.config.home import ensure_home

    sandbox = SandboxMode(opts.sandbox) if opts.sandbox else None
    approval = AskForApproval(opts.approval) if opts.approval else None
    if opts.full_auto:
        sandbox = sandbox or SandboxMode.WORKSPACE_WRITE
        approval = approval or AskForApproval.ON_REQUEST
    if opts.yolo:
        sandbox, approval = SandboxMode.DANGER_FULL_ACCESS, AskForApproval.NEVER
    raw = [*opts.config, 'web_search="live"'] if opts.search else list(opts.config)
    cli = CliOverrides(model=opts.model, cwd=opts.cd, approval_policy=approval,
                       sandbox_mode=sandbox, profile=opts.profile, add_dirs=opts.add_dir, raw=raw)
    resume_path: Path | None = None
    try:
        config = load_config(cli)
        ensure_home(config.home)
        if resume is not None:
            initial, recorded_model = _resume_history(config, resume, all_dirs=all_dirs)
            resume_path = initial.rollout_path
            if opts.model is None and recorded_model:
                cli.model = recorded_model
                config = load_config(cli)
    except ConfigError as e:
        raise ExecError(str(e)) from e
    for warning in config.warnings:
        print(warning, file=sys.stderr)
    if not config.cwd.is_dir():
        raise ExecError(f"working directory {config.cwd} does not exist")
    config.can_ask_user = True  # a person is at the keyboard
    config.originator = "pycodex_tui"
    config.session_source = "cli"
    _check_api_key(config)
    return config, resume_path
