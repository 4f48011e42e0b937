"""The external `notify` program, run after each completed turn."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass
class UserNotifier:
    """Runs `notify = [prog, args...]` with a JSON payload; fire and forget."""

    command: list[str] | None = None

    async def agent_turn_complete(
        self, turn_id: str, input_messages: list[str], last_message: str | None
    ) -> None:
        """Tell the notify program a turn finished."""
        if not self.command:
            return
        payload = {
            "type": "agent-turn-complete",
            "turn-id": turn_id,
            "input-messages": input_messages,
            "last-assistant-message": last_message,
        }
        try:
            proc = await asyncio.create_subprocess_exec(
                *self.command,
                json.dumps(payload),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
        except OSError as e:
            log.warning("notify program failed to start: %s", e)
            return
        # Reap it in the background so it never becomes a zombie.
        asyncio.get_running_loop().create_task(proc.wait())
