"""What a review is asked to look at: the request text for each target kind, and the short
hint shown to the user. Pure: the git facts (merge base, full sha, title) come resolved."""

from __future__ import annotations

from dataclasses import dataclass

from pycodex.protocol.events import (
    BaseBranchTarget,
    CommitTarget,
    CustomTarget,
    ReviewTarget,
    UncommittedChangesTarget,
)

# Codex sends exactly this for uncommitted changes; models are used to it.
UNCOMMITTED_PROMPT = (
    "Review the current code changes (staged, unstaged, and untracked files) and provide "
    "prioritized findings."
)


@dataclass(frozen=True)
class TargetFacts:
    """What git said about a target: the merge base (base branch), or the full sha and title
    (commit)."""

    merge_base: str | None = None
    sha: str | None = None
    title: str | None = None


def review_prompt(target: ReviewTarget, facts: TargetFacts) -> str:
    """The request's user message: which changes to review and how to see them."""
    if isinstance(target, UncommittedChangesTarget):
        return UNCOMMITTED_PROMPT
    if isinstance(target, BaseBranchTarget):
        base = facts.merge_base or target.branch
        return (
            f"Review the changes on the current branch that '{target.branch}' does not have yet. "
            f"Their merge base with '{target.branch}' is {base}: `git diff {base}` shows them "
            "(together with any uncommitted changes). Provide prioritized, actionable findings."
        )
    if isinstance(target, CommitTarget):
        sha = facts.sha or target.sha
        title = target.title or facts.title
        named = f'commit {sha} ("{title}")' if title else f"commit {sha}"
        return (
            f"Review the changes introduced by {named}; `git show {sha}` shows them. "
            "Provide prioritized, actionable findings."
        )
    return target.instructions.strip()


def user_facing_hint(target: ReviewTarget, facts: TargetFacts | None = None) -> str:
    """A few words naming the target, for the user (`entered_review_mode`)."""
    if isinstance(target, UncommittedChangesTarget):
        return "current changes"
    if isinstance(target, BaseBranchTarget):
        return f"changes against '{target.branch}'"
    if isinstance(target, CommitTarget):
        short = (facts.sha if facts and facts.sha else target.sha)[:7]
        title = target.title or (facts.title if facts else None)
        return f"commit {short}: {title}" if title else f"commit {short}"
    return target.instructions.strip()


def target_problem(target: ReviewTarget) -> str | None:
    """Why a target cannot be reviewed, before git is even asked; None when it may be."""
    if isinstance(target, CustomTarget):
        return None if target.instructions.strip() else "the review instructions are empty"
    if isinstance(target, BaseBranchTarget):
        return _name_problem(target.branch, "no base branch given")
    if isinstance(target, CommitTarget):
        return _name_problem(target.sha, "no commit given")
    return None


def _name_problem(name: str, missing: str) -> str | None:
    if not name.strip():
        return missing
    if "\0" in name or "\n" in name:
        return f"{name!r} is not a git revision"
    return None
