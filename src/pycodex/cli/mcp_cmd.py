"""`pycodex mcp`: list, show, add and remove `[mcp_servers.<name>]` entries of config.toml.

Edits keep everything else in the file as it was (comments, order, other keys): the file is
parsed and written back with tomlkit, atomically. Every problem is one line and exit code 1.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, NoReturn

import click

from pycodex.config.config import ConfigError, load_toml
from pycodex.config.home import pycodex_home
from pycodex.config.mcp import HttpTransport, McpServerConfig, mcp_server_config
from pycodex.config.schema import MCP_SERVER_NAME


def _fail(message: str) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def _config_path() -> Path:
    return pycodex_home() / "config.toml"


def _servers() -> dict[str, McpServerConfig]:
    """The configured servers, validated as a session would read them."""
    from pycodex.config.schema import McpServerToml

    path = _config_path()
    try:
        table = load_toml(path).get("mcp_servers", {})
    except ConfigError as e:
        _fail(str(e))
    if not isinstance(table, dict):
        _fail(f"mcp_servers in {path} is not a table")
    out: dict[str, McpServerConfig] = {}
    for name, entry in sorted(table.items()):
        problem = _entry_problem(name, entry)
        if problem is not None:
            _fail(f"mcp_servers.{name} in {path}: {problem}")
        out[name] = mcp_server_config(name, McpServerToml.model_validate(entry, strict=True))
    return out


def _entry_problem(name: str, entry: Any) -> str | None:
    """What a session would refuse in this `[mcp_servers.<name>]` entry, or None."""
    from pydantic import ValidationError

    from pycodex.config.schema import McpServerToml

    try:
        mcp_server_config(name, McpServerToml.model_validate(entry, strict=True))
    except ValidationError as e:
        return str(e.errors()[0]["msg"]).removeprefix("Value error, ")
    return None


def _as_json(cfg: McpServerConfig) -> dict[str, Any]:
    t = cfg.transport
    transport: dict[str, Any]
    if isinstance(t, HttpTransport):
        transport = {"type": "streamable_http", "url": t.url, "bearer_token_env_var": t.bearer_token_env_var,
                     "http_headers": t.http_headers or None, "env_http_headers": t.env_http_headers or None}
    else:
        transport = {"type": "stdio", "command": t.command, "args": list(t.args), "env": t.env or None,
                     "env_vars": list(t.env_vars), "cwd": str(t.cwd) if t.cwd else None}
    return {
        "name": cfg.name, "enabled": cfg.enabled, "required": cfg.required, "transport": transport,
        "startup_timeout_sec": cfg.startup_timeout_sec, "tool_timeout_sec": cfg.tool_timeout_sec,
        "enabled_tools": list(cfg.enabled_tools) if cfg.enabled_tools is not None else None,
        "disabled_tools": list(cfg.disabled_tools),
        "auth_status": "bearer_token" if isinstance(t, HttpTransport) and t.bearer_token_env_var else "unsupported",
    }


def _line(cfg: McpServerConfig) -> str:
    t = cfg.transport
    where = t.url if isinstance(t, HttpTransport) else " ".join([t.command, *t.args])
    state = "enabled" if cfg.enabled else "disabled"
    return f"{cfg.name}\t{where}\t{state}"


@click.group("mcp")
def mcp_group() -> None:
    """Manage the MCP servers in config.toml."""


@mcp_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def list_command(as_json: bool) -> None:
    """List the configured MCP servers."""
    servers = _servers()
    if as_json:
        click.echo(json.dumps([_as_json(c) for c in servers.values()], indent=2))
    elif not servers:
        click.echo("No MCP servers configured yet. Try `pycodex mcp add my-tool -- my-command`.")
    else:
        for cfg in servers.values():
            click.echo(_line(cfg))


@mcp_group.command("get")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def get_command(name: str, as_json: bool) -> None:
    """Show one MCP server."""
    cfg = _servers().get(name)
    if cfg is None:
        _fail(f"no MCP server named {name!r} in {_config_path()}")
    data = _as_json(cfg)
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(name)
    for key, value in data.items():
        if key != "name":
            click.echo(f"  {key}: {json.dumps(value)}")


@mcp_group.command("add", context_settings={"ignore_unknown_options": True})
@click.argument("name")
@click.option("--env", "env", multiple=True, metavar="KEY=VALUE", help="An environment variable for the server.")
@click.option("--url", default=None, help="A streamable HTTP server's URL (instead of a command).")
@click.option("--bearer-token-env-var", default=None, help="The variable holding the HTTP bearer token.")
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
def add_command(name: str, env: tuple[str, ...], url: str | None, bearer_token_env_var: str | None,
                command: tuple[str, ...]) -> None:
    """Add (or replace) a server: `add NAME -- CMD ARGS...` or `add NAME --url URL`."""
    import tomlkit

    if not MCP_SERVER_NAME.fullmatch(name):
        _fail(f"invalid server name {name!r}: names must match ^[a-zA-Z0-9_-]+$")
    if bool(url) == bool(command):
        _fail("give a command after `--` (a stdio server) or --url (a streamable HTTP server), not both")
    entry = tomlkit.table()
    if url:
        if env:
            _fail("--env applies to stdio servers only")
        entry["url"] = url
        if bearer_token_env_var:
            entry["bearer_token_env_var"] = bearer_token_env_var
    else:
        if bearer_token_env_var:
            _fail("--bearer-token-env-var applies to HTTP servers only")
        entry["command"] = command[0]
        entry["args"] = list(command[1:])
        pairs = {}
        for item in env:
            key, sep, value = item.partition("=")
            if not sep or not key:
                _fail(f"--env takes KEY=VALUE, got {item!r}")
            pairs[key] = value
        if pairs:
            inline = tomlkit.inline_table()
            inline.update(pairs)
            entry["env"] = inline
    # An entry every later command would refuse to load is not written at all.
    problem = _entry_problem(name, entry.unwrap())
    if problem is not None:
        _fail(f"mcp_servers.{name}: {problem}; nothing was changed")
    doc = _load_document()
    servers = doc.setdefault("mcp_servers", tomlkit.table(is_super_table=True))
    replaced = name in servers
    servers[name] = entry
    _write_document(doc)
    click.echo(f"{'Replaced' if replaced else 'Added'} MCP server '{name}' in {_config_path()}.")


@mcp_group.command("remove")
@click.argument("name")
def remove_command(name: str) -> None:
    """Remove a server."""
    doc = _load_document()
    servers = doc.get("mcp_servers")
    if servers is None or name not in servers:
        _fail(f"no MCP server named {name!r} in {_config_path()}")
    del servers[name]
    _write_document(doc)
    click.echo(f"Removed MCP server '{name}' from {_config_path()}.")


def _load_document() -> Any:
    import tomlkit
    from tomlkit.exceptions import ParseError

    path = _config_path()
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return tomlkit.document()
    except (ParseError, UnicodeDecodeError) as e:
        _fail(f"{path}: invalid TOML: {e}; nothing was changed")
    except OSError as e:
        _fail(f"cannot read {path}: {e.strerror or e}")


def _write_document(doc: Any) -> None:
    import tomlkit

    path = _config_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".config.toml.")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(tomlkit.dumps(doc))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        _fail(f"cannot write {path}: {e.strerror or e}")
