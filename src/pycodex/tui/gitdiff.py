"""`/diff`: the workspace's git diff, untracked files included as additions."""

from __future__ import annotations

import asyncio
from pathlib import Path

MAX_DIFF_CHARS = 500_000


async def _git(cwd: Path, *args: str, ok: tuple[int, ...] = (0,)) -> str | None:
    proc = await asyncio.create_subprocess_exec(
        "git", "-C", str(cwd), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await proc.communicate()
    if proc.returncode not in ok:
        return None
    return out.decode("utf-8", "replace")


async def workspace_diff(cwd: Path) -> str | None:
    """`git diff HEAD` plus each untracked file as an addition; None outside a repository."""
    if await _git(cwd, "rev-parse", "--is-inside-work-tree") is None:
        return None
    # A repository with no commit yet has no HEAD: diff the index and work tree instead.
    tracked = await _git(cwd, "diff", "--no-color", "HEAD")
    if tracked is None:
        tracked = await _git(cwd, "diff", "--no-color") or ""
    untracked = await _git(cwd, "ls-files", "--others", "--exclude-standard", "-z") or ""
    parts = [tracked]
    for rel in (p for p in untracked.split("\0") if p):
        # --no-index exits 1 when the files differ, which is always the case here.
        diff = await _git(cwd, "diff", "--no-color", "--no-index", "--", "/dev/null", rel, ok=(0, 1))
        parts.append(diff or "")
    text = "".join(parts)
    if len(text) > MAX_DIFF_CHARS:
        text = text[:MAX_DIFF_CHARS] + "\n… diff truncated …\n"
    return text
