"""`pycodex exec review`: the review target its flags (or instructions) name.

`exec review --uncommitted`, `--base BRANCH`, `--commit SHA [--title T]`, or custom review
instructions as PROMPT (`-` reads them from stdin): exactly one of these, as in Codex.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # the protocol's models load when a target is built, not for `exec --help`
    from pycodex.protocol.events import ReviewTarget

NOTHING_TO_REVIEW = (
    "nothing to review: pass --uncommitted, --base BRANCH, --commit SHA, or review "
    "instructions (PROMPT, or - to read them from stdin)"
)


@dataclass
class ReviewArgs:
    """The review flags as given on the command line."""

    uncommitted: bool = False
    base: str | None = None
    commit: str | None = None
    title: str | None = None

    def given(self) -> bool:
        """Whether any review flag was used."""
        return self.uncommitted or self.base is not None or self.commit is not None or self.title is not None

    def check(self, prompt: str | None) -> None:
        """Refuse flags that contradict each other (a usage error, as Codex's)."""
        targets = [name for name, on in (("--uncommitted", self.uncommitted), ("--base", self.base is not None),
                                         ("--commit", self.commit is not None)) if on]
        if len(targets) > 1:
            raise click.UsageError(f"{' and '.join(targets)} cannot be used together")
        if self.title is not None and self.commit is None:
            raise click.UsageError("--title needs --commit")
        if targets and prompt is not None:
            raise click.UsageError(f"{targets[0]} cannot be used with review instructions (PROMPT)")

    def target(self, instructions: str | None) -> ReviewTarget | None:
        """The target these flags (or the instructions) name; None when they name none."""
        from pycodex.protocol.events import (
            BaseBranchTarget,
            CommitTarget,
            CustomTarget,
            UncommittedChangesTarget,
        )

        if self.uncommitted:
            return UncommittedChangesTarget()
        if self.base is not None:
            return BaseBranchTarget(branch=self.base)
        if self.commit is not None:
            return CommitTarget(sha=self.commit, title=self.title)
        if instructions is not None and instructions.strip():
            return CustomTarget(instructions=instructions)
        return None
