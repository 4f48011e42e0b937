"""How a command is shown to people: one string, quoted the way a shell would read it."""

from __future__ import annotations

import re
from collections.abc import Sequence

_SAFE = re.compile(r"^[A-Za-z0-9_@%+=:,./-]+$")


def quote_arg(arg: str) -> str:
    """Quote one argument: bare if safe, single quotes if possible, else double quotes."""
    if arg and _SAFE.match(arg):
        return arg
    if "'" not in arg:
        return f"'{arg}'"
    escaped = re.sub(r'([\\"$`])', r"\\\1", arg)
    return f'"{escaped}"'


def display_command(argv: Sequence[str]) -> str:
    """The argv as one shell-readable line (`/bin/bash -lc 'echo hi'`)."""
    return " ".join(quote_arg(a) for a in argv)
