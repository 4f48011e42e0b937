"""What we know about a model from its slug: tools, reasoning, context window."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ToolSurface(StrEnum):
    """Which tool set a model was trained on."""

    MODERN = "modern"  # exec_command/write_stdin + freeform apply_patch
    CLASSIC = "classic"  # shell + apply_patch function


@dataclass(frozen=True)
class ModelFamily:
    """Per-model facts used to build requests."""

    slug: str
    surface: ToolSurface
    supports_reasoning: bool
    context_window: int | None
    auto_compact_token_limit: int | None


def find_family(slug: str) -> ModelFamily:
    """The family of a model slug; unknown models get the classic surface."""
    s = slug.lower()
    if s.startswith(("gpt-5", "gpt-6", "codex-", "o3", "o4")):
        window = 272_000 if s.startswith(("gpt-5", "gpt-6", "codex-")) else 200_000
        return ModelFamily(slug, ToolSurface.MODERN, True, window, window * 9 // 10)
    if s.startswith("gpt-oss"):
        return ModelFamily(slug, ToolSurface.CLASSIC, True, 96_000, 86_400)
    if s.startswith("gpt-4.1"):
        return ModelFamily(slug, ToolSurface.CLASSIC, False, 1_047_576, 942_000)
    if s.startswith("gpt-4o"):
        return ModelFamily(slug, ToolSurface.CLASSIC, False, 128_000, 115_200)
    return ModelFamily(slug, ToolSurface.CLASSIC, False, None, None)
