"""Bad configuration and bad PYCODEX_HOME seen from the command line: clear lines, exit 1."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import write_config

PYCODEX = [sys.executable, "-m", "pycodex.cli.main"]
HINT = "(set PYCODEX_HOME to use another directory)"


def _run(home: Path, *args: str, wrap: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYCODEX_HOME": str(home), "MOCK_API_KEY": "k"}
    return subprocess.run([*(wrap or []), *PYCODEX, *args], capture_output=True, text=True, env=env,
                          timeout=60, check=False)


def _exec(home: Path, ws: Path, *args: str, wrap: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    return _run(home, "exec", "--json", "--skip-git-repo-check", "-C", str(ws), *args, wrap=wrap)


def test_exec_prints_every_config_error_as_an_error_line(tmp_path: Path) -> None:
    """Bad input tried: `model = 5` and a provider base_url of 5 in the file, plus
    `-c approval_policy=sometimes` on the command line."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text('model = 5\n[model_providers.x]\nbase_url = 5\n')
    proc = _exec(home, tmp_path, "-c", "approval_policy=sometimes", "hi")
    cfg = home / "config.toml"
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.splitlines() == [
        f"Error: config error: model in {cfg}: expected a string, found integer 5",
        f"Error: config error: model_providers.x.base_url in {cfg}: expected a string, found integer 5",
        "Error: config error: approval_policy in -c approval_policy=sometimes: "
        'expected one of: untrusted, on-failure, on-request, never, found string "sometimes"',
    ]


def test_unknown_key_warning_is_printed_once_per_run_even_on_resume(tmp_path: Path) -> None:
    """Bad input tried: a misspelt top-level key (`modle`); resume loads the config twice."""
    home = tmp_path / "home"
    turns = [sc.turn(sc.message("first"), sc.completed()), sc.turn(sc.message("second"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        write_config(home, srv.base_url, extra='modle = "typo"')
        first = _exec(home, tmp_path, "hi")
        again = _exec(home, tmp_path, "resume", "--last", "again")
    warning = f"config warning: ignoring unknown keys: modle in {home / 'config.toml'}"
    assert first.returncode == 0, first.stderr
    assert again.returncode == 0, again.stderr
    assert first.stderr.splitlines() == [warning]
    assert again.stderr.splitlines() == [warning]


def _read_only_wrap(home: Path) -> list[str]:
    """Make `home` unwritable for the child: chmod for a normal user, a read-only bind as root."""
    if os.geteuid() != 0:
        home.chmod(0o555)
        return []
    bwrap = shutil.which("bwrap")
    wrap = [bwrap, "--dev-bind", "/", "/", "--ro-bind", str(home), str(home)] if bwrap else []
    if not wrap or subprocess.run([*wrap, "true"], capture_output=True, check=False).returncode:
        pytest.skip("running as root without a working bubblewrap: cannot make a directory unwritable")
    return wrap


@pytest.mark.parametrize("command", ["exec", "sessions list"])
@pytest.mark.parametrize("layout", ["file", "below-a-file", "read-only"])
def test_unusable_home_is_one_line(tmp_path: Path, command: str, layout: str) -> None:
    """Bad input tried: PYCODEX_HOME that is a file, that lies below a file, or that is a
    directory pycodex cannot write."""
    plain = tmp_path / "plain"
    plain.write_text("x")
    wrap: list[str] = []
    if layout == "file":
        home, expected = plain, f"Error: pycodex home {plain} is not a directory {HINT}"
    elif layout == "below-a-file":
        home = plain / "home"
        expected = f"Error: pycodex home {home} cannot be created: {plain} is not a directory {HINT}"
    else:
        home = tmp_path / "ro"
        home.mkdir()
        wrap = _read_only_wrap(home)
        expected = f"Error: pycodex home {home} is not writable {HINT}"
    if command == "exec":
        proc = _exec(home, tmp_path, "hi", wrap=wrap)
    else:
        proc = _run(home, "sessions", "list", wrap=wrap)
    if layout == "read-only":
        home.chmod(0o755)  # let pytest clean it up
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [expected], proc.stderr
