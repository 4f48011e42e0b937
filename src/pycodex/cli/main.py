"""The `pycodex` command: subcommands are imported only when used, to start fast."""

from __future__ import annotations

import importlib
from typing import Any

import click

from pycodex.cli.root_flags import tui_options

SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "exec": ("pycodex.cli.exec_cmd", "exec_command"),
    "e": ("pycodex.cli.exec_cmd", "exec_command"),
    "apply-patch": ("pycodex.cli.apply_patch_cmd", "apply_patch_command"),
    "sandbox": ("pycodex.cli.sandbox_cmd", "sandbox_group"),
    "sessions": ("pycodex.cli.sessions_cmd", "sessions_group"),
    "demo": ("pycodex.cli.demo_cmd", "demo_command"),
    "app-server": ("pycodex.cli.app_server_cmd", "app_server_command"),
    "mcp-server": ("pycodex.cli.mcp_server_cmd", "mcp_server_command"),
    "resume": ("pycodex.cli.tui_cmd", "resume_command"),
    "mcp": ("pycodex.cli.mcp_cmd", "mcp_group"),
    "batch": ("pycodex.cli.batch_cmd", "batch_command"),
}
# Subcommands that take the root's flags (the interactive UI's).
TAKES_ROOT_FLAGS = {"resume", "prompt"}


class LazyGroup(click.Group):
    """A group whose subcommands load on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(n for n in SUBCOMMANDS if n != "e")

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = SUBCOMMANDS.get(cmd_name)
        if target is None:
            return None
        module = importlib.import_module(target[0])
        command: Any = getattr(module, target[1])
        return command if isinstance(command, click.Command) else None

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """A first word that names no subcommand is the UI's prompt (`pycodex "fix it"`)."""
        if args and args[0] not in SUBCOMMANDS and not args[0].startswith("-"):
            from pycodex.cli.tui_cmd import prompt_command

            return "prompt", prompt_command, args
        return super().resolve_command(ctx, args)


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(package_name="pycodex", prog_name="pycodex")
@tui_options
@click.pass_context
def cli(ctx: click.Context, /, **flags: Any) -> None:
    """pycodex: a coding agent that runs commands and edits files in your workspace.

    Without a subcommand it opens the interactive UI (`pycodex [PROMPT]`).
    """
    config: tuple[str, ...] = flags["config"]
    sub = ctx.invoked_subcommand
    # The Codex SDKs launch `<bin> --config k=v ... app-server`: the overrides go to app-server.
    if config and sub not in ("app-server", None, *TAKES_ROOT_FLAGS):
        raise click.UsageError("-c/--config before the subcommand is only taken by app-server "
                               "and the interactive UI; put it after the subcommand's name")
    others = [k for k, v in flags.items() if v and k != "config"]
    if others and sub not in (None, *TAKES_ROOT_FLAGS):
        flag = others[0].replace("_", "-")
        raise click.UsageError(f"--{flag} before the subcommand is only taken by the interactive "
                               "UI; put it after the subcommand's name")
    from pycodex.cli.root_flags import root_options

    ctx.obj = {"config": config, "tui": root_options(flags)}
    if sub is None:
        from pycodex.cli.tui_cmd import launch

        ctx.exit(launch(ctx.obj["tui"]))


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="pycodex")


if __name__ == "__main__":
    main()
