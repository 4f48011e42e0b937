"""What we know about a model from its slug: tools, reasoning, verbosity, context window.

Request defaults follow Codex 0.169 as observed on the wire. Its built-in catalog gives each
listed slug a default reasoning effort and verbosity and no reasoning summary (gpt-5.5:
`reasoning:{"effort":"medium"}`, `text:{"verbosity":"low"}`); every other slug gets its
fallback: `reasoning:{"summary":"auto"}`, no effort unless configured, and no verbosity even
when configured. One deliberate difference: pycodex knows gpt-4o and gpt-4.1 take no
`reasoning` at all (the API refuses it), so those never get one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pycodex.protocol.policies import ReasoningEffort, ReasoningSummary, Verbosity


class ToolSurface(StrEnum):
    """Which tool set a model was trained on."""

    MODERN = "modern"  # exec_command/write_stdin + freeform apply_patch
    CLASSIC = "classic"  # shell + apply_patch function


@dataclass(frozen=True)
class RequestDefaults:
    """Which optional request fields a family takes, and their values when not configured."""

    supports_reasoning: bool  # takes a `reasoning` object (and encrypted reasoning back)
    supports_verbosity: bool  # takes `text.verbosity`
    effort: ReasoningEffort | None = None
    summary: ReasoningSummary = ReasoningSummary.NONE  # NONE: not sent
    verbosity: Verbosity | None = None


# Codex 0.169's fallback for slugs outside its catalog.
FALLBACK_DEFAULTS = RequestDefaults(True, False, summary=ReasoningSummary.AUTO)
NO_REASONING = RequestDefaults(False, False)


def _catalog(effort: ReasoningEffort, verbosity: Verbosity = Verbosity.LOW) -> RequestDefaults:
    return RequestDefaults(True, True, effort=effort, verbosity=verbosity)


_LOW, _MEDIUM = ReasoningEffort.LOW, ReasoningEffort.MEDIUM

# Codex 0.169's built-in catalog (exact slugs): every entry takes effort, summary and
# verbosity, and defaults to no summary. Only gpt-5.5 uses classic tools there; the others
# are code-mode models in Codex, listed for their request defaults.
CATALOG: dict[str, RequestDefaults] = {
    "gpt-5.5": _catalog(_MEDIUM),
    "gpt-5.6-sol": _catalog(_LOW),
    "gpt-5.6-terra": _catalog(_MEDIUM),
    "gpt-5.6-luna": _catalog(_MEDIUM),
    "gpt-6-astra": _catalog(_LOW),
    "gpt-6-sol": _catalog(_MEDIUM),
    "gpt-6-luna": _catalog(_MEDIUM),
    "gpt-6.1-sol": _catalog(_LOW),
    "gpt-6.1-terra": _catalog(_LOW),
    "gpt-daybreak-blue-latest": _catalog(_LOW),
    "gpt-daybreak-red-latest": _catalog(_MEDIUM, Verbosity.HIGH),
    "codex-auto-review": _catalog(_MEDIUM),
}


@dataclass(frozen=True)
class ModelFamily:
    """Per-model facts used to build requests."""

    slug: str
    surface: ToolSurface
    context_window: int | None
    auto_compact_token_limit: int | None
    request: RequestDefaults = FALLBACK_DEFAULTS

    @property
    def supports_reasoning(self) -> bool:
        """Whether requests carry a `reasoning` object."""
        return self.request.supports_reasoning


def request_defaults(slug: str) -> RequestDefaults:
    """The request defaults of a slug: the catalog's, none for non-reasoning GPT-4, else the fallback."""
    s = slug.lower()
    if s in CATALOG:
        return CATALOG[s]
    if s.startswith(("gpt-4.1", "gpt-4o")):
        return NO_REASONING
    return FALLBACK_DEFAULTS


def find_family(slug: str) -> ModelFamily:
    """The family of a model slug; unknown models get the classic surface."""
    s = slug.lower()
    request = request_defaults(s)
    if s.startswith(("gpt-5", "gpt-6", "codex-", "o3", "o4")):
        window = 272_000 if s.startswith(("gpt-5", "gpt-6", "codex-")) else 200_000
        return ModelFamily(slug, ToolSurface.MODERN, window, window * 9 // 10, request)
    if s.startswith("gpt-oss"):
        return ModelFamily(slug, ToolSurface.CLASSIC, 96_000, 86_400, request)
    if s.startswith("gpt-4.1"):
        return ModelFamily(slug, ToolSurface.CLASSIC, 1_047_576, 942_000, request)
    if s.startswith("gpt-4o"):
        return ModelFamily(slug, ToolSurface.CLASSIC, 128_000, 115_200, request)
    return ModelFamily(slug, ToolSurface.CLASSIC, None, None, request)


@dataclass(frozen=True)
class RequestOptions:
    """What one request carries for reasoning and verbosity (None / NONE: not sent)."""

    reasoning: bool
    effort: ReasoningEffort | None
    summary: ReasoningSummary
    verbosity: Verbosity | None


def resolve_request_options(
    family: ModelFamily,
    effort: ReasoningEffort | None = None,
    summary: ReasoningSummary | None = None,
    verbosity: Verbosity | None = None,
) -> RequestOptions:
    """Configured values over the family's defaults; a field the family does not take is dropped."""
    d = family.request
    if not d.supports_reasoning:
        return RequestOptions(False, None, ReasoningSummary.NONE, None)
    return RequestOptions(
        reasoning=True,
        effort=effort if effort is not None else d.effort,
        summary=summary if summary is not None else d.summary,
        verbosity=(verbosity if verbosity is not None else d.verbosity) if d.supports_verbosity else None,
    )
