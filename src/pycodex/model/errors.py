"""Model errors: which ones are worth retrying, and what the user is told."""

from __future__ import annotations

from pycodex.protocol.events import CodexErrorInfo


class ModelError(Exception):
    """A model request failed; `str(e)` is what the user sees."""

    error_info: CodexErrorInfo = CodexErrorInfo.OTHER


class RetryableStreamError(ModelError):
    """The stream failed in a way a new request may fix (dropped, idle, 5xx, response.failed)."""

    error_info = CodexErrorInfo.RESPONSE_STREAM_DISCONNECTED

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ApiError(ModelError):
    """The server refused the request; the message is the server's own text."""

    def __init__(self, status: int, message: str, info: CodexErrorInfo = CodexErrorInfo.OTHER) -> None:
        super().__init__(message)
        self.status = status
        self.error_info = info


class UsageLimitReachedError(ModelError):
    """The account's usage limit is reached; retrying will not help."""

    error_info = CodexErrorInfo.USAGE_LIMIT_EXCEEDED


class ContextWindowExceededError(ModelError):
    """The conversation no longer fits the model's context window."""

    error_info = CodexErrorInfo.CONTEXT_WINDOW_EXCEEDED


class MalformedStreamError(RetryableStreamError):
    """The server sent SSE data we cannot parse."""
