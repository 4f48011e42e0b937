"""Slash commands: the list, matching as you type, and parsing what was sent (pure)."""

from __future__ import annotations

from dataclasses import dataclass

# Name → what it does, in the order the popup lists them.
COMMANDS: dict[str, str] = {
    "model": "choose the model and reasoning effort",
    "approvals": "choose what pycodex may do without asking",
    "review": "review changes: uncommitted, against a branch, a commit, or custom",
    "new": "start a new session",
    "resume": "continue a recorded session",
    "init": "create an AGENTS.md file with instructions for the model",
    "compact": "summarise the conversation to free context",
    "diff": "show the git diff, including untracked files",
    "mention": "mention a file",
    "status": "show session id, token usage, limits and configuration",
    "quit": "quit pycodex",
    "exit": "quit pycodex",
}

# What can run while a turn does (Codex's list): the others change or replace the session
# under the turn, or send a prompt of their own into it.
DURING_TURN = frozenset({"diff", "mention", "status", "quit", "exit"})


@dataclass(frozen=True)
class SlashCommand:
    """A parsed `/name args` line."""

    name: str
    args: str
    known: bool


def parse(text: str) -> SlashCommand | None:
    """`/name args` → the command; anything not starting with `/` is a message (None)."""
    stripped = text.strip()
    if not stripped.startswith("/") or stripped.startswith("//"):
        return None
    head, _, args = stripped[1:].partition(" ")
    if not head or "/" in head:
        return None  # "/" alone, or a path like /usr/bin: a message
    return SlashCommand(head, args.strip(), head in COMMANDS)


def busy_notice(name: str) -> str:
    """What a command that must wait for the turn says instead."""
    return f"/{name} is not available while a turn runs: wait for it to finish or press Esc."


def matches(text: str) -> list[tuple[str, str]]:
    """Popup items for a composer that holds only `/prefix`: (label, name)."""
    if not text.startswith("/") or " " in text or "\n" in text:
        return []
    prefix = text[1:]
    return [(f"/{name:<10} {about}", name) for name, about in COMMANDS.items()
            if name.startswith(prefix)]


INIT_PROMPT = """Create an AGENTS.md file in the current directory for coding agents that will work in this repository.

Look around the repository first (layout, languages, build, test and lint commands, conventions) and keep the file short and specific to it. Use sections such as:
- Project structure and module organisation
- Build, test and development commands
- Coding style and naming conventions
- Testing guidelines
- Commit and pull request guidelines

Write only what is true of this repository; leave out anything generic."""
