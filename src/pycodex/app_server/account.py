"""account/read's answer from the resolved config (pure)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pycodex.config.config import Config


def account_state(config: Config) -> dict[str, Any]:
    """An API-key account when the default provider has its key, else none."""
    provider = config.model_provider
    has_key = bool(provider.env_key and config.env.get(provider.env_key, "").strip())
    return {
        "account": {"type": "apiKey"} if has_key else None,
        "requiresOpenaiAuth": bool(provider.requires_openai_auth),
    }
