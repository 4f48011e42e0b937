"""The repository's branches and recent commits, for /review's pickers.

git runs here on the user's repository, outside any sandbox, and a command the model ran may
have written that repository's config: so nothing in it may start a program (no hooks,
fsmonitor, pager, signature checks, no global or system config, no prompts).
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

GIT_TIMEOUT = 10.0  # seconds; listing refs is quick
RECENT_COMMITS = 100

_ENV = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "HOME": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_OPTIONAL_LOCKS": "0",
    "LC_ALL": "C",
}
_OVERRIDES = ("core.fsmonitor=false", f"core.hooksPath={os.devnull}", "core.pager=cat",
              "log.showSignature=false", "gpg.program=false")


@dataclass(frozen=True)
class Commit:
    """A commit as the picker lists it."""

    sha: str
    subject: str


async def _git(cwd: Path, *args: str) -> str | None:
    """`git ARGS` in cwd, isolated as above: its stdout, or None when it fails or cannot run."""
    argv = ["git", "--no-pager"]
    for override in _OVERRIDES:
        argv += ["-c", override]
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, *args, cwd=cwd, env=_ENV, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        )
    except OSError:  # no git, or cwd is gone
        return None
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), GIT_TIMEOUT)
    except TimeoutError:
        return None
    finally:
        if proc.returncode is None:
            proc.kill()
    return out.decode("utf-8", "replace") if proc.returncode == 0 else None


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
