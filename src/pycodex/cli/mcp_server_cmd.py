"""`pycodex mcp-server`: pycodex's `codex` and `codex-reply` tools over MCP on stdin/stdout."""

from __future__ import annotations

import asyncio
import logging
import sys

import click


@click.command("mcp-server")
@click.option("-c", "--config", "config", multiple=True, metavar="key=value",
              help="Override a config value for every conversation this server starts.")
def mcp_server_command(config: tuple[str, ...]) -> None:
    """Serve pycodex as an MCP server on stdio (tools `codex` and `codex-reply`)."""
    from pycodex.mcp_server.server import ServerOptions, serve_stdio

    # stdout carries only protocol messages: everything else goes to stderr.
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sys.exit(asyncio.run(serve_stdio(ServerOptions(overrides=list(config)))))
