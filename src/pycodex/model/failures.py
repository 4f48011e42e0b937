"""Server answers → the error the user sees (pure: no I/O)."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from pycodex.model.errors import (
    DISCONNECTED,
    ApiError,
    ContextWindowExceededError,
    ModelError,
    RetryableStreamError,
    UsageLimitReachedError,
)
from pycodex.model.retry import retry_hint_from_message
from pycodex.protocol.events import CodexErrorInfo

if TYPE_CHECKING:
    from pycodex.model.providers import ModelProviderInfo
    from pycodex.protocol.usage import RateLimitSnapshot

# Statuses a second attempt may fix (as the OpenAI SDKs and Codex treat them).
RETRYABLE_STATUSES = frozenset({408, 409, 429})
USAGE_LIMIT_KINDS = frozenset({"usage_limit_reached", "usage_not_included", "insufficient_quota"})
CONTEXT_KINDS = frozenset({"context_length_exceeded"})
# Retrying a prompt the server judged invalid only repeats the refusal.
INVALID_PROMPT_KINDS = frozenset({"invalid_prompt"})
# A refused key: the user is told which provider, where, and which variable holds the key.
AUTH_WORDS = {401: "unauthorized", 403: "forbidden"}
MAX_DETAIL = 300  # characters of the server's own words, on the one line the user reads


def is_retryable_status(status: int) -> bool:
    """True for 408, 409, 429 and every 5xx."""
    return status in RETRYABLE_STATUSES or 500 <= status <= 599


def _fields(error: Any) -> tuple[set[str], str]:
    """The error's kinds (`type` and `code`) and its message, from an `error` object."""
    if not isinstance(error, dict):
        return set(), ""
    kinds = {str(error[k]) for k in ("type", "code") if isinstance(error.get(k), str | int)}
    message = error.get("message")
    return kinds, message if isinstance(message, str) else ""


def _body_fields(body: str) -> tuple[set[str], str]:
    try:
        data = json.loads(body)
    except ValueError:
        return set(), ""
    return _fields(data.get("error", data) if isinstance(data, dict) else None)


def status_error(
    status: int,
    reason: str,
    body: str,
    *,
    retry_after: float | None = None,
    rate_limits: RateLimitSnapshot | None = None,
    provider: ModelProviderInfo | None = None,
) -> ModelError:
    """The error for an HTTP error answer; a RetryableStreamError if another try may help."""
    kinds, message = _body_fields(body)
    text = body.strip() or f"unexpected status {status} {reason}".rstrip()
    if kinds & CONTEXT_KINDS:
        return ContextWindowExceededError(message or text)
    if kinds & USAGE_LIMIT_KINDS:
        resets = rate_limits.primary.resets_in_seconds if rate_limits and rate_limits.primary else None
        return UsageLimitReachedError(message or text, rate_limits, resets)
    if is_retryable_status(status):
        info = (
            CodexErrorInfo.INTERNAL_SERVER_ERROR
            if status >= 500
            else CodexErrorInfo.RESPONSE_TOO_MANY_FAILED_ATTEMPTS
        )
        detail = f": {text}" if body.strip() else ""
        return RetryableStreamError(
            f"unexpected status {status} {reason}".rstrip() + detail, retry_after, info
        )
    if status in AUTH_WORDS and provider is not None:
        return auth_error(status, body, provider.name, provider.base_url, provider.env_key)
    info = {
        400: CodexErrorInfo.BAD_REQUEST,
        401: CodexErrorInfo.UNAUTHORIZED,
        403: CodexErrorInfo.UNAUTHORIZED,
    }.get(status, CodexErrorInfo.OTHER)
    # Codex shows the server's body as is (usually its JSON error object).
    return ApiError(status, text, info)


def auth_error(status: int, body: str, provider: str, base_url: str, env_key: str | None) -> ApiError:
    """401/403: which provider refused, where, and which variable holds the key it rejected."""
    _, message = _body_fields(body)
    said = " ".join((message or body).split())
    if len(said) > MAX_DETAIL:
        said = said[:MAX_DETAIL] + "…"
    hint = (
        f"check the key in {env_key}"
        if env_key
        else "the provider has no env_key configured; set one if it needs an API key"
    )
    text = f"{AUTH_WORDS.get(status, 'refused')} ({status}) from provider {provider} at {base_url}: {hint}"
    return ApiError(status, f"{text} (the server said: {said})" if said else text, CodexErrorInfo.UNAUTHORIZED)


def failed_response_error(error: Any) -> ModelError:
    """The error for `response.failed` / an `error` event / a Chat error chunk."""
    kinds, message = _fields(error)
    if not message:
        code = ", ".join(sorted(kinds))
        message = f"the response failed{f' ({code})' if code else ''} without an error message"
    if kinds & CONTEXT_KINDS:
        return ContextWindowExceededError(message)
    if kinds & USAGE_LIMIT_KINDS:
        return UsageLimitReachedError(message)
    if kinds & INVALID_PROMPT_KINDS:
        return ApiError(400, message, CodexErrorInfo.BAD_REQUEST)
    return RetryableStreamError(f"{DISCONNECTED}: {message}", retry_hint_from_message(message))


def stream_closed_error() -> RetryableStreamError:
    """The stream ended before its completion event."""
    return RetryableStreamError(f"{DISCONNECTED}: stream closed before response.completed")


def idle_timeout_error(idle_seconds: float) -> RetryableStreamError:
    """Nothing arrived for `stream_idle_timeout_ms`."""
    return RetryableStreamError(
        f"{DISCONNECTED}: idle timeout waiting for SSE (no data for {idle_seconds:g}s)"
    )


def transport_error(what: str, exc: BaseException) -> RetryableStreamError:
    """A connection failure, while sending (`what` = the URL) or mid-stream (`what` = "")."""
    detail = str(exc) or type(exc).__name__
    cause = _os_cause(exc)
    if cause and cause.lower() not in detail.lower():
        detail = f"{detail} ({cause})"
    if what:
        return RetryableStreamError(
            f"error sending request for url ({what}): {detail}",
            error_info=CodexErrorInfo.HTTP_CONNECTION_FAILED,
        )
    return RetryableStreamError(f"{DISCONNECTED}: {detail}")


def _os_cause(exc: BaseException) -> str | None:
    """The OS's reason at the root of a transport error ("Connection refused"), if any."""
    seen = 0
    current: BaseException | None = exc
    reason = None
    while current is not None and seen < 10:  # a bounded walk: chains can loop
        if isinstance(current, OSError) and current.errno:
            reason = os.strerror(current.errno)
        current = current.__cause__ or current.__context__
        seen += 1
    return reason
