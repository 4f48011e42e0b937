"""Token usage and rate-limit snapshots."""

from __future__ import annotations

from pycodex.protocol.base import WireModel

# Tokens the model spends on instructions and tools regardless of history; used when
# estimating how much of the context window is left.
BASELINE_TOKENS = 12_000


class TokenUsage(WireModel):
    input_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_input_tokens: int = 0
    output_tokens: int = 0
    reasoning_output_tokens: int = 0
    total_tokens: int = 0

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            input_tokens=self.input_tokens + other.input_tokens,
            cached_input_tokens=self.cached_input_tokens + other.cached_input_tokens,
            cache_write_input_tokens=self.cache_write_input_tokens + other.cache_write_input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            reasoning_output_tokens=self.reasoning_output_tokens + other.reasoning_output_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
        )

    def tokens_in_context_window(self) -> int:
        """Tokens this usage occupies in the context window."""
        return self.total_tokens

    def percent_of_context_window_remaining(self, window: int) -> int:
        """Share of the window still free, after the fixed baseline."""
        if window <= BASELINE_TOKENS:
            return 0
        effective = window - BASELINE_TOKENS
        used = max(0, self.tokens_in_context_window() - BASELINE_TOKENS)
        remaining = max(0, effective - used)
        return round(remaining / effective * 100)


class TokenUsageInfo(WireModel):
    total_token_usage: TokenUsage
    last_token_usage: TokenUsage
    model_context_window: int | None = None

    def appended(self, last: TokenUsage) -> TokenUsageInfo:
        """The info after one more request's usage."""
        return TokenUsageInfo(
            total_token_usage=self.total_token_usage + last,
            last_token_usage=last,
            model_context_window=self.model_context_window,
        )


class RateLimitWindow(WireModel):
    used_percent: float
    window_minutes: int | None = None
    resets_in_seconds: int | None = None
    resets_at: int | None = None


class RateLimitSnapshot(WireModel):
    primary: RateLimitWindow | None = None
    secondary: RateLimitWindow | None = None
