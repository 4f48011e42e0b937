"""Model providers: where requests go and how they authenticate."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_RETRIES_CAP = 100


class MissingApiKeyError(Exception):
    """The provider needs a key that is not in the environment."""

    def __init__(self, env_key: str, provider: str, instructions: str | None = None) -> None:
        hint = f" ({instructions})" if instructions else ""
        super().__init__(
            f"missing API key: set {env_key} for model provider '{provider}'{hint}, "
            "or choose another provider with -c model_provider=..."
        )
        self.env_key = env_key


class ModelProviderInfo(BaseModel):
    """One `[model_providers.<id>]` entry (Codex's keys)."""

    model_config = ConfigDict(extra="ignore")

    name: str
    base_url: str
    env_key: str | None = None
    env_key_instructions: str | None = None
    wire_api: Literal["responses", "chat"] = "chat"
    query_params: dict[str, str] | None = None
    http_headers: dict[str, str] | None = None
    env_http_headers: dict[str, str] | None = None
    request_max_retries: int = Field(default=4, ge=0)
    stream_max_retries: int = Field(default=5, ge=0)
    stream_idle_timeout_ms: int = Field(default=300_000, gt=0)
    requires_openai_auth: bool = False
    extra_key_vars: list[str] = Field(default_factory=list)

    @field_validator("request_max_retries", "stream_max_retries")
    @classmethod
    def _cap(cls, v: int) -> int:
        return min(v, MAX_RETRIES_CAP)

    def headers(self, env: dict[str, str]) -> dict[str, str]:
        """Static headers plus those whose values come from the environment."""
        out = dict(self.http_headers or {})
        for header, var in (self.env_http_headers or {}).items():
            value = env.get(var)
            if value:
                out[header] = value
        return out


def built_in_providers(env: dict[str, str] | None = None) -> dict[str, ModelProviderInfo]:
    """The providers that exist without configuration."""
    env = dict(os.environ) if env is None else env
    openai_base = env.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
    ollama = ModelProviderInfo(
        name="Ollama",
        base_url=env.get("CODEX_OSS_BASE_URL")
        or f"http://localhost:{env.get('CODEX_OSS_PORT', '11434')}/v1",
        wire_api="chat",
    )
    return {
        "openai": ModelProviderInfo(
            name="OpenAI",
            base_url=openai_base,
            env_key="OPENAI_API_KEY",
            env_key_instructions="create a key at https://platform.openai.com/api-keys",
            wire_api="responses",
            requires_openai_auth=True,
            extra_key_vars=["CODEX_API_KEY", "PYCODEX_API_KEY"],
            env_http_headers={
                "OpenAI-Organization": "OPENAI_ORGANIZATION",
                "OpenAI-Project": "OPENAI_PROJECT",
            },
        ),
        "ollama": ollama,
        "oss": ollama,
        "lmstudio": ModelProviderInfo(
            name="LM Studio", base_url="http://localhost:1234/v1", wire_api="responses"
        ),
    }


def api_key_for(provider: ModelProviderInfo, env: dict[str, str]) -> str | None:
    """The provider's key from the environment; raises when one is required but missing."""
    if not provider.env_key:
        return None
    for var in (provider.env_key, *provider.extra_key_vars):
        value = env.get(var)
        if value:
            return value
    raise MissingApiKeyError(provider.env_key, provider.name, provider.env_key_instructions)
