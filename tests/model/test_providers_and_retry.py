"""Providers, API keys, backoff and the server's retry hints (pure logic)."""

from __future__ import annotations

import email.utils

import pytest
from pydantic import ValidationError

from pycodex.model.client import backoff
from pycodex.model.providers import (
    MissingApiKeyError,
    ModelProviderInfo,
    api_key_for,
    built_in_providers,
)
from pycodex.model.ratelimits import parse_rate_limits
from pycodex.model.retry import MAX_SERVER_DELAY_S, retry_after_seconds, retry_hint_from_message


def test_built_in_providers() -> None:
    p = built_in_providers({})
    assert p["openai"].wire_api == "responses" and p["openai"].base_url == "https://api.openai.com/v1"
    assert p["openai"].env_key == "OPENAI_API_KEY"
    assert p["ollama"].wire_api == "chat" and p["ollama"].base_url == "http://localhost:11434/v1"
    assert p["oss"] == p["ollama"] and p["ollama"].env_key is None
    assert p["lmstudio"].wire_api == "responses" and p["lmstudio"].base_url == "http://localhost:1234/v1"
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "CODEX_OSS_PORT": "9999"}
    assert built_in_providers(env)["openai"].base_url == "http://127.0.0.1:9/v1"
    assert built_in_providers(env)["oss"].base_url == "http://localhost:9999/v1"


def test_user_provider_defaults_caps_and_unknown_keys() -> None:
    p = ModelProviderInfo.model_validate({"name": "x", "base_url": "http://h/v1", "request_max_retries": 1000,
                                          "stream_max_retries": 101, "supports_websockets": False})
    assert p.wire_api == "chat"  # Codex's default for user-defined providers
    assert (p.request_max_retries, p.stream_max_retries, p.stream_idle_timeout_ms) == (100, 100, 300_000)
    assert not hasattr(p, "supports_websockets")


@pytest.mark.parametrize("bad", [{"wire_api": "grpc"}, {"request_max_retries": -1},
                                 {"stream_idle_timeout_ms": 0}, {"base_url": "ftp://h"}])
def test_bad_provider_values_are_refused(bad: dict[str, object]) -> None:
    """Bad input tried: an unknown wire_api, negative retries, a zero idle timeout, a non-HTTP URL."""
    with pytest.raises(ValidationError):
        ModelProviderInfo.model_validate({"name": "x", "base_url": "http://h/v1", **bad})


def test_missing_api_key_message_names_the_variable() -> None:
    """Bad input tried: OPENAI_API_KEY unset (and set to whitespace)."""
    openai = built_in_providers({})["openai"]
    for env in ({}, {"OPENAI_API_KEY": "  \n"}):
        with pytest.raises(MissingApiKeyError) as ei:
            api_key_for(openai, env)
        msg = str(ei.value)
        assert "set the OPENAI_API_KEY environment variable" in msg and "'OpenAI'" in msg
        assert "\n" not in msg and ei.value.env_key == "OPENAI_API_KEY"


def test_api_key_sources() -> None:
    openai = built_in_providers({})["openai"]
    assert api_key_for(openai, {"OPENAI_API_KEY": " sk-1\n"}) == "sk-1"
    assert api_key_for(openai, {"CODEX_API_KEY": "k"}) == "k"  # what the Codex SDK sets
    assert api_key_for(openai, {"PYCODEX_API_KEY": "p"}) == "p"
    assert api_key_for(openai, {"OPENAI_API_KEY": "a", "CODEX_API_KEY": "b"}) == "a"
    assert api_key_for(built_in_providers({})["ollama"], {}) is None
    custom = ModelProviderInfo(name="c", base_url="http://h", env_key="MY_KEY")
    with pytest.raises(MissingApiKeyError, match="MY_KEY"):
        api_key_for(custom, {"CODEX_API_KEY": "k"})  # fallbacks are for OpenAI auth only


def test_backoff_doubles_with_jitter() -> None:
    for attempt, base in ((1, 0.2), (2, 0.4), (3, 0.8), (5, 3.2)):
        samples = [backoff(attempt) for _ in range(200)]
        assert all(base * 0.9 <= s <= base * 1.1 for s in samples)
        assert max(samples) - min(samples) > 0  # jittered
    assert backoff(10_000) < float("inf")


def test_retry_after_forms() -> None:
    """Bad input tried: garbage and negative Retry-After values."""
    assert retry_after_seconds({"retry-after": "2"}) == 2.0
    assert retry_after_seconds({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after_seconds({"retry-after": "86400"}) == MAX_SERVER_DELAY_S
    date = email.utils.formatdate(1_000_030, usegmt=True)
    assert retry_after_seconds({"retry-after": date}, now=1_000_000) == pytest.approx(30)
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({"retry-after": "-5"}) == 0.0
    assert retry_after_seconds({}) is None


def test_retry_hint_in_error_text() -> None:
    assert retry_hint_from_message("Rate limit reached. Please try again in 1.898s.") == 1.898
    assert retry_hint_from_message("Please try again in 35ms.") == 0.035
    assert retry_hint_from_message("try again later") is None


def test_rate_limit_headers_garbled_are_dropped() -> None:
    """Bad input tried: non-numeric and NaN rate-limit header values."""
    assert parse_rate_limits({"x-codex-primary-used-percent": "lots"}) is None
    assert parse_rate_limits({"x-codex-primary-used-percent": "nan"}) is None
    snap = parse_rate_limits({"x-codex-secondary-used-percent": "5%", "x-codex-secondary-window-minutes": "x"})
    assert snap is not None and snap.primary is None and snap.secondary is not None
    assert (snap.secondary.used_percent, snap.secondary.window_minutes) == (5.0, None)
