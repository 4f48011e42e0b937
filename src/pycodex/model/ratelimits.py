"""Rate-limit headers → a snapshot."""

from __future__ import annotations

from collections.abc import Mapping

from pycodex.protocol.usage import RateLimitSnapshot, RateLimitWindow


def _window(headers: Mapping[str, str], which: str) -> RateLimitWindow | None:
    used = headers.get(f"x-codex-{which}-used-percent")
    if used is None:
        return None
    try:
        pct = float(used)
    except ValueError:
        return None

    def num(name: str) -> int | None:
        raw = headers.get(f"x-codex-{which}-{name}")
        try:
            return int(float(raw)) if raw is not None else None
        except ValueError:
            return None

    return RateLimitWindow(
        used_percent=pct,
        window_minutes=num("window-minutes"),
        resets_in_seconds=num("reset-after-seconds"),
        resets_at=num("reset-at"),
    )


def parse_rate_limits(headers: Mapping[str, str]) -> RateLimitSnapshot | None:
    """The snapshot the headers describe, or None when they carry none."""
    primary = _window(headers, "primary")
    secondary = _window(headers, "secondary")
    if primary is None and secondary is None:
        return None
    return RateLimitSnapshot(primary=primary, secondary=secondary)
