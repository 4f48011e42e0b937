"""Codex's rate-limit response headers → a snapshot (pure)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pycodex.protocol.usage import RateLimitSnapshot, RateLimitWindow


def _number(headers: Mapping[str, str], name: str) -> float | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        value = float(raw.strip().rstrip("%"))
    except ValueError:
        return None  # a garbled header is dropped, not fatal
    return value if math.isfinite(value) else None


def _window(headers: Mapping[str, str], which: str) -> RateLimitWindow | None:
    from pycodex.protocol.usage import RateLimitWindow

    used = _number(headers, f"x-codex-{which}-used-percent")
    if used is None:
        return None

    def whole(name: str) -> int | None:
        value = _number(headers, f"x-codex-{which}-{name}")
        return int(value) if value is not None else None

    return RateLimitWindow(
        used_percent=used,
        window_minutes=whole("window-minutes"),
        resets_in_seconds=whole("reset-after-seconds"),
        resets_at=whole("reset-at"),
    )


def parse_rate_limits(headers: Mapping[str, str]) -> RateLimitSnapshot | None:
    """The snapshot the `x-codex-{primary,secondary}-*` headers describe, or None."""
    primary = _window(headers, "primary")
    secondary = _window(headers, "secondary")
    if primary is None and secondary is None:
        return None
    from pycodex.protocol.usage import RateLimitSnapshot

    return RateLimitSnapshot(primary=primary, secondary=secondary)
