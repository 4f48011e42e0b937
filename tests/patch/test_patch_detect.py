"""apply_patch inside shell calls, and the `pycodex apply-patch` command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pycodex.patch.invocation import detect_apply_patch, detect_apply_patch_in_script

P = "*** Begin Patch\n*** Add File: a.txt\n+x\n*** End Patch\n"


@pytest.mark.parametrize(("script", "workdir"), [
    (f"apply_patch <<'EOF'\n{P}EOF\n", None),
    (f'apply_patch <<"EOF"\n{P}EOF\n', None),
    (f"apply_patch <<EOF\n{P}EOF\n", None),
    (f"applypatch <<'PATCH'\n{P}PATCH\n", None),
    (f"cd sub && apply_patch <<'EOF'\n{P}EOF\n", "sub"),
    (f"cd 'dir with space' && apply_patch <<'EOF'\n{P}EOF\n", "dir with space"),
])
def test_detected(script: str, workdir: str | None) -> None:
    found = detect_apply_patch_in_script(script)
    assert found is not None and found.patch_text == P and found.workdir == workdir


@pytest.mark.parametrize("script", [
    f"echo hi; apply_patch <<'EOF'\n{P}EOF\n",
    f"apply_patch <<'EOF'\n{P}EOF\necho done\n",
    f"cd a || apply_patch <<'EOF'\n{P}EOF\n",
    f"cd $HOME && apply_patch <<'EOF'\n{P}EOF\n",
    f"apply_patch extra <<'EOF'\n{P}EOF\n",
    "ls -la",
    "apply_patch",
])
def test_not_detected(script: str) -> None:
    assert detect_apply_patch_in_script(script) is None


def test_argv_forms() -> None:
    assert detect_apply_patch(["apply_patch", P]).patch_text == P  # type: ignore[union-attr]
    assert detect_apply_patch(["bash", "-lc", f"apply_patch <<'EOF'\n{P}EOF\n"]) is not None
    assert detect_apply_patch(["ls", "-la"]) is None


def test_cli_applies_from_stdin_and_fails_cleanly(tmp_path: Path) -> None:
    """Bad input tried: a patch whose context is missing → exit 1, message on stderr."""
    cmd = [sys.executable, "-m", "pycodex.cli.main", "apply-patch"]
    ok = subprocess.run(cmd, input=P, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert ok.returncode == 0 and ok.stdout == "Success. Updated the following files:\nA a.txt\n"
    bad = "*** Begin Patch\n*** Update File: a.txt\n@@\n-zzz\n+y\n*** End Patch\n"
    fail = subprocess.run(cmd, input=bad, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert fail.returncode == 1 and "Failed to find expected lines" in fail.stderr
    assert (tmp_path / "a.txt").read_text() == "x\n"


def test_cli_stdin_not_utf8_is_one_line(tmp_path: Path) -> None:
    """Bad input tried: bytes on stdin that are not UTF-8 (strict decoding) → one line, exit 1."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict"}
    for cmd in ([sys.executable, "-m", "pycodex.cli.main", "apply-patch"],
                [sys.executable, "-m", "pycodex.cli.entry", "apply-patch"]):
        run = subprocess.run(cmd, input=b"\xff\xfe*** Begin Patch\n", cwd=tmp_path, capture_output=True,
                             env=env, check=False)
        assert run.returncode == 1, run.stderr
        assert run.stderr.decode() == "Error: the patch on stdin is not utf-8 text (byte 0)\n"
        assert list(tmp_path.iterdir()) == []
