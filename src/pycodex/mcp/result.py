"""An MCP tool call's outcome as the model reads it (pure).

As Codex 0.169 answers: a header `Wall time: S seconds\nOutput:`, then
- a result with structured content: one text, the header and the compact JSON;
- any other result (or an error): a list of content items, the header first, then each block:
  text as text, an image as an image (or a note where it cannot be used), anything else
  (resources, links, audio) as its compact JSON.
What is too large for the model is cut in the middle with a note of how much was left out;
the events keep the whole result.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from pycodex.exec.truncate import approx_tokens, truncate_middle_tokens

# Tokens of one answer the model gets at most (Codex keeps about this much of a large result).
MODEL_OUTPUT_TOKENS = 12_000
IMAGE_OMITTED = "image content omitted because it could not be processed"
IMAGE_NOT_SUPPORTED = "image content omitted because the model does not accept images"


def compact_json(value: Any) -> str:
    """JSON without spaces, non-ASCII kept, as Codex prints it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def header(wall_time_s: float) -> str:
    """The first line(s) of every answer."""
    return f"Wall time: {wall_time_s:.4f} seconds\nOutput:"


class _Budget:
    def __init__(self, tokens: int) -> None:
        self.left = tokens

    def take(self, text: str) -> str:
        out, original = truncate_middle_tokens(text, max(self.left, 0))
        self.left -= min(original, max(self.left, 0))
        return out


def model_output(
    result: dict[str, Any] | None,
    error: str | None,
    wall_time_s: float,
    *,
    images: bool = True,
    max_tokens: int = MODEL_OUTPUT_TOKENS,
) -> str | list[dict[str, Any]]:
    """The `output` of the call's function_call_output: a text or a list of content items."""
    head = header(wall_time_s)
    budget = _Budget(max_tokens - approx_tokens(len(head.encode())))
    if result is None:
        return [_text(head), _text(budget.take(error or "MCP tool call failed"))]
    structured = result.get("structuredContent")
    if structured is not None and not result.get("isError"):
        return f"{head}\n{budget.take(compact_json(structured))}"
    items = [_text(head)]
    for block in result.get("content") or []:
        items.append(_block(block, budget, images))
    return items


def _text(text: str) -> dict[str, Any]:
    return {"type": "input_text", "text": text}


def _block(block: Any, budget: _Budget, images: bool) -> dict[str, Any]:
    kind = block.get("type") if isinstance(block, dict) else None
    if kind == "text" and isinstance(block.get("text"), str):
        return _text(budget.take(block["text"]))
    if kind == "image":
        if not images:
            return _text(IMAGE_NOT_SUPPORTED)
        url = image_data_url(block)
        return {"type": "input_image", "image_url": url, "detail": "original"} if url else _text(IMAGE_OMITTED)
    return _text(budget.take(compact_json(block)))


def image_data_url(block: dict[str, Any]) -> str | None:
    """`data:<mime>;base64,<data>` for an image block whose data decodes; None otherwise."""
    data, mime = block.get("data"), block.get("mimeType")
    if not isinstance(data, str) or not isinstance(mime, str) or not mime.startswith("image/"):
        return None
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None
    return f"data:{mime};base64,{data}" if raw else None


def result_is_error(result: dict[str, Any] | None) -> bool:
    """Whether a result is a failure the server reported (`isError`)."""
    return result is None or bool(result.get("isError"))


def output_text(output: str | list[dict[str, Any]]) -> str:
    """The text of an answer (for logs and transcripts)."""
    if isinstance(output, str):
        return output
    return "\n".join(str(i.get("text", "<image>")) for i in output)
