"""`pycodex mcp list | get | add | remove`: config.toml edited without losing comments or keys."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def _mcp(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYCODEX_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "pycodex.cli.main", "mcp", *args], capture_output=True,
                          text=True, env=env, timeout=60, check=False)


ORIGINAL = '''# my settings
model = "gpt-5.5"  # the model I like

[mcp_servers.keep]
# a comment inside the table
command = "keep-server"
args = ["--x"]

[history]
persistence = "none"
'''


def test_add_list_get_remove_keep_the_rest_of_the_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    cfg = home / "config.toml"
    cfg.write_text(ORIGINAL)
    added = _mcp(home, "add", "docs", "--env", "TOKEN=abc", "--", "npx", "-y", "docs-server", "--stdio")
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == f"Added MCP server 'docs' in {cfg}."
    web = _mcp(home, "add", "web", "--url", "http://127.0.0.1:9/mcp", "--bearer-token-env-var", "WEB_TOKEN")
    assert web.returncode == 0, web.stderr
    lines = iter(cfg.read_text().splitlines())
    assert all(line in lines for line in ORIGINAL.splitlines())  # comments, order, other keys kept
    listed = json.loads(_mcp(home, "list", "--json").stdout)
    assert [s["name"] for s in listed] == ["docs", "keep", "web"]
    docs = listed[0]
    assert docs["transport"] == {"type": "stdio", "command": "npx", "args": ["-y", "docs-server", "--stdio"],
                                 "env": {"TOKEN": "abc"}, "env_vars": [], "cwd": None}
    assert listed[2]["transport"]["url"] == "http://127.0.0.1:9/mcp"
    assert listed[2]["auth_status"] == "bearer_token"
    plain = _mcp(home, "list").stdout.splitlines()
    assert plain[0] == "docs\tnpx -y docs-server --stdio\tenabled"
    got = json.loads(_mcp(home, "get", "keep", "--json").stdout)
    assert got["transport"]["command"] == "keep-server" and got["startup_timeout_sec"] == 10.0
    removed = _mcp(home, "remove", "docs")
    assert removed.returncode == 0 and _mcp(home, "remove", "web").returncode == 0
    assert cfg.read_text() == ORIGINAL


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (("add", "bad name", "--", "x"), "Error: invalid server name 'bad name': names must match ^[a-zA-Z0-9_-]+$"),
        (("add", "s"), "Error: give a command after `--` (a stdio server) or --url (a streamable HTTP server), not both"),
        (("add", "s", "--env", "NOEQUALS", "--", "x"), "Error: --env takes KEY=VALUE, got 'NOEQUALS'"),
        (("remove", "ghost"), "Error: no MCP server named 'ghost' in {cfg}"),
        (("get", "ghost"), "Error: no MCP server named 'ghost' in {cfg}"),
        (("add", "web", "--url", "notaurl"),
         "Error: mcp_servers.web: `url` must start with http:// or https://, got 'notaurl'; nothing was changed"),
    ],
    ids=["bad-name", "no-command", "env-without-equals", "remove-unknown", "get-unknown", "url-not-http"],
)
def test_bad_input_is_one_line_and_changes_nothing(tmp_path: Path, args: tuple[str, ...], line: str) -> None:
    """Bad input tried: the arguments in `args` (a name with a space, no command, an --env
    without `=`, removing and showing a server that does not exist, a --url that is not
    http(s), which every later command would refuse to load)."""
    home = tmp_path / "home"
    home.mkdir()
    cfg = home / "config.toml"
    cfg.write_text(ORIGINAL)
    run = _mcp(home, *args)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [line.format(cfg=cfg)]
    assert cfg.read_text() == ORIGINAL


def test_invalid_toml_is_refused_untouched(tmp_path: Path) -> None:
    """Bad input tried: a config.toml that is not TOML, then one with a bad server entry."""
    home = tmp_path / "home"
    home.mkdir()
    cfg = home / "config.toml"
    cfg.write_text("model = \n")
    run = _mcp(home, "add", "s", "--", "x")
    assert run.returncode == 1 and "invalid TOML" in run.stderr and "nothing was changed" in run.stderr
    assert cfg.read_text() == "model = \n" and len(run.stderr.strip().splitlines()) == 1
    cfg.write_text('[mcp_servers.both]\ncommand = "x"\nurl = "http://127.0.0.1:1/"\n')
    listed = _mcp(home, "list")
    assert listed.returncode == 1
    assert listed.stderr.strip() == (f"Error: mcp_servers.both in {cfg}: set `command` (a stdio server) or "
                                     "`url` (a streamable HTTP server), not both")
