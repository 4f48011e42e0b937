"""A rollout as a readable transcript (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pycodex.context.environment import is_context_message
from pycodex.protocol import models as m
from pycodex.rollout.items import RolloutItem


def _indent(text: str, limit: int = 40) -> str:
    lines = text.rstrip("\n").splitlines()
    shown = lines[:limit]
    more = f"\n    … {len(lines) - limit} more lines" if len(lines) > limit else ""
    return "".join(f"    {ln}\n" for ln in shown) + (more + "\n" if more else "")


def render_transcript(meta: Any, items: Sequence[RolloutItem], usage: Any) -> str:
    """User and agent messages, tool calls and their outputs, token totals."""
    out: list[str] = []
    if meta is not None:
        out.append(f"session {meta.id}  cwd {meta.cwd}  started {meta.timestamp}\n\n")
    for item in items:
        if item.type != "response_item":
            continue
        p = item.payload
        if isinstance(p, m.Message):
            text = p.text()
            if p.role == "user" and not is_context_message(text):
                out.append(f"user:\n{_indent(text)}\n")
            elif p.role == "assistant":
                out.append(f"assistant:\n{_indent(text)}\n")
        elif isinstance(p, m.Reasoning):
            summary = " ".join(s.text for s in p.summary)
            if summary:
                out.append(f"thinking: {summary}\n\n")
        elif isinstance(p, m.FunctionCall):
            out.append(f"call {p.name} {p.arguments}\n")
        elif isinstance(p, m.CustomToolCall):
            out.append(f"call {p.name}:\n{_indent(p.input)}")
        elif isinstance(p, m.LocalShellCall):
            out.append(f"call shell {' '.join(p.action.command)}\n")
        elif isinstance(p, m.FunctionCallOutput | m.CustomToolCallOutput):
            out.append(f"output:\n{_indent(p.output_text(), 20)}\n")
    if usage is not None:
        t = usage.total_token_usage
        out.append(f"tokens: {t.input_tokens} in ({t.cached_input_tokens} cached), {t.output_tokens} out\n")
    return "".join(out)
