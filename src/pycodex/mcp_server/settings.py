"""A tool call's arguments → the Config its conversation runs with, and the settings of its turns."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from pycodex.mcp_server.tools import CodexArgs, ToolInputError, config_overrides
from pycodex.session.turn_settings import TurnSettings

if TYPE_CHECKING:
    from pycodex.config.config import CliOverrides, Config
    from pycodex.protocol.rollout import TurnContextItem

# Who started the session, as recorded in its rollout: Codex records `mcp` for this surface.
SESSION_SOURCE = "mcp"
ORIGINATOR = "pycodex_mcp_server"


async def codex_config(args: CodexArgs, overrides: list[str], env: dict[str, str]) -> Config:
    """The Config of a new conversation: config.toml, the server's `-c`, then the call's arguments."""
    from pycodex.config.config import CliOverrides

    cwd = None
    if args.cwd is not None:
        cwd = Path(args.cwd) if Path(args.cwd).is_absolute() else Path.cwd() / args.cwd
    cli = CliOverrides(
        model=args.model, cwd=cwd, approval_policy=args.approval_policy, sandbox_mode=args.sandbox,
        profile=args.profile, raw=[*overrides, *config_overrides(args.config)],
    )
    config = await _load(cli, env)
    if args.base_instructions is not None:
        config.base_instructions = args.base_instructions
    if args.developer_instructions is not None:
        config.developer_instructions = args.developer_instructions
    if args.compact_prompt is not None:
        config.compact_prompt = args.compact_prompt
    return config


async def resume_config(ctx: TurnContextItem | None, overrides: list[str], env: dict[str, str]) -> Config:
    """The Config of a recorded thread loaded again: its last cwd and model."""
    from pycodex.config.config import CliOverrides

    cli = CliOverrides(model=ctx.model if ctx else None, cwd=ctx.cwd if ctx else None, raw=list(overrides))
    return await _load(cli, env, cwd_may_be_gone=True)


def turn_settings(config: Config, model: str, ctx: TurnContextItem | None = None) -> TurnSettings:
    """A thread's turn settings: the config's, or a recorded thread's last ones."""
    if ctx is not None:
        return TurnSettings(cwd=config.cwd, model=model, approval_policy=ctx.approval_policy,
                            sandbox_policy=ctx.sandbox_policy, effort=ctx.effort,
                            summary=config.model_reasoning_summary)
    return TurnSettings(cwd=config.cwd, model=model, approval_policy=config.approval_policy,
                        sandbox_policy=config.sandbox_policy, effort=config.model_reasoning_effort,
                        summary=config.model_reasoning_summary)


async def _load(cli: CliOverrides, env: dict[str, str], *, cwd_may_be_gone: bool = False) -> Config:
    from pycodex.config.config import load_config
    from pycodex.config.errors import ConfigError
    from pycodex.config.home import ensure_home

    def load() -> Config:
        if cli.cwd is not None and not cli.cwd.is_dir():
            if not cwd_may_be_gone:
                raise ToolInputError(f"`cwd`: {cli.cwd} is not a directory")
            cli.cwd = None  # a recorded thread whose directory is gone runs in the server's
        config = load_config(cli, env=env)
        ensure_home(config.home)
        return config

    try:
        config = await asyncio.to_thread(load)  # reads files: off the event loop
    except ConfigError as e:
        raise ToolInputError(str(e)) from e
    config.can_ask_user = True  # approvals go to the client as elicitations
    config.originator, config.session_source = ORIGINATOR, SESSION_SOURCE
    return config
