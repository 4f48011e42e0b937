"""Line endings, final newlines and empty files: byte for byte what Codex's own patcher writes.

Codex's binary (npm @openai/codex 0.169.0, run as `apply_patch` through its arg0 dispatch) and
pycodex apply each patch to the same files. One deliberate difference is not compared here: a
line the patch replaces in a mixed file keeps its own ending in pycodex, where Codex gives it
the ending of the file's first line (see src/pycodex/patch/lines.py).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from pycodex.patch.apply import apply_patch_text

ROOT = Path(__file__).resolve().parents[2]
B, E = "*** Begin Patch\n", "*** End Patch\n"

# (files before, patch)
CASES: list[tuple[dict[str, bytes], str]] = [
    # Mixed endings: untouched lines keep theirs; the replaced line's equals the first line's.
    ({"f.txt": b"a\r\nb\r\nc\nd\r\n"}, B + "*** Update File: f.txt\n@@\n a\n-b\n+B\n c\n" + E),
    # An insertion after a CRLF line in a file whose first line is CRLF too.
    ({"f.txt": b"a\r\nb\nc\r\n"}, B + "*** Update File: f.txt\n@@\n c\n+X\n" + E),
    # An unterminated last line the patch does not touch still gets a line ending.
    ({"f.txt": b"a\nb"}, B + "*** Update File: f.txt\n@@\n-a\n+A\n" + E),
    ({"f.txt": b"a\r\nb"}, B + "*** Update File: f.txt\n@@\n-b\n+B\n" + E),
    # An Add File hunk with no lines: an empty file.
    ({}, B + "*** Add File: empty.txt\n" + E),
]


def _codex_apply_patch(tmp: Path) -> Path:
    """Codex's native binary linked as `apply_patch`, or skip (fail in CI, which installs it)."""
    hits = sorted((ROOT / ".cache" / "npm" / "node_modules" / "@openai").glob("codex-linux-*/vendor/*/bin/codex"))
    if not hits:
        if os.environ.get("CI"):
            pytest.fail("the real Codex CLI is not installed; .ci/run installs @openai/codex@0.169.0")
        pytest.skip("the real Codex CLI is not installed (npm install @openai/codex@0.169.0)")
    link = tmp / "apply_patch"
    link.symlink_to(hits[0])
    return link


def _write(root: Path, files: dict[str, bytes]) -> None:
    root.mkdir()
    for name, data in files.items():
        (root / name).write_bytes(data)


def _read(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(root.iterdir())}


def test_same_bytes_as_codex(tmp_path: Path) -> None:
    """Every case leaves byte-identical files under Codex's patcher and under pycodex."""
    codex = _codex_apply_patch(tmp_path)
    differ = []
    for n, (files, patch) in enumerate(CASES):
        theirs, ours = tmp_path / f"codex{n}", tmp_path / f"pycodex{n}"
        _write(theirs, files)
        _write(ours, files)
        proc = subprocess.run([str(codex), patch], cwd=theirs, capture_output=True, text=True,
                              check=False, timeout=60)
        assert proc.returncode == 0, proc.stderr
        apply_patch_text(patch, ours)
        if _read(theirs) != _read(ours):
            differ.append(f"case {n}: codex {_read(theirs)} != pycodex {_read(ours)}")
    assert not differ, "\n".join(differ)
