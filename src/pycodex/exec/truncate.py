"""Truncating command output for the model (pure functions; clients always get it all)."""

from __future__ import annotations

MODEL_FORMAT_MAX_BYTES = 10 * 1024
MODEL_FORMAT_MAX_LINES = 256
HEAD_LINES = 128
TAIL_LINES = 128
HEAD_BYTES = MODEL_FORMAT_MAX_BYTES // 2


def approx_tokens(byte_len: int) -> int:
    """Tokens ≈ bytes / 4, rounded up."""
    return (byte_len + 3) // 4


def _clip_utf8(data: bytes, limit: int, from_end: bool = False) -> bytes:
    """At most `limit` bytes, cut on a UTF-8 character boundary."""
    if len(data) <= limit:
        return data
    if from_end:
        cut = data[len(data) - limit :]
        i = 0
        while i < len(cut) and (cut[i] & 0xC0) == 0x80:
            i += 1
        return cut[i:]
    cut = data[:limit]
    i = len(cut)
    while i > 0 and (cut[i - 1] & 0xC0) == 0x80:
        i -= 1
    # Drop a trailing lead byte whose continuation was cut off.
    if i > 0 and cut[i - 1] >= 0xC0:
        i -= 1
    return cut[:i]


def truncate_middle_tokens(text: str, max_tokens: int) -> tuple[str, int]:
    """Keep head and tail within `max_tokens` (≈4 bytes each); returns (text, original tokens)."""
    data = text.encode("utf-8")
    original = approx_tokens(len(data))
    if original <= max_tokens:
        return text, original
    budget = max(0, max_tokens * 4)
    head = _clip_utf8(data, budget // 2)
    tail = _clip_utf8(data, budget - len(head), from_end=True)
    omitted = approx_tokens(len(data) - len(head) - len(tail))
    marker = f"…{omitted} tokens truncated…"
    return head.decode("utf-8", "replace") + marker + tail.decode("utf-8", "replace"), original


def truncate_for_model(text: str) -> str:
    """Codex's classic limit: 10 KiB / 256 lines, first and last 128 lines around a marker."""
    data = text.encode("utf-8")
    lines = text.split("\n")
    if len(data) <= MODEL_FORMAT_MAX_BYTES and len(lines) <= MODEL_FORMAT_MAX_LINES:
        return text
    total = len(lines)
    head_lines = lines[:HEAD_LINES]
    tail_lines = lines[max(HEAD_LINES, total - TAIL_LINES) :]
    omitted = total - len(head_lines) - len(tail_lines)
    marker = f"\n[... omitted {omitted} of {total} lines ...]\n\n"
    head = _clip_utf8("\n".join(head_lines).encode(), HEAD_BYTES)
    remaining = max(0, MODEL_FORMAT_MAX_BYTES - len(head) - len(marker.encode()))
    tail = _clip_utf8("\n".join(tail_lines).encode(), remaining, from_end=True)
    return head.decode("utf-8", "replace") + marker + tail.decode("utf-8", "replace")
