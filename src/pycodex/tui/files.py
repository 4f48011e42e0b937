"""`@` file search: the workspace's files (respecting .gitignore), ranked by a fuzzy match."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from pycodex.tui import safe_git

MAX_FILES = 50_000
SKIP_DIRS = {".git", "node_modules", "__pycache__", ".venv", ".mypy_cache", ".ruff_cache"}


def score(query: str, path: str) -> int | None:
    """How well `query` matches `path` as a subsequence (higher is better); None: no match."""
    if not query:
        return 0
    q = query.lower()
    p = path.lower()
    base_start = p.rfind("/") + 1
    pos = -1
    total = 0
    run = 0
    for ch in q:
        nxt = p.find(ch, pos + 1)
        if nxt < 0:
            return None
        run = run + 1 if nxt == pos + 1 else 0
        total += 1 + 2 * run  # consecutive letters count more
        if nxt >= base_start:
            total += 2  # a match in the file name beats one in a directory
        if nxt == 0 or p[nxt - 1] in "/._-":
            total += 3  # the start of a word
        pos = nxt
    return total * 100 - len(path)


def rank(query: str, paths: list[str], limit: int = 8) -> list[str]:
    """The best matches, best first."""
    scored = [(s, p) for p in paths if (s := score(query, p)) is not None]
    scored.sort(key=lambda sp: (-sp[0], sp[1]))
    return [p for _, p in scored[:limit]]


async def list_files(root: Path) -> list[str]:
    """Files under root relative to it: git's view (tracked + untracked, not ignored) in a
    repository, else a walk that skips hidden and tool directories."""
    # Isolated: the repository's config must not make this git run a program.
    out = await safe_git.git(root, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    if out is not None:
        return [p for p in out.split("\0") if p][:MAX_FILES]
    return await asyncio.to_thread(_walk, root)


def _walk(root: Path) -> list[str]:
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        rel = os.path.relpath(dirpath, root)
        for name in sorted(filenames):
            found.append(name if rel == "." else f"{rel}/{name}")
            if len(found) >= MAX_FILES:
                return found
    return found


def at_token(text: str, cursor: int) -> tuple[int, str] | None:
    """The `@word` the cursor is in: (its start offset, the word without @), or None."""
    start = cursor
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    word = text[start:cursor]
    if not word.startswith("@"):
        return None
    return start, word[1:]
