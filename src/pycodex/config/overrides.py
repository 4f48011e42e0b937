"""`-c key=value` overrides: dotted TOML paths with TOML values."""

from __future__ import annotations

import tomllib
from typing import Any

from pycodex.config.errors import ConfigError


class ConfigOverrideError(ConfigError):
    """A `-c` argument that is not `key=value`."""


def parse_override(raw: str) -> tuple[list[str], Any]:
    """Split `a.b.c=value` into its path and parsed value (TOML, else a plain string)."""
    key, sep, value = raw.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigOverrideError(f"invalid -c override {raw!r}: expected key=value")
    try:
        parsed: Any = tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value.strip()
    return _split_dotted(key), parsed


def _split_dotted(key: str) -> list[str]:
    # Quoted segments keep their dots: projects."/a/b.c".trust_level
    parts: list[str] = []
    buf = ""
    quote: str | None = None
    for ch in key:
        if quote:
            if ch == quote:
                quote = None
            else:
                buf += ch
        elif ch in "\"'":
            quote = ch
        elif ch == ".":
            parts.append(buf)
            buf = ""
        else:
            buf += ch
    parts.append(buf)
    return [p.strip() for p in parts]


def apply_overrides(table: dict[str, Any], overrides: list[tuple[list[str], Any]]) -> None:
    """Set each override's value in a nested TOML table, creating tables on the way."""
    for path, value in overrides:
        node = table
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node[path[-1]] = value
