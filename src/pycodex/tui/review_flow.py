"""/review: pick what to review, as Codex's TUI offers it (against a base branch, the
uncommitted changes, one commit, custom instructions), then submit the review.

The session checks the target (a repository, the branch, the commit) before anything reaches
the model; a target it refuses comes back as an error event, shown like any other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pycodex.protocol import events as ev
from pycodex.protocol import ops
from pycodex.tui import gitrefs, slash
from pycodex.tui.picker import PickerScreen, TextPromptScreen, static_loader

if TYPE_CHECKING:
    from pycodex.tui.app import PycodexApp

PRESETS = [
    ("Review against a base branch  (PR style)", "base"),
    ("Review uncommitted changes", "uncommitted"),
    ("Review a commit", "commit"),
    ("Custom review instructions", "custom"),
]
BUSY = slash.busy_notice("review")


def open_review(app: PycodexApp, args: str) -> None:
    """`/review` opens the preset picker; `/review <instructions>` reviews with those."""
    if app.state.running:
        app.notice(BUSY, tone="warning")
        return
    if args:
        _submit(app, ev.CustomTarget(instructions=args))
        return

    def picked(kind: str | None) -> None:
        if kind == "uncommitted":
            _submit(app, ev.UncommittedChangesTarget())
        elif kind == "base":
            app.run_worker(_pick_branch(app), group="review")
        elif kind == "commit":
            app.run_worker(_pick_commit(app), group="review")
        elif kind == "custom":
            _ask_instructions(app)

    app.push_screen(PickerScreen("Select a review preset", static_loader(PRESETS), searchable=False),
                    picked)


def _submit(app: PycodexApp, target: ev.ReviewTarget) -> None:
    if app.state.running:  # a turn began while the picker was open
        app.notice(BUSY, tone="warning")
        return
    op = ops.Review(review_request=ev.ReviewRequest(target=target))
    app.run_worker(app.submit(op), group="review")


async def _in_repository(app: PycodexApp) -> bool:
    if await gitrefs.in_repository(app.state.cwd):
        return True
    app.notice(f"/review: {app.state.cwd} is not a git repository; only custom instructions "
               "can be reviewed here.", tone="warning")
    return False


async def _pick_branch(app: PycodexApp) -> None:
    cwd = app.state.cwd
    if not await _in_repository(app):
        return
    current = await gitrefs.current_branch(cwd)
    head = current or "(detached HEAD)"
    items = [(f"{head} → {branch}", branch) for branch in await gitrefs.local_branches(cwd, besides=current)]

    def picked(branch: str | None) -> None:
        if branch is not None:
            _submit(app, ev.BaseBranchTarget(branch=branch))

    app.push_screen(PickerScreen("Select a base branch", static_loader(items),
                                 empty="no other local branch to compare with"), picked)


async def _pick_commit(app: PycodexApp) -> None:
    if not await _in_repository(app):
        return
    commits = await gitrefs.recent_commits(app.state.cwd)
    titles = {c.sha: c.subject for c in commits}
    items = [(f"{c.sha[:7]}  {c.subject}", c.sha) for c in commits]

    def picked(sha: str | None) -> None:
        if sha is not None:
            _submit(app, ev.CommitTarget(sha=sha, title=titles[sha] or None))

    app.push_screen(PickerScreen("Select a commit to review", static_loader(items),
                                 empty="no commits match"), picked)


def _ask_instructions(app: PycodexApp) -> None:
    def typed(text: str | None) -> None:
        if text is not None:
            _submit(app, ev.CustomTarget(instructions=text))

    app.push_screen(TextPromptScreen("Custom review instructions", "what should the review look at?",
                                     blank="Type the instructions first (esc to cancel)."), typed)
