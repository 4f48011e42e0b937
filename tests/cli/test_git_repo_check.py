"""`pycodex exec` without --skip-git-repo-check runs only inside a real git repository."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import write_config

TRUST_ERROR = "Not inside a trusted directory and --skip-git-repo-check was not specified."


def _exec(home: Path, ws: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYCODEX_HOME": str(home), "MOCK_API_KEY": "k"}
    return subprocess.run([sys.executable, "-m", "pycodex.cli.main", "exec", "--json", "-C", str(ws), "hi"],
                          capture_output=True, text=True, env=env, timeout=60, check=False)


def test_exec_refuses_empty_git_dir_and_accepts_real_repositories(tmp_path: Path) -> None:
    """Bad input tried: the workspace sits below an empty `.git` directory (not a repository)."""
    probe = subprocess.run(["git", "-C", str(tmp_path), "rev-parse", "--git-dir"],
                           capture_output=True, text=True, check=False)
    assert probe.returncode != 0, f"the temp dir {tmp_path} is inside a git repository"
    stray = tmp_path / "stray"
    (stray / ".git").mkdir(parents=True)
    (stray / "ws").mkdir()
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    linked = tmp_path / "linked"
    subprocess.run(["git", "init", "-q", f"--separate-git-dir={tmp_path / 'store'}", str(linked)], check=True)
    turns = [sc.turn(sc.message("ok"), sc.completed()), sc.turn(sc.message("ok"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        write_config(tmp_path / "home", srv.base_url)
        refused = _exec(tmp_path / "home", stray / "ws")
        in_repo = _exec(tmp_path / "home", repo)
        in_linked = _exec(tmp_path / "home", linked)
    assert refused.returncode == 1
    assert refused.stderr.strip() == f"Error: {TRUST_ERROR}"
    assert in_repo.returncode == 0, in_repo.stderr
    assert in_linked.returncode == 0, in_linked.stderr
    assert len(srv.requests) == 2  # the refused run never reached the model
