"""Text from outside that cannot be written back out: lone UTF-16 surrogates.

JSON may spell a code point as `\\ud800` with no partner; Python's json decodes that into a
`str` that no UTF-8 writer accepts (the rollout, the model request, stdout), so one such
escape from a model, a client or a file would stop a session at its next write. Codex's Rust
decoder refuses these escapes; pycodex keeps the text and replaces each lone surrogate with
U+FFFD where untrusted JSON is decoded, and writers fall back to the same replacement.
"""

from __future__ import annotations

import json
import re
from typing import Any

_LONE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def may_hold_surrogates(json_text: str | bytes) -> bool:
    """Whether JSON text spells a surrogate escape (cheap: two substring scans in C)."""
    if isinstance(json_text, bytes):
        return b"\\ud" in json_text or b"\\uD" in json_text
    return "\\ud" in json_text or "\\uD" in json_text


def scrub(text: str) -> str:
    """The text with every lone surrogate replaced by U+FFFD."""
    return _LONE.sub(REPLACEMENT, text)


def scrub_value(value: Any) -> Any:
    """A decoded JSON value with every string (keys too) scrubbed."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {scrub(k): scrub_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_value(v) for v in value]
    return value


def loads_untrusted(text: str | bytes, **kwargs: Any) -> Any:
    """`json.loads` for JSON from outside: no lone surrogate survives into the value."""
    value = json.loads(text, **kwargs)
    return scrub_value(value) if may_hold_surrogates(text) else value


def encode_utf8(text: str) -> bytes:
    """UTF-8 bytes of text that may still hold a lone surrogate (it becomes U+FFFD)."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return scrub(text).encode("utf-8")
