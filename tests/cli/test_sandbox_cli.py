"""`pycodex sandbox linux`: a real process under the real sandbox, as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _sandbox(home: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYCODEX_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "pycodex.cli.main", "sandbox", "linux", *args],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=60, check=False)


def test_missing_working_directory_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    """Bad input tried: `-C` naming a directory that does not exist."""
    run = _sandbox(tmp_path / "home", "--full-auto", "-C", str(tmp_path / "nope"), "--", "true", cwd=tmp_path)
    assert run.returncode != 0 and "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and str(tmp_path / "nope") in errors[0]


def test_an_unknown_option_is_a_usage_error_not_the_command(tmp_path: Path) -> None:
    """Bad input tried: `--add-dir /x -- true` (an option `sandbox linux` does not have) and a
    typo of --full-auto; each was run as the program, 'bwrap: execvp --add-dir: No such file'."""
    for args in (("--add-dir", "/tmp", "--", "true"), ("--ful-auto", "--", "true")):
        run = _sandbox(tmp_path / "home", *args, cwd=tmp_path)
        assert run.returncode == 2, run.stderr
        assert f"no such option: {args[0]}" in run.stderr and "execvp" not in run.stderr
    ok = _sandbox(tmp_path / "home", "--", "true", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
