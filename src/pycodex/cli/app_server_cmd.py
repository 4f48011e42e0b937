"""`pycodex app-server`: Codex's JSON-RPC v2 app-server on stdin/stdout."""

from __future__ import annotations

import asyncio
import logging
import sys

import click

STARTUP_PAUSE_LIMIT_S = 2.0


@click.command("app-server")
@click.option("--listen", default="stdio://", show_default=True,
              help="Where to serve; only stdio:// is supported.")
@click.option("-c", "--config", "config", multiple=True, metavar="key=value",
              help="Override a config value (also accepted before the subcommand).")
@click.pass_context
def app_server_command(ctx: click.Context, listen: str, config: tuple[str, ...]) -> None:
    """Serve Codex's app-server protocol (JSON-RPC, one message per line) on stdio."""
    if listen != "stdio://":
        raise click.UsageError(f"--listen {listen}: only stdio:// is supported")
    from pycodex.app_server.server import ServerOptions, serve
    from pycodex.app_server.transport import StdioTransport

    # stdout carries only protocol messages: everything else goes to stderr.
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from pycodex.cli.entry import end_startup_pause

    root_overrides = (ctx.obj or {}).get("config", ())
    # The entry point paused the cyclic collector for start-up, which ends once the first
    # thread is up, or after a few seconds for a client that starts none.
    options = ServerOptions(overrides=[*root_overrides, *config], on_first_thread=end_startup_pause)

    async def main() -> int:
        asyncio.get_running_loop().call_later(STARTUP_PAUSE_LIMIT_S, end_startup_pause)
        transport = StdioTransport()
        await transport.start()
        return await serve(transport, options)

    sys.exit(asyncio.run(main()))
