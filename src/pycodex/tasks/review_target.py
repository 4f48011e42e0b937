"""Checking a review's target with git before anything is sent: the repository, the base
branch's merge base, the commit's full sha and title.

This git reads the user's repository outside any sandbox, and a command the model ran earlier
may have written that repository's config. So nothing there may make it run a program: no
hooks, no fsmonitor, no pager, no signature verification, no external diff or textconv, no
global or system config, and no terminal prompts.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from pycodex.context.review_prompts import (
    TargetFacts,
    review_prompt,
    target_problem,
    user_facing_hint,
)
from pycodex.protocol.events import (
    BaseBranchTarget,
    CommitTarget,
    CustomTarget,
    ReviewRequest,
    ReviewTarget,
)

GIT_TIMEOUT = 15.0  # seconds; these are all quick reads

_GIT_ENV = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "HOME": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_PAGER": "cat",
    "PAGER": "cat",
    "LC_ALL": "C",
}
# Overrides of anything in the repository's config that would start a program.
_GIT_OVERRIDES = (
    "core.fsmonitor=false",
    f"core.hooksPath={os.devnull}",
    "core.pager=cat",
    "log.showSignature=false",
    "diff.external=",
    "gpg.program=false",
)


class ReviewTargetError(Exception):
    """The target cannot be reviewed; the message is one line for the user."""


@dataclass(frozen=True)
class ResolvedReview:
    """A checked review: the request as announced (hint filled in) and the text to send."""

    request: ReviewRequest
    prompt: str


async def resolve_review(request: ReviewRequest, cwd: Path) -> ResolvedReview:
    """Check the target and build the request; raises ReviewTargetError when it cannot be."""
    target = request.target
    problem = target_problem(target)
    if problem is not None:
        raise ReviewTargetError(problem)
    facts = TargetFacts()
    if not isinstance(target, CustomTarget):
        facts = await _facts(target, cwd)
    hint = request.user_facing_hint or user_facing_hint(target, facts)
    return ResolvedReview(
        request=ReviewRequest(target=target, user_facing_hint=hint),
        prompt=review_prompt(target, facts),
    )


async def _facts(target: ReviewTarget, cwd: Path) -> TargetFacts:
    top = await _git(cwd, "rev-parse", "--show-toplevel")
    if top is None:
        raise ReviewTargetError(f"not a git repository: {cwd}")
    if isinstance(target, BaseBranchTarget):
        base = await _commit(cwd, target.branch)
        if base is None:
            raise ReviewTargetError(f"unknown branch '{target.branch}' in {top}")
        if await _commit(cwd, "HEAD") is None:
            raise ReviewTargetError(f"the current branch of {top} has no commits yet")
        merge_base = await _git(cwd, "merge-base", "HEAD", base)
        if merge_base is None:
            raise ReviewTargetError(f"'{target.branch}' shares no history with the current branch")
        return TargetFacts(merge_base=merge_base)
    if isinstance(target, CommitTarget):
        sha = await _commit(cwd, target.sha)
        if sha is None:
            raise ReviewTargetError(f"unknown commit '{target.sha}' in {top}")
        title = target.title or await _git(cwd, "log", "-1", "--no-show-signature", "--format=%s", sha)
        return TargetFacts(sha=sha, title=title or None)
    return TargetFacts()


async def _commit(cwd: Path, name: str) -> str | None:
    """The full sha of the commit `name` names, or None."""
    return await _git(cwd, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{name}^{{commit}}")


async def _git(cwd: Path, *args: str) -> str | None:
    """`git ARGS` in cwd, isolated as above: its stripped stdout, or None when it fails."""
    argv = ["git", "--no-pager"]
    for override in _GIT_OVERRIDES:
        argv += ["-c", override]
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, *args, cwd=cwd, env=_GIT_ENV, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        )
    except FileNotFoundError as e:
        if shutil.which("git", path=_GIT_ENV["PATH"]) is None:
            raise ReviewTargetError("git is not installed: a review needs it") from e
        raise ReviewTargetError(f"working directory {cwd} does not exist") from e
    except OSError as e:
        raise ReviewTargetError(f"cannot run git in {cwd}: {e.strerror or e}") from e
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), GIT_TIMEOUT)
    except TimeoutError:
        raise ReviewTargetError(f"git took longer than {GIT_TIMEOUT:.0f}s in {cwd}") from None
    finally:
        if proc.returncode is None:  # timed out or cancelled: it must not outlive the check
            proc.kill()
    if proc.returncode != 0:
        return None
    return out.decode("utf-8", errors="replace").strip()
