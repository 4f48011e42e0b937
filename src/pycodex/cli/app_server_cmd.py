"""`pycodex app-server`: Codex's JSON-RPC v2 app-server on stdin/stdout."""

from __future__ import annotations

import asyncio
import logging
import sys

import click


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
    root_overrides = (ctx.obj or {}).get("config", ())
    options = ServerOptions(overrides=[*root_overrides, *config])

    async def main() -> int:
        transport = StdioTransport()
        await transport.start()
        return await serve(transport, options)

    sys.exit(asyncio.run(main()))
