"""The repository's branches and recent commits, for /review's pickers.

git runs here on the user's repository, outside any sandbox, and a command the model ran may
have written that repository's config: so it runs isolated as `safe_git` runs it (nothing in
the repository's config may start a program).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pycodex.tui import safe_git

RECENT_COMMITS = 100


@dataclass(frozen=True)
class Commit:
    """A commit as the picker lists it."""

    sha: str
    subject: str


async def _git(cwd: Path, *args: str) -> str | None:
    """`git ARGS` in cwd, isolated (`safe_git`): its stdout, or None when it fails or cannot run."""
    return await safe_git.run_isolated(cwd, list(args))


async def in_repository(cwd: Path) -> bool:
    """Whether cwd is inside a git work tree."""
    return await _git(cwd, "rev-parse", "--is-inside-work-tree") is not None


async def current_branch(cwd: Path) -> str | None:
    """The checked-out branch; None when HEAD is detached (or no repository)."""
    out = await _git(cwd, "symbolic-ref", "--quiet", "--short", "HEAD")
    return (out or "").strip() or None


async def local_branches(cwd: Path, *, besides: str | None = None) -> list[str]:
    """Local branches (but `besides`), most recently committed first."""
    out = await _git(cwd, "for-each-ref", "--sort=-committerdate", "--format=%(refname:short)",
                     "refs/heads/")
    return [b for b in (out or "").splitlines() if b and b != besides]


async def recent_commits(cwd: Path, limit: int = RECENT_COMMITS) -> list[Commit]:
    """The newest commits reachable from HEAD (none in a repository without commits)."""
    out = await _git(cwd, "log", f"--max-count={limit}", "--no-show-signature", "--format=%H%x1f%s")
    commits = []
    for line in (out or "").splitlines():
        sha, _, subject = line.partition("\x1f")
        if sha:
            commits.append(Commit(sha=sha, subject=subject))
    return commits
