"""Model providers: where requests go and how they authenticate (`[model_providers.<id>]`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pycodex.model.errors import ModelError

# Codex clamps both retry counts so a typo cannot make a request retry for hours.
MAX_RETRIES_CAP = 100
OPENAI_BASE_URL = "https://api.openai.com/v1"
# The OpenAI provider also takes the key the Codex SDK passes (CODEX_API_KEY) and our own name.
OPENAI_KEY_FALLBACKS = ("CODEX_API_KEY", "PYCODEX_API_KEY")


class MissingApiKeyError(ModelError):
    """The provider needs a key that is not in the environment."""

    def __init__(self, env_key: str, provider: str, instructions: str | None = None) -> None:
        hint = " ".join(instructions.split()) if instructions else ""
        super().__init__(
            f"missing API key for model provider '{provider}': set the {env_key} environment "
            f"variable{f' ({hint})' if hint else ''}, or choose another provider with "
            "-c model_provider=..."
        )
        self.env_key = env_key
        self.provider = provider


class ProviderCapabilities(BaseModel):
    """`[model_providers.<id>.capabilities]`: what the provider's server can do."""

    model_config = ConfigDict(extra="ignore")

    # False: hosted web search only from the search service's index (`cached`), never live.
    external_web_access: bool = True


class ModelProviderInfo(BaseModel):
    """One `[model_providers.<id>]` entry, with Codex's keys; unknown keys are ignored."""

    model_config = ConfigDict(extra="ignore")

    name: str
    base_url: str = OPENAI_BASE_URL
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
    capabilities: ProviderCapabilities = Field(default_factory=ProviderCapabilities)

    @field_validator("request_max_retries", "stream_max_retries")
    @classmethod
    def _cap(cls, v: int) -> int:
        return min(v, MAX_RETRIES_CAP)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {v!r}")
        return v

    def url(self, path: str) -> str:
        """`{base_url}{path}` (query params are passed separately)."""
        return self.base_url.rstrip("/") + path

    def headers(self, env: Mapping[str, str]) -> dict[str, str]:
        """Static headers plus those whose values come from set environment variables."""
        out = dict(self.http_headers or {})
        for header, var in (self.env_http_headers or {}).items():
            value = env.get(var, "").strip()
            if value:
                out[header] = value
        return out


def built_in_providers(env: Mapping[str, str] | None = None) -> dict[str, ModelProviderInfo]:
    """The providers that exist without configuration (`oss` is an alias of `ollama`)."""
    env = os.environ if env is None else env
    ollama = ModelProviderInfo(
        name="Ollama",
        base_url=env.get("CODEX_OSS_BASE_URL")
        or f"http://localhost:{env.get('CODEX_OSS_PORT') or '11434'}/v1",
        wire_api="chat",
    )
    return {
        "openai": ModelProviderInfo(
            name="OpenAI",
            base_url=env.get("OPENAI_BASE_URL") or OPENAI_BASE_URL,
            env_key="OPENAI_API_KEY",
            env_key_instructions="create a key at https://platform.openai.com/api-keys",
            wire_api="responses",
            requires_openai_auth=True,
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


def api_key_for(provider: ModelProviderInfo, env: Mapping[str, str]) -> str | None:
    """The provider's key from `env`; None if it needs none; MissingApiKeyError if unset."""
    if not provider.env_key:
        return None
    names = [provider.env_key]
    if provider.requires_openai_auth:
        names += [n for n in OPENAI_KEY_FALLBACKS if n != provider.env_key]
    for name in names:
        # Stripped: a key pasted with a trailing newline would make an invalid header.
        value = env.get(name, "").strip()
        if value:
            return value
    raise MissingApiKeyError(provider.env_key, provider.name, provider.env_key_instructions)
