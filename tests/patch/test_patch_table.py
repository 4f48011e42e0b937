"""apply_patch: a data-driven table of cases, each applied to real files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pycodex.patch.apply import PatchApplyError, apply_patch_text
from pycodex.patch.parser import PatchParseError

B, E = "*** Begin Patch\n", "*** End Patch\n"

# (name, files before, patch, files after | error substring)
CASES: list[tuple[str, dict[str, str], str, dict[str, str | None] | str]] = [
    ("add", {}, B + "*** Add File: a.txt\n+one\n+two\n" + E, {"a.txt": "one\ntwo\n"}),
    ("add nested dir", {}, B + "*** Add File: d/e/f.txt\n+x\n" + E, {"d/e/f.txt": "x\n"}),
    ("add overwrites existing", {"a.txt": "old\n"}, B + "*** Add File: a.txt\n+new\n" + E, {"a.txt": "new\n"}),
    ("delete", {"a.txt": "x\n"}, B + "*** Delete File: a.txt\n" + E, {"a.txt": None}),
    ("delete missing file", {}, B + "*** Delete File: nope.txt\n" + E, "no such file"),
    ("update exact", {"a.txt": "a\nb\nc\n"}, B + "*** Update File: a.txt\n@@\n a\n-b\n+B\n c\n" + E, {"a.txt": "a\nB\nc\n"}),
    ("update first chunk without @@", {"a.txt": "a\nb\n"}, B + "*** Update File: a.txt\n a\n-b\n+B\n" + E, {"a.txt": "a\nB\n"}),
    ("trailing whitespace ignored", {"a.txt": "a  \nb\n"}, B + "*** Update File: a.txt\n@@\n a\n-b\n+B\n" + E, {"a.txt": "a  \nB\n"}),
    ("surrounding whitespace ignored", {"a.txt": "    a\nb\n"}, B + "*** Update File: a.txt\n@@\n a\n-b\n+B\n" + E, {"a.txt": "    a\nB\n"}),
    ("unicode punctuation normalised", {"a.txt": "x \u2014 y\nz\n"}, B + "*** Update File: a.txt\n@@\n x - y\n-z\n+Z\n" + E, {"a.txt": "x \u2014 y\nZ\n"}),
    ("curly quotes normalised", {"a.txt": "say \u201chi\u201d\n"}, B + "*** Update File: a.txt\n@@\n-say \"hi\"\n+say bye\n" + E, {"a.txt": "say bye\n"}),
    ("@@ context header", {"a.txt": "def f():\n    x = 1\ndef g():\n    x = 1\n"},
     B + "*** Update File: a.txt\n@@ def g():\n-    x = 1\n+    x = 2\n" + E, {"a.txt": "def f():\n    x = 1\ndef g():\n    x = 2\n"}),
    ("nested @@ headers", {"a.txt": "class A:\n  def f():\n    x\nclass B:\n  def f():\n    x\n"},
     B + "*** Update File: a.txt\n@@ class B:\n@@   def f():\n-    x\n+    y\n" + E,
     {"a.txt": "class A:\n  def f():\n    x\nclass B:\n  def f():\n    y\n"}),
    ("ambiguous context: first match after cursor", {"a.txt": "x\nx\n"}, B + "*** Update File: a.txt\n@@\n-x\n+y\n" + E, {"a.txt": "y\nx\n"}),
    ("end of file anchor", {"a.txt": "x\nmid\nx\n"}, B + "*** Update File: a.txt\n@@\n-x\n+END\n*** End of File\n" + E, {"a.txt": "x\nmid\nEND\n"}),
    ("two chunks", {"a.txt": "1\n2\n3\n4\n5\n"}, B + "*** Update File: a.txt\n@@\n-2\n+two\n@@\n-4\n+four\n" + E, {"a.txt": "1\ntwo\n3\nfour\n5\n"}),
    ("pure addition appends", {"a.txt": "a\n"}, B + "*** Update File: a.txt\n@@\n+b\n" + E, {"a.txt": "a\nb\n"}),
    ("deletion only", {"a.txt": "a\nb\nc\n"}, B + "*** Update File: a.txt\n@@\n a\n-b\n c\n" + E, {"a.txt": "a\nc\n"}),
    ("trailing newline added", {"a.txt": "a\nb"}, B + "*** Update File: a.txt\n@@\n-b\n+c\n" + E, {"a.txt": "a\nc\n"}),
    ("crlf file stays crlf", {"a.txt": "a\r\nb\r\n"}, B + "*** Update File: a.txt\n@@\n a\n-b\n+B\n" + E, {"a.txt": "a\r\nB\r\n"}),
    # Mixed endings: each line the patch leaves alone keeps its own ending (see patch/lines.py).
    ("mixed: replaced line keeps its lf", {"a.txt": "a\r\nb\nc\r\nd\n"},
     B + "*** Update File: a.txt\n@@\n a\n-b\n+B\n c\n" + E, {"a.txt": "a\r\nB\nc\r\nd\n"}),
    ("mixed: replaced line keeps its crlf", {"a.txt": "a\nb\r\nc\n"},
     B + "*** Update File: a.txt\n@@\n a\n-b\n+B1\n+B2\n c\n" + E, {"a.txt": "a\nB1\r\nB2\r\nc\n"}),
    ("mixed: insertion takes the ending of the line above", {"a.txt": "a\r\nb\nc\r\n"},
     B + "*** Update File: a.txt\n@@\n b\n+X\n c\n" + E, {"a.txt": "a\r\nb\nX\nc\r\n"}),
    ("mixed: insertion at the top takes the ending of the line below", {"a.txt": "a\nb\r\n"},
     B + "*** Update File: a.txt\n@@\n+X\n a\n" + E, {"a.txt": "X\na\nb\r\n"}),
    ("mixed: appended lines take the last line's ending", {"a.txt": "a\nb\r\n"},
     B + "*** Update File: a.txt\n@@\n+X\n" + E, {"a.txt": "a\nb\r\nX\r\n"}),
    ("mixed: unterminated last line gets the first line's ending", {"a.txt": "a\nb\r\nc"},
     B + "*** Update File: a.txt\n@@\n-b\n+B\n" + E, {"a.txt": "a\nB\r\nc\n"}),
    ("add empty file", {}, B + "*** Add File: e.txt\n" + E, {"e.txt": ""}),
    ("add empty file then another hunk", {"a.txt": "a\n"},
     B + "*** Add File: e.txt\n*** Update File: a.txt\n@@\n-a\n+A\n" + E, {"e.txt": "", "a.txt": "A\n"}),
    ("move", {"a.txt": "x\n"}, B + "*** Update File: a.txt\n*** Move to: sub/b.txt\n@@\n-x\n+y\n" + E, {"a.txt": None, "sub/b.txt": "y\n"}),
    ("move onto existing overwrites", {"a.txt": "x\n", "b.txt": "old\n"}, B + "*** Update File: a.txt\n*** Move to: b.txt\n@@\n-x\n+y\n" + E, {"a.txt": None, "b.txt": "y\n"}),
    ("missing context", {"a.txt": "a\n"}, B + "*** Update File: a.txt\n@@ nowhere\n-a\n+b\n" + E, "Failed to find context 'nowhere'"),
    ("missing lines", {"a.txt": "a\n"}, B + "*** Update File: a.txt\n@@\n-zzz\n+b\n" + E, "Failed to find expected lines"),
    ("update missing file", {}, B + "*** Update File: a.txt\n@@\n-a\n+b\n" + E, "no such file"),
    ("padded markers", {}, "  *** Begin Patch  \n*** Add File: a.txt\n+x\n  *** End Patch  ", {"a.txt": "x\n"}),
    ("padded hunk header", {}, B + "   *** Add File: a.txt\n+x\n" + E, {"a.txt": "x\n"}),
    ("heredoc wrapped", {}, "<<'EOF'\n" + B + "*** Add File: a.txt\n+x\n" + E + "EOF", {"a.txt": "x\n"}),
    ("invalid header", {}, B + "*** Frobnicate File: a\n" + E, "is not a valid hunk header"),
    ("missing begin", {}, "*** Add File: a\n+x\n" + E, "must be '*** Begin Patch'"),
    ("missing end", {}, B + "*** Add File: a\n+x\n", "must be '*** End Patch'"),
    ("empty update hunk", {"a.txt": "x\n"}, B + "*** Update File: a.txt\n" + E, "is empty"),
    ("empty patch", {}, B + E, "No files were modified"),
    ("delete a directory fails", {"d/x": "1\n"}, B + "*** Delete File: d\n" + E, "directory"),
    ("later failure leaves earlier file untouched", {"a.txt": "a\n"},
     B + "*** Update File: a.txt\n@@\n-a\n+A\n*** Update File: b.txt\n@@\n-b\n+B\n" + E, "no such file"),
]


def _setup(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(text.encode())


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(("name", "before", "patch", "expected"), CASES, ids=[c[0] for c in CASES])
def test_patch_case(tmp_path: Path, name: str, before: dict[str, str], patch: str,
                    expected: dict[str, str | None] | str) -> None:
    _setup(tmp_path, before)
    snap = _snapshot(tmp_path)
    if isinstance(expected, str):
        with pytest.raises((PatchApplyError, PatchParseError), match=re.escape(expected)):
            apply_patch_text(patch, tmp_path)
        assert _snapshot(tmp_path) == snap, "a failed patch must leave every file byte-identical"
        return
    apply_patch_text(patch, tmp_path)
    for rel, text in expected.items():
        p = tmp_path / rel
        if text is None:
            assert not p.exists(), rel
        else:
            assert p.read_bytes() == text.encode(), rel


def test_summary_text(tmp_path: Path) -> None:
    (tmp_path / "m.txt").write_text("a\n")
    (tmp_path / "d.txt").write_text("a\n")
    out = apply_patch_text(B + "*** Add File: n.txt\n+x\n*** Update File: m.txt\n@@\n-a\n+b\n*** Delete File: d.txt\n" + E, tmp_path)
    assert out == "Success. Updated the following files:\nA n.txt\nM m.txt\nD d.txt\n"


def test_update_keeps_file_mode(tmp_path: Path) -> None:
    p = tmp_path / "run.sh"
    p.write_text("echo a\n")
    p.chmod(0o755)
    apply_patch_text(B + "*** Update File: run.sh\n@@\n-echo a\n+echo b\n" + E, tmp_path)
    assert p.stat().st_mode & 0o777 == 0o755
