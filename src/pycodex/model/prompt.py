"""What one model request carries, independent of the wire format."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pycodex.protocol.policies import ReasoningEffort, ReasoningSummary, Verbosity

if TYPE_CHECKING:
    from pycodex.protocol.models import ResponseItem


@dataclass
class ModelSettings:
    """The model and how it should reason and talk."""

    model: str
    effort: ReasoningEffort | None = None
    summary: ReasoningSummary = ReasoningSummary.NONE  # NONE: not sent
    verbosity: Verbosity | None = None
    supports_reasoning: bool = False


@dataclass
class Prompt:
    """Instructions, the conversation so far, and the tools on offer."""

    input: list[ResponseItem]
    tools: list[dict[str, Any]] = field(default_factory=list)
    instructions: str = ""
    output_schema: dict[str, Any] | None = None
    parallel_tool_calls: bool = True
