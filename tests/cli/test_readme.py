"""The README's commands and library example, run as a newcomer would run them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import write_config

README = Path(__file__).resolve().parents[2] / "README.md"


def _example() -> str:
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.S)[0]


def _run_example(home: Path, ws: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _example()], cwd=ws, capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "PYCODEX_HOME": str(home), "MOCK_API_KEY": "k"},
    )


def test_readme_first_lines_are_the_two_commands() -> None:
    lines = README.read_text().splitlines()
    assert lines[3].startswith("bash scripts/setup.sh && .venv/bin/pycodex demo")
    assert lines[4] == "bash scripts/test.sh"


def test_library_example_prints_the_answer(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    with ScriptedModelServer([sc.turn(sc.message("three files"), sc.completed())]) as srv:
        write_config(tmp_path / "home", srv.base_url)
        proc = _run_example(tmp_path / "home", ws)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("three files ")


def test_library_example_prints_the_error_not_none(tmp_path: Path) -> None:
    # Bad input: the provider refuses the key (401).
    ws = tmp_path / "ws"
    ws.mkdir()
    with ScriptedModelServer([sc.http_error(401, '{"error": {"message": "bad key"}}')]) as srv:
        write_config(tmp_path / "home", srv.base_url)
        proc = _run_example(tmp_path / "home", ws)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("error: unauthorized (401)"), proc.stdout
    assert "None None" not in proc.stdout
