"""`pycodex sessions`: a real process over a real home."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize("limit", ["0", "-3"])
def test_a_limit_below_one_is_a_usage_error_not_an_empty_list(tmp_path: Path, limit: str) -> None:
    """Bad input tried: `sessions list --limit 0` / `--limit -3` (printed an empty table, exit 0)."""
    env = {**os.environ, "PYCODEX_HOME": str(tmp_path / "home")}
    run = subprocess.run([sys.executable, "-m", "pycodex.cli.main", "sessions", "list", "--limit", limit],
                         capture_output=True, text=True, env=env, timeout=60, check=False)
    assert run.returncode == 2 and run.stdout == ""
    assert "Invalid value for '--limit'" in run.stderr.strip().splitlines()[-1]


def test_ui_resume_takes_all_as_codex_does(tmp_path: Path) -> None:
    """Bad input tried: `pycodex resume --last --all` (Codex's flag) was refused as an unknown option.

    Without a terminal the UI refuses to start; the flag itself must be accepted first.
    """
    env = {**os.environ, "PYCODEX_HOME": str(tmp_path / "home")}
    run = subprocess.run([sys.executable, "-m", "pycodex.cli.main", "resume", "--last", "--all"],
                         capture_output=True, text=True, env=env, timeout=60, check=False,
                         stdin=subprocess.DEVNULL)
    assert run.returncode == 2 and "needs a terminal" in run.stderr and "No such option" not in run.stderr
