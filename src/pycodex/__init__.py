"""pycodex: a coding agent runtime on the architecture of the Codex agent core."""

from __future__ import annotations

__version__ = "0.1.0"

# Not `typing.TYPE_CHECKING`: importing typing costs ~5 ms, and `pycodex apply-patch` needs
# nothing else from it (type checkers treat this name the same way).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from pycodex.session.conversation import Conversation, ConversationManager, RunResult

__all__ = ["Conversation", "ConversationManager", "RunResult", "__version__"]


def __getattr__(name: str) -> Any:
    # Lazy so that `import pycodex` (and the CLI's start-up) stays cheap.
    if name in ("Conversation", "ConversationManager", "RunResult"):
        from pycodex.session import conversation

        return getattr(conversation, name)
    raise AttributeError(name)
