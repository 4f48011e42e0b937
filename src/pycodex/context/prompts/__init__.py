"""Prompt texts written for pycodex."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def load_prompt(name: str) -> str:
    """A bundled prompt file's text."""
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
