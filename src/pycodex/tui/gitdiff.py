"""`/diff`: the workspace's git diff, untracked files included as additions."""

from __future__ import annotations

from pathlib import Path

from pycodex.tui import safe_git

MAX_DIFF_CHARS = 500_000


async def _git(cwd: Path, *args: str, ok: tuple[int, ...] = (0,)) -> str | None:
    # Isolated: the repository's config must not make this git run a program.
    return await safe_git.git(cwd, *args, ok=ok)


async def workspace_diff(cwd: Path) -> str | None:
    """`git diff HEAD` plus each untracked file as an addition; None outside a repository."""
    if await _git(cwd, "rev-parse", "--is-inside-work-tree") is None:
        return None
    # A repository with no commit yet has no HEAD: diff the index and work tree instead.
    tracked = await _git(cwd, "diff", "--no-color", "--no-ext-diff", "--no-textconv", "HEAD")
    if tracked is None:
        tracked = await _git(cwd, "diff", "--no-color", "--no-ext-diff", "--no-textconv") or ""
    untracked = await _git(cwd, "ls-files", "--others", "--exclude-standard", "-z") or ""
    parts = [tracked]
    for rel in (p for p in untracked.split("\0") if p):
        # --no-index exits 1 when the files differ, which is always the case here.
        diff = await _git(cwd, "diff", "--no-color", "--no-ext-diff", "--no-textconv", "--no-index",
                          "--", "/dev/null", rel, ok=(0, 1))
        parts.append(diff or "")
    text = "".join(parts)
    if len(text) > MAX_DIFF_CHARS:
        text = text[:MAX_DIFF_CHARS] + "\n… diff truncated …\n"
    return text
