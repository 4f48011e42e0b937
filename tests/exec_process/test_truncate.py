"""Output formatting and truncation boundaries (pure)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from pycodex.exec.output import format_exec_command_output, format_shell_output_json
from pycodex.exec.truncate import MODEL_FORMAT_MAX_BYTES, truncate_for_model, truncate_middle_tokens


@dataclass
class Outcome:
    chunk_id: str = "abc123"
    wall_time: float = 0.5
    exit_code: int | None = 0
    session_id: int | None = None
    output: bytes = b"hello\n"


def test_exec_command_layout_exited_and_running() -> None:
    assert format_exec_command_output(Outcome(), 100) == (
        "Chunk ID: abc123\nWall time: 0.5000 seconds\nProcess exited with code 0\n"
        "Original token count: 2\nOutput:\nhello\n"
    )
    running = format_exec_command_output(Outcome(exit_code=None, session_id=7), 100)
    assert "Process running with session ID 7\n" in running


def test_token_truncation_keeps_head_and_tail() -> None:
    text = "A" * 1000 + "B" * 1000
    out, original = truncate_middle_tokens(text, 100)
    assert original == 500
    assert out.startswith("A" * 200) and out.endswith("B" * 200) and "tokens truncated" in out


def test_token_truncation_respects_utf8_boundaries() -> None:
    """Bad input tried: multibyte characters exactly at the cut."""
    out, _ = truncate_middle_tokens("é" * 1000, 10)
    out.encode("utf-8")  # would fail on a split character
    assert "\ufffd" not in out


def test_classic_limits_exact_boundaries() -> None:
    at_limit = "\n".join("x" for _ in range(256))
    assert truncate_for_model(at_limit) == at_limit
    over = "\n".join(str(i) for i in range(257))
    out = truncate_for_model(over)
    assert "[... omitted 1 of 257 lines ...]" in out
    assert out.startswith("0\n1\n") and out.endswith("256")
    big = "y" * (MODEL_FORMAT_MAX_BYTES + 1)
    assert len(truncate_for_model(big).encode()) <= MODEL_FORMAT_MAX_BYTES + 64
    assert truncate_for_model("z" * MODEL_FORMAT_MAX_BYTES) == "z" * MODEL_FORMAT_MAX_BYTES


def test_shell_json_and_timeout_prefix() -> None:
    d = json.loads(format_shell_output_json("out\n", 124, 0.26, True, 300))
    assert d == {"output": "command timed out after 300 milliseconds\nout\n",
                 "metadata": {"exit_code": 124, "duration_seconds": 0.3}}
