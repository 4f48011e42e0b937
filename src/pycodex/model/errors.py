"""Model errors: which ones a new request may fix, and what the user is told.

Retry policy, in one place:
- `RetryableStreamError`: the turn loop retries the whole request up to the provider's
  `stream_max_retries`, announcing each retry with a `stream_error` event. Raised for a stream
  that drops or ends before `response.completed`, an idle stream, `response.failed` /
  `response.incomplete` with a transient cause, malformed SSE data (a proxy or server glitch),
  and HTTP 408/409/429/5xx or transport failures once `request_max_retries` are spent (Codex
  retries these at both levels too).
- Everything else is final: `ApiError` (the server refused the request: 4xx, or
  `invalid_prompt`), `UsageLimitReachedError`, `ContextWindowExceededError`, and a missing API key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pycodex.protocol.events import CodexErrorInfo

if TYPE_CHECKING:
    from pycodex.protocol.usage import RateLimitSnapshot

# Codex's prefix for every stream failure the turn loop retries.
DISCONNECTED = "stream disconnected before completion"


class ModelError(Exception):
    """A model request failed; `str(e)` is what the user sees."""

    error_info: CodexErrorInfo = CodexErrorInfo.OTHER


class RetryableStreamError(ModelError):
    """A failure a new request may fix; `retry_after` is the server's hint in seconds."""

    def __init__(
        self,
        message: str,
        retry_after: float | None = None,
        error_info: CodexErrorInfo = CodexErrorInfo.RESPONSE_STREAM_DISCONNECTED,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.error_info = error_info


class MalformedStreamError(RetryableStreamError):
    """The server sent stream data we cannot parse (retryable: usually a proxy glitch)."""


class ApiError(ModelError):
    """The server refused the request; the message is the server's own body text."""

    def __init__(
        self, status: int, message: str, error_info: CodexErrorInfo = CodexErrorInfo.OTHER
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_info = error_info


class UsageLimitReachedError(ModelError):
    """The account's usage limit or quota is reached; retrying will not help."""

    error_info = CodexErrorInfo.USAGE_LIMIT_EXCEEDED

    def __init__(
        self,
        message: str,
        rate_limits: RateLimitSnapshot | None = None,
        resets_in_seconds: int | None = None,
    ) -> None:
        super().__init__(message)
        self.rate_limits = rate_limits
        self.resets_in_seconds = resets_in_seconds


class ContextWindowExceededError(ModelError):
    """The conversation no longer fits the model's context window."""

    error_info = CodexErrorInfo.CONTEXT_WINDOW_EXCEEDED
