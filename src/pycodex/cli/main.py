"""The `pycodex` command: subcommands are imported only when used, to start fast."""

from __future__ import annotations

import importlib
from typing import Any

import click

SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "exec": ("pycodex.cli.exec_cmd", "exec_command"),
    "e": ("pycodex.cli.exec_cmd", "exec_command"),
    "apply-patch": ("pycodex.cli.apply_patch_cmd", "apply_patch_command"),
    "sandbox": ("pycodex.cli.sandbox_cmd", "sandbox_group"),
    "sessions": ("pycodex.cli.sessions_cmd", "sessions_group"),
    "demo": ("pycodex.cli.demo_cmd", "demo_command"),
    "app-server": ("pycodex.cli.app_server_cmd", "app_server_command"),
    "batch": ("pycodex.cli.batch_cmd", "batch_command"),
}


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


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(package_name="pycodex", prog_name="pycodex")
@click.option("-c", "--config", "config", multiple=True, metavar="key=value",
              help="Override a config value (app-server; other commands take -c after their name).")
@click.pass_context
def cli(ctx: click.Context, config: tuple[str, ...]) -> None:
    """pycodex: a coding agent that runs commands and edits files in your workspace."""
    # The Codex SDKs launch `<bin> --config k=v ... app-server`: the overrides go to app-server.
    if config and ctx.invoked_subcommand != "app-server":
        raise click.UsageError("-c/--config before the subcommand is only taken by app-server; "
                               "put it after the subcommand's name")
    ctx.obj = {"config": config}
    if ctx.invoked_subcommand is None:
        # Bare `pycodex` will start the TUI; until it exists, it shows what there is.
        click.echo(ctx.get_help())


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="pycodex")


if __name__ == "__main__":
    main()
