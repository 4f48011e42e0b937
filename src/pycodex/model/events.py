"""What a model stream yields, independent of the wire format."""

from __future__ import annotations

from dataclasses import dataclass

from pycodex.protocol.models import ResponseItem
from pycodex.protocol.usage import RateLimitSnapshot, TokenUsage


@dataclass(slots=True)
class Created:
    pass


@dataclass(slots=True)
class OutputItemAdded:
    item: ResponseItem


@dataclass(slots=True)
class OutputItemDone:
    item: ResponseItem


@dataclass(slots=True)
class OutputTextDelta:
    delta: str


@dataclass(slots=True)
class ReasoningSummaryDelta:
    delta: str


@dataclass(slots=True)
class ReasoningContentDelta:
    delta: str


@dataclass(slots=True)
class ReasoningSummaryPartAdded:
    pass


@dataclass(slots=True)
class RateLimits:
    snapshot: RateLimitSnapshot


@dataclass(slots=True)
class Completed:
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
    | Completed
)
