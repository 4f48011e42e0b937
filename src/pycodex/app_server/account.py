"""model/list and account/read answers from the resolved config (pure)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pycodex.config.model_family import find_family

if TYPE_CHECKING:
    from pycodex.config.config import Config

_EFFORTS = {
    "low": "Quick answers, light reasoning",
    "medium": "Balanced reasoning for everyday work",
    "high": "Deeper reasoning for hard problems",
    "xhigh": "The deepest reasoning the model offers",
}


def model_catalog(config: Config) -> list[dict[str, Any]]:
    """The configured model, as model/list shows it (pycodex has no remote catalog)."""
    family = find_family(config.model)
    efforts = [{"reasoningEffort": e, "description": d} for e, d in _EFFORTS.items()]
    default_effort = config.model_reasoning_effort.value if config.model_reasoning_effort else "medium"
    return [{
        "id": config.model,
        "model": config.model,
        "displayName": config.model,
        "description": f"{config.model} via {config.model_provider.name}",
        "hidden": False,
        "isDefault": True,
        "defaultReasoningEffort": default_effort,
        "supportedReasoningEfforts": efforts if family.supports_reasoning else [],
        "inputModalities": ["text", "image"],
        "upgrade": None,
    }]


def account_state(config: Config) -> dict[str, Any]:
    """An API-key account when the default provider has its key, else none."""
    provider = config.model_provider
    has_key = bool(provider.env_key and config.env.get(provider.env_key, "").strip())
    return {
        "account": {"type": "apiKey"} if has_key else None,
        "requiresOpenaiAuth": bool(provider.requires_openai_auth),
    }
