"""Retry timing: exponential backoff with jitter, and the server's own hints."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Mapping

BASE_DELAY_S = 0.2
# A server may ask for a long pause; we wait at most this long so a turn never hangs silently
# for an hour (the next attempt tells us again if it is still too early).
MAX_SERVER_DELAY_S = 60.0

_TRY_AGAIN = re.compile(r"try again in\s*(\d+(?:\.\d+)?)\s*(ms|s|seconds?)\b", re.IGNORECASE)


def backoff(attempt: int) -> float:
    """Seconds before retry `attempt` (1-based): 200 ms doubling, times U(0.9, 1.1)."""
    exponent = min(max(0, attempt - 1), 30)  # 2**30 * 0.2 s is already ~7 years
    delay: float = BASE_DELAY_S * (2**exponent) * random.uniform(0.9, 1.1)
    return delay


def _clamp(seconds: float) -> float:
    return min(max(0.0, seconds), MAX_SERVER_DELAY_S)


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """The server's `retry-after-ms` / `Retry-After` (seconds or HTTP date), if usable."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return _clamp(float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = (headers.get("retry-after") or "").strip()
    if not raw:
        return None
    try:
        return _clamp(float(raw))
    except ValueError:
        pass
    import email.utils  # only for the rare HTTP-date form

    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None  # garbage: fall back to our own backoff
    return _clamp(when.timestamp() - (time.time() if now is None else now))


def retry_hint_from_message(message: str) -> float | None:
    """The delay in an error text such as "Please try again in 1.5s" (or "in 20ms")."""
    m = _TRY_AGAIN.search(message)
    if m is None:
        return None
    value = float(m.group(1))
    return _clamp(value / 1000 if m.group(2).lower() == "ms" else value)


class Attempts:
    """One model request's attempts over both retry levels (HTTP and stream), for what the user
    reads: each retry with the time spent so far, and the final count when we give up."""

    def __init__(self, started: float) -> None:
        self.started = started  # monotonic seconds at the first attempt
        self.failed = 0

    def retrying(self, now: float, what: str, retry: int, max_retries: int, delay: float) -> str:
        """Count a failed attempt; the text announcing retry `retry` of `max_retries`."""
        self.failed += 1
        return (
            f"{what}; retrying {retry}/{max_retries} in {delay:.1f}s "
            f"({self._span(now)} since the first attempt)…"
        )

    def gave_up(self, now: float, error: str) -> str:
        """Count the last failed attempt; the final error text, with how many over how long."""
        self.failed += 1
        if self.failed == 1:
            return error  # no retry happened: nothing to add
        return f"{error} (gave up after {self.failed} attempts over {self._span(now)})"

    def _span(self, now: float) -> str:
        return f"{max(0.0, now - self.started):.1f}s"
