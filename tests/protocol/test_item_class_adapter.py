"""Items from the model are validated by their own class's validator, with the union's result."""

from __future__ import annotations

from typing import Any

import pytest

from pycodex.model.errors import MalformedStreamError
from pycodex.model.responses import parse_item
from pycodex.protocol.json import response_item_adapter, response_item_class_adapter

SAMPLES: list[dict[str, Any]] = [
    {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "hi"}]},
    {"type": "reasoning", "id": "r1", "summary": [{"type": "summary_text", "text": "s"}]},
    {"type": "function_call", "name": "exec_command", "arguments": "{}", "call_id": "c1"},
    {"type": "function_call_output", "call_id": "c1", "output": "ok"},
    {"type": "custom_tool_call", "name": "apply_patch", "input": "x", "call_id": "c2"},
]


@pytest.mark.parametrize("raw", SAMPLES, ids=lambda r: r["type"])
def test_same_item_as_the_union(raw: dict[str, Any]) -> None:
    adapter = response_item_class_adapter(raw["type"])
    assert adapter is not None
    assert adapter.validate_python(raw) == response_item_adapter().validate_python(raw)


def test_unknown_or_missing_types_are_skipped_and_bad_items_named() -> None:
    """Bad input tried: an item type we do not know, an item without a type, a non-string
    type, and a message whose content is not a list."""
    assert response_item_class_adapter("future_item") is None
    assert parse_item({"type": "future_item", "x": 1}, "done") is None
    assert parse_item({"role": "assistant"}, "done") is None
    assert parse_item({"type": 5}, "done") is None
    with pytest.raises(MalformedStreamError, match=r"malformed 'message' item in done from the model server: content: "):
        parse_item({"type": "message", "role": "assistant", "content": "nope"}, "done")
