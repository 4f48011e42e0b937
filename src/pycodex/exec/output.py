"""What the model reads back from a command, in Codex's layouts."""

from __future__ import annotations

import json
from typing import Protocol

from pycodex.exec.truncate import truncate_for_model, truncate_middle_tokens


class OutcomeLike(Protocol):
    chunk_id: str
    wall_time: float
    exit_code: int | None
    session_id: int | None
    output: bytes


def format_exec_command_output(outcome: OutcomeLike, max_output_tokens: int) -> str:
    """exec_command / write_stdin text: chunk id, wall time, status, token count, output."""
    text = outcome.output.decode("utf-8", errors="replace")
    body, original = truncate_middle_tokens(text, max_output_tokens)
    if outcome.exit_code is not None:
        status = f"Process exited with code {outcome.exit_code}"
    else:
        status = f"Process running with session ID {outcome.session_id}"
    return (
        f"Chunk ID: {outcome.chunk_id}\n"
        f"Wall time: {outcome.wall_time:.4f} seconds\n"
        f"{status}\n"
        f"Original token count: {original}\n"
        f"Output:\n{body}"
    )


def format_shell_output_json(
    aggregated: str, exit_code: int, duration_s: float, timed_out: bool, timeout_ms: int
) -> str:
    """The classic `shell` answer: `{"output", "metadata": {"exit_code", "duration_seconds"}}`."""
    text = aggregated
    if timed_out:
        text = f"command timed out after {timeout_ms} milliseconds\n{text}"
    return json.dumps(
        {
            "output": truncate_for_model(text),
            "metadata": {"exit_code": exit_code, "duration_seconds": round(duration_s, 1)},
        }
    )
