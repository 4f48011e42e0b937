"""Names the model sees for MCP tools (pure).

On the Responses wire a server is a namespace `mcp__<server>` holding its tools; elsewhere each
tool is a flat function `mcp__<server>__<tool>`. The API accepts only `[a-zA-Z0-9_-]` in
function names and at most 64 characters, so other characters become `_` (as Codex does for
tool names) and a flat name that is too long keeps its head and gains a hash of the whole name,
which is stable across runs (prompt caching) and tells similar names apart.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

MAX_NAME_LEN = 64
NAMESPACE_PREFIX = "mcp__"
_SEPARATOR = "__"
_NOT_ALLOWED = re.compile(r"[^a-zA-Z0-9_]")
_HASH_LEN = 10


def namespace_for(server: str) -> str:
    """The namespace of a server's tools: `mcp__<server>`."""
    return f"{NAMESPACE_PREFIX}{server}"


def sanitize(name: str) -> str:
    """A tool name with every character the API refuses replaced by `_`."""
    return _NOT_ALLOWED.sub("_", name) or "_"


def _hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:_HASH_LEN]


def shorten(name: str, limit: int = MAX_NAME_LEN) -> str:
    """`name` if it fits, else its head, `_` and a hash of the whole name (exactly `limit`)."""
    if len(name) <= limit:
        return name
    return f"{name[: limit - _HASH_LEN - 1]}_{_hash(name)}"


def flat_name(server: str, tool: str) -> str:
    """The flat function name of a tool: `mcp__<server>__<tool>`, at most 64 characters."""
    return shorten(f"{NAMESPACE_PREFIX}{server}{_SEPARATOR}{sanitize(tool)}")


def unique_names(wanted: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Model-side names for `(key, name)` pairs: `name`, or with a hash suffix where two keys
    would get the same one (e.g. `get-sum` and `get_sum`); `key` identifies the original."""
    pairs = sorted(wanted)
    taken: dict[str, int] = {}
    for _, name in pairs:
        taken[name] = taken.get(name, 0) + 1
    out: dict[str, str] = {}
    for key, name in pairs:
        out[key] = name if taken[name] == 1 else shorten(f"{name}_{_hash(key)}")
    return out
