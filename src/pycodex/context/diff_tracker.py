"""The turn's cumulative diff: every file apply_patch touched, against its state at turn start."""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path


class TurnDiffTracker:
    """Remembers each touched file's first-seen content and diffs it against the disk."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._baseline: dict[Path, bytes | None] = {}
        self._renamed_from: dict[Path, Path] = {}

    def on_patch_begin(self, paths: Iterable[Path], moves: dict[Path, Path] | None = None) -> None:
        """Snapshot files the first time a patch is about to touch them."""
        for p in paths:
            if p not in self._baseline:
                self._baseline[p] = _read(p)
        for src, dst in (moves or {}).items():
            self._renamed_from.setdefault(dst, src)
            self._baseline.setdefault(dst, _read(dst))

    def unified_diff(self) -> str:
        """A git-style diff of every touched file; empty when nothing changed."""
        out: list[str] = []
        for path in sorted(self._baseline):
            before = self._baseline[path]
            after = _read(path)
            if before == after:
                continue
            out.append(self._file_diff(path, before, after))
        return "".join(out)

    def _file_diff(self, path: Path, before: bytes | None, after: bytes | None) -> str:
        rel = self._display(path)
        a = f"a/{rel}" if before is not None else "/dev/null"
        b = f"b/{rel}" if after is not None else "/dev/null"
        header = f"diff --git a/{rel} b/{rel}\n"
        if before is None:
            header += "new file mode 100644\n"
        elif after is None:
            header += "deleted file mode 100644\n"
        if _is_binary(before) or _is_binary(after):
            return header + f"Binary files {a} and {b} differ\n"
        old = _lines(before)
        new = _lines(after)
        if len(old) + len(new) > BIG_FILE_LINES and shutil.which("git"):
            fast = _git_diff(before or b"", after or b"", a, b)
            if fast is not None:
                return header + fast
        body = difflib.unified_diff(old, new, fromfile=a, tofile=b, n=3)
        text = "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in body)
        return header + text

    def _display(self, path: Path) -> str:
        try:
            return path.relative_to(self._root).as_posix()
        except ValueError:
            return path.as_posix()


BIG_FILE_LINES = 4000  # above this difflib gets slow; git's C diff is used instead
# pycodex's own git runs outside the sandbox, so no repository a command could have written may
# steer it (hooks, core.fsmonitor, textconv, pager): no discovery, no global or system config.
_ISOLATED_GIT_ENV = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CEILING_DIRECTORIES": "/",
    "GIT_DIR": os.devnull,
    "HOME": os.devnull,
    "LC_ALL": "C",
}


def _git_diff(before: bytes, after: bytes, a: str, b: str) -> str | None:
    """`git diff --no-index` of two byte strings; None if git fails."""
    with tempfile.TemporaryDirectory() as tmp:
        old, new = Path(tmp) / "old", Path(tmp) / "new"
        old.write_bytes(before)
        new.write_bytes(after)
        proc = subprocess.run(
            ["git", "diff", "--no-index", "--no-color", "--no-ext-diff", "--no-textconv", "-U3",
             str(old), str(new)],
            capture_output=True, check=False, cwd=tmp, env=_ISOLATED_GIT_ENV,
        )
    if proc.returncode not in (0, 1):
        return None
    text = proc.stdout.decode("utf-8", errors="replace")
    at = text.find("\n@@")
    hunks = text[at + 1 :] if at >= 0 else ""
    return f"--- {a}\n+++ {b}\n{hunks}"


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def _is_binary(data: bytes | None) -> bool:
    return data is not None and b"\0" in data[:8192]


def _lines(data: bytes | None) -> list[str]:
    if data is None:
        return []
    return data.decode("utf-8", errors="replace").splitlines(keepends=True)
