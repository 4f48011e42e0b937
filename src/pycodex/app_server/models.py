"""model/list: the catalog slugs pycodex has request defaults for, as v2 `Model` objects (pure).

The slugs, their order, display names, which are hidden and their default efforts are Codex
0.169's built-in catalog (`config/model_family.py` holds the request defaults). Efforts are the
ones pycodex can send (Codex also lists `max` and `ultra` for the newer models; pycodex's
requests do not take them). The configured model is the default; one outside the catalog is
listed first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pycodex.config.model_family import CATALOG, find_family
from pycodex.protocol.policies import ReasoningEffort

if TYPE_CHECKING:
    from pycodex.config.config import Config

_EFFORTS = {
    ReasoningEffort.LOW: "Quick answers, light reasoning",
    ReasoningEffort.MEDIUM: "Balanced reasoning for everyday work",
    ReasoningEffort.HIGH: "Deeper reasoning for hard problems",
    ReasoningEffort.XHIGH: "The deepest reasoning the model offers",
}


@dataclass(frozen=True)
class Listed:
    """How model/list shows a catalog slug."""

    slug: str
    display_name: str
    description: str
    hidden: bool = False


# Codex 0.169's order (its model/list with includeHidden).
LISTED = (
    Listed("gpt-6.1-sol", "GPT-6.1-Sol", "Newest general model for coding and everyday work"),
    Listed("gpt-6-astra", "GPT-6-Astra", "The most capable model, for the hardest work"),
    Listed("gpt-6-sol", "GPT-6-Sol", "General model for coding and everyday work"),
    Listed("gpt-6-luna", "GPT-6-Luna", "Fast and light, for quick tasks"),
    Listed("gpt-5.6-sol", "GPT-5.6-Sol", "General model of the 5.6 series"),
    Listed("gpt-6.1-terra", "GPT-6.1 Terra", "Balanced speed and depth"),
    Listed("gpt-5.6-terra", "GPT-5.6-Terra", "Balanced model of the 5.6 series"),
    Listed("gpt-5.6-luna", "GPT-5.6-Luna", "Fast model of the 5.6 series"),
    Listed("gpt-daybreak-blue-latest", "Daybreak Blue", "Preview model", hidden=True),
    Listed("gpt-daybreak-red-latest", "Daybreak Red", "Preview model", hidden=True),
    Listed("gpt-5.5", "GPT-5.5", "The previous generation's coding model"),
    Listed("codex-auto-review", "Codex Auto Review", "Reviews approval requests", hidden=True),
)


def _efforts() -> list[dict[str, str]]:
    return [{"reasoningEffort": e.value, "description": d} for e, d in _EFFORTS.items()]


def _model(slug: str, name: str, description: str, *, hidden: bool, default: bool,
           effort: ReasoningEffort | None, reasoning: bool) -> dict[str, Any]:
    return {
        "id": slug,
        "model": slug,
        "displayName": name,
        "description": description,
        "hidden": hidden,
        "isDefault": default,
        "defaultReasoningEffort": (effort or ReasoningEffort.MEDIUM).value,
        "supportedReasoningEfforts": _efforts() if reasoning else [],
        "inputModalities": ["text", "image"],
        "upgrade": None,
    }


def model_catalog(config: Config, include_hidden: bool = False) -> list[dict[str, Any]]:
    """Every model model/list shows, the configured one marked as the default."""
    configured = config.model
    out = []
    if configured.lower() not in CATALOG:
        family = find_family(configured)
        out.append(_model(configured, configured, f"{configured} via {config.model_provider.name}",
                          hidden=False, default=True, effort=config.model_reasoning_effort,
                          reasoning=family.supports_reasoning))
    for entry in LISTED:
        is_default = entry.slug == configured.lower()
        if entry.hidden and not include_hidden and not is_default:
            continue
        out.append(_model(entry.slug, entry.display_name, entry.description, hidden=entry.hidden,
                          default=is_default, effort=CATALOG[entry.slug].effort, reasoning=True))
    return out


def page(models: list[dict[str, Any]], cursor: str | None, limit: int | None) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the list; the cursor is the position of the next model. Raises ValueError
    for a cursor this server did not give."""
    start = 0
    if cursor is not None:
        if not cursor.isdigit() or int(cursor) > len(models):
            raise ValueError(f"{cursor!r} is not a cursor this server gave")
        start = int(cursor)
    end = len(models) if not limit else min(len(models), start + limit)
    return models[start:end], (str(end) if end < len(models) else None)
