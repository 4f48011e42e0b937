"""What a model stream yields, independent of the wire format.

Small slotted dataclasses: a long answer yields one per delta, so they must stay cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pycodex.protocol.models import ResponseItem
    from pycodex.protocol.usage import RateLimitSnapshot, TokenUsage


@dataclass(slots=True)
class Created:
    """The server accepted the request (`response.created`)."""


@dataclass(slots=True)
class OutputItemAdded:
    """An output item started (used for web search begin)."""

    item: ResponseItem


@dataclass(slots=True)
class OutputItemDone:
    """A complete output item: a message, reasoning, or a tool call."""

    item: ResponseItem


@dataclass(slots=True)
class OutputTextDelta:
    """A piece of the assistant's answer text."""

    delta: str


@dataclass(slots=True)
class ReasoningSummaryDelta:
    """A piece of the reasoning summary."""

    delta: str


@dataclass(slots=True)
class ReasoningContentDelta:
    """A piece of the raw reasoning text."""

    delta: str


@dataclass(slots=True)
class ReasoningSummaryPartAdded:
    """A new reasoning summary section starts."""


@dataclass(slots=True)
class RateLimits:
    """Rate-limit usage from the response headers; comes before any other event."""

    snapshot: RateLimitSnapshot


@dataclass(slots=True)
class Retrying:
    """The request failed in a way another try may fix: retry `retry` of `max_retries` follows
    after `delay` seconds. Comes before any other event (the stream has not started)."""

    retry: int
    max_retries: int
    delay: float
    error: str


@dataclass(slots=True)
class Completed:
    """The response finished; always the last event of a successful stream."""

    response_id: str
    usage: TokenUsage | None


ResponseEvent = (
    Created
    | OutputItemAdded
    | OutputItemDone
    | OutputTextDelta
    | ReasoningSummaryDelta
    | ReasoningContentDelta
    | ReasoningSummaryPartAdded
    | RateLimits
    | Retrying
    | Completed
)

__all__ = [
    "Completed",
    "Created",
    "OutputItemAdded",
    "OutputItemDone",
    "OutputTextDelta",
    "RateLimits",
    "ReasoningContentDelta",
    "ReasoningSummaryDelta",
    "ReasoningSummaryPartAdded",
    "ResponseEvent",
    "Retrying",
]

