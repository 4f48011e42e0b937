"""`[mcp_servers.<name>]` read as Codex reads it; a bad entry is one line naming server and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from pycodex.config.config import CliOverrides, ConfigError, load_config
from pycodex.config.mcp import HttpTransport, StdioTransport


def _home(tmp_path: Path, text: str) -> Path:
    home = tmp_path / "home"
    home.mkdir(parents=True)
    (home / "config.toml").write_text(text)
    return home


def _errors(home: Path, tmp_path: Path, *raw: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(CliOverrides(cwd=tmp_path, raw=list(raw)), home=home, env={})
    return str(info.value).splitlines()


def test_every_codex_key_is_read(tmp_path: Path) -> None:
    home = _home(tmp_path, """
[mcp_servers.docs]
command = "docs-server"
args = ["--stdio"]
env = { A = "1" }
env_vars = ["HOME_TOKEN"]
cwd = "/srv/docs"
required = true
startup_timeout_ms = 2500
tool_timeout_sec = 5.5
enabled_tools = ["search", "read"]
disabled_tools = ["read"]

[mcp_servers.remote-1]
url = "http://127.0.0.1:9/mcp"
bearer_token_env_var = "TOKEN"
http_headers = { "X-Team" = "core" }
env_http_headers = { "X-Key" = "KEY_VAR" }
enabled = false
startup_timeout_sec = 3
""")
    cfg = load_config(CliOverrides(cwd=tmp_path), home=home, env={})
    docs, remote = cfg.mcp_servers["docs"], cfg.mcp_servers["remote-1"]
    assert docs.transport == StdioTransport(
        command="docs-server", args=("--stdio",), env={"A": "1"}, env_vars=("HOME_TOKEN",),
        cwd=Path("/srv/docs"),
    )
    assert (docs.required, docs.startup_timeout_sec, docs.tool_timeout_sec) == (True, 2.5, 5.5)
    assert docs.uses_tool("search") and not docs.uses_tool("read") and not docs.uses_tool("other")
    assert remote.transport == HttpTransport(
        url="http://127.0.0.1:9/mcp", bearer_token_env_var="TOKEN",
        http_headers={"X-Team": "core"}, env_http_headers={"X-Key": "KEY_VAR"},
    )
    assert (remote.enabled, remote.required, remote.startup_timeout_sec) == (False, False, 3.0)
    assert remote.tool_timeout_sec == 60.0 and remote.uses_tool("anything")
    assert cfg.warnings == []


def test_defaults(tmp_path: Path) -> None:
    home = _home(tmp_path, '[mcp_servers.s]\ncommand = "x"\n')
    s = load_config(CliOverrides(cwd=tmp_path), home=home, env={}).mcp_servers["s"]
    assert (s.startup_timeout_sec, s.tool_timeout_sec, s.enabled, s.required) == (10.0, 60.0, True, False)


@pytest.mark.parametrize(
    ("toml", "line"),
    [
        ('[mcp_servers."bad name"]\ncommand = "x"\n',
         "mcp_servers in {cfg}: server name 'bad name' is not allowed: names must match ^[a-zA-Z0-9_-]+$"),
        ('[mcp_servers.both]\ncommand = "x"\nurl = "http://127.0.0.1:1/mcp"\n',
         "mcp_servers.both in {cfg}: set `command` (a stdio server) or `url` (a streamable HTTP server), not both"),
        ("[mcp_servers.none]\nargs = []\n",
         "mcp_servers.none in {cfg}: set `command` (a stdio server) or `url` (a streamable HTTP server)"),
        ('[mcp_servers.h]\nurl = "http://127.0.0.1:1/mcp"\nenv = { A = "1" }\n',
         "mcp_servers.h in {cfg}: `env` does not apply to a streamable HTTP server (`url`)"),
        ('[mcp_servers.s]\ncommand = "x"\nbearer_token_env_var = "T"\n',
         "mcp_servers.s in {cfg}: `bearer_token_env_var` does not apply to a stdio server (`command`)"),
        ('[mcp_servers.s]\nurl = "ftp://x"\n',
         "mcp_servers.s in {cfg}: `url` must start with http:// or https://, got 'ftp://x'"),
        ('[mcp_servers.s]\ncommand = "x"\nstartup_timeout_sec = 0\n',
         "mcp_servers.s.startup_timeout_sec in {cfg}: expected a value > 0.0, found integer 0"),
        ('[mcp_servers.s]\ncommand = "x"\ntool_timeout_sec = "60"\n',
         'mcp_servers.s.tool_timeout_sec in {cfg}: expected a number, found string "60"'),
        ('[mcp_servers.s]\ncommand = "x"\nenabled_tools = "echo"\n',
         'mcp_servers.s.enabled_tools in {cfg}: expected an array, found string "echo"'),
        ('[mcp_servers.s]\ncommand = "x"\nrequired = "yes"\n',
         'mcp_servers.s.required in {cfg}: expected a boolean (true or false), found string "yes"'),
    ],
    ids=["bad-name", "both-transports", "no-transport", "stdio-key-on-http", "http-key-on-stdio",
         "non-http-url", "zero-timeout", "timeout-as-string", "tools-as-string", "required-as-string"],
)
def test_each_bad_entry_is_one_line(tmp_path: Path, toml: str, line: str) -> None:
    """Bad input tried: the entry in `toml` (a name with a space, both or neither transport, a
    key of the other transport, an ftp url, a zero timeout, strings for a number, an array and
    a boolean)."""
    home = _home(tmp_path, toml)
    assert _errors(home, tmp_path) == ["config error: " + line.format(cfg=home / "config.toml")]


def test_bad_entry_from_an_override_names_it(tmp_path: Path) -> None:
    """Bad input tried: `-c mcp_servers.s.url=...` added to a stdio server."""
    home = _home(tmp_path, '[mcp_servers.s]\ncommand = "x"\n')
    assert _errors(home, tmp_path, 'mcp_servers.s.url="http://127.0.0.1:1/"') == [
        "config error: mcp_servers.s in -c mcp_servers.s.url=\"http://127.0.0.1:1/\": set `command` "
        "(a stdio server) or `url` (a streamable HTTP server), not both"
    ]


def test_codex_only_keys_are_accepted_quietly(tmp_path: Path) -> None:
    home = _home(tmp_path, '[mcp_servers.s]\ncommand = "x"\ndefault_tools_approval_mode = "approve"\n'
                 '[mcp_servers.s.tools.echo]\napproval_mode = "approve"\n')
    assert load_config(CliOverrides(cwd=tmp_path), home=home, env={}).warnings == []
