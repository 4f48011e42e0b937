"""SessionServices: the long-lived helpers a session uses, grouped in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from pycodex.exec.manager import ProcessManager
    from pycodex.exec.snapshot import ShellSnapshots
    from pycodex.mcp.manager import McpConnectionManager
    from pycodex.model.client import ModelClient
    from pycodex.rollout.history import PromptHistory
    from pycodex.rollout.recorder import RolloutRecorder
    from pycodex.rollout.store import SessionStore
    from pycodex.session.notifier import UserNotifier
    from pycodex.session.shell import UserShell


@dataclass
class SessionServices:
    """Helpers that live as long as the session."""

    http: httpx.AsyncClient
    model_client: ModelClient
    process_manager: ProcessManager
    rollout: RolloutRecorder | None
    notifier: UserNotifier
    user_shell: UserShell
    prompt_history: PromptHistory | None
    session_store: SessionStore | None = None
    shell_snapshots: ShellSnapshots | None = None
    # The session's MCP servers; None when none is configured (or enabled).
    mcp_manager: McpConnectionManager | None = None
