"""The pure parts of the MCP client: names, schemas, answers to the model, the namespace list."""

from __future__ import annotations

import base64
import json
import re

from pycodex.mcp.catalog import (
    McpTool,
    deferred_namespaces_text,
    namespace_description,
    with_model_names,
)
from pycodex.mcp.names import flat_name, sanitize, shorten
from pycodex.mcp.result import IMAGE_OMITTED, model_output
from pycodex.mcp.schema import normalize_schema
from tests.mcp_client.helpers import LONG_NAME


def test_flat_names_fit_64_characters_deterministically() -> None:
    name = flat_name("testing", LONG_NAME)
    assert len(name) == 64 and name.startswith("mcp__testing__a_tool_whose_name")
    assert name == flat_name("testing", LONG_NAME)  # stable across runs: prompt caching
    assert flat_name("testing", LONG_NAME + "y") != name  # a hash of the whole name tells apart
    assert flat_name("ev", "get-sum") == "mcp__ev__get_sum" and sanitize("a.b c") == "a_b_c"
    assert shorten("x" * 64) == "x" * 64


def test_names_that_collide_after_sanitizing_get_distinct_suffixes() -> None:
    """Bad input tried: two tools of one server, `get-sum` and `get_sum`, that sanitize alike."""
    tools = with_model_names([McpTool("s", "get_sum"), McpTool("s", "get-sum"), McpTool("a", "x")])
    assert [(t.server, t.name) for t in tools] == [("a", "x"), ("s", "get-sum"), ("s", "get_sum")]
    inner = [t.model_name for t in tools[1:]]
    assert len(set(inner)) == 2 and all(n.startswith("get_sum_") for n in inner)
    assert len({t.flat_name for t in tools}) == 3


def test_schema_is_reduced_as_codex_sends_it() -> None:
    """The SDK's schema for a tool with a list, a model, a literal, optionals and a dict,
    reduced exactly as Codex 0.169 sent it to the model (observed)."""
    schema = {"properties": {"names": {"items": {"type": "string"}, "title": "Names", "type": "array"},
              "item": {"$ref": "#/$defs/Item"},
              "mode": {"default": "a", "enum": ["a", "b"], "title": "Mode", "type": "string"},
              "maybe": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": None, "title": "Maybe"},
              "flag": {"default": False, "title": "Flag", "type": "boolean"},
              "free": {"anyOf": [{"additionalProperties": {"type": "integer"}, "type": "object"},
                                 {"type": "null"}], "default": None, "title": "Free"}},
              "required": ["names", "item"], "type": "object", "$schema": "x",
              "$defs": {"Item": {"properties": {"label": {"description": "The label", "title": "Label",
                                                          "type": "string"},
                                                "count": {"default": 1, "title": "Count", "type": "integer"}},
                                 "required": ["label"], "title": "Item", "type": "object"}},
              "title": "complex_toolArguments"}
    expected = {"type": "object", "properties": {
        "flag": {"type": "boolean"},
        "free": {"anyOf": [{"type": "object", "properties": {}, "additionalProperties": {"type": "integer"}},
                           {"type": "null"}]},
        "item": {"$ref": "#/$defs/Item"},
        "maybe": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        "mode": {"type": "string", "enum": ["a", "b"]},
        "names": {"type": "array", "items": {"type": "string"}}},
        "required": ["names", "item"],
        "$defs": {"Item": {"type": "object", "properties": {"count": {"type": "integer"},
                                                            "label": {"type": "string", "description": "The label"}},
                           "required": ["label"]}}}
    out = normalize_schema(schema)
    assert json.dumps(out) == json.dumps(expected)  # the same bytes, key order included


def test_unusable_schemas_become_empty_object_parameters() -> None:
    """Bad input tried: no schema, a list, and a schema of a string type."""
    assert normalize_schema(None) == {"type": "object", "properties": {}}
    assert normalize_schema([1]) == {"type": "object", "properties": {}}
    assert normalize_schema({"type": "string"}) == {"type": "object", "properties": {}}


def test_answers_take_codex_forms() -> None:
    text = model_output({"content": [{"type": "text", "text": "hi"}]}, None, 0.01234)
    assert text == [{"type": "input_text", "text": "Wall time: 0.0123 seconds\nOutput:"},
                    {"type": "input_text", "text": "hi"}]
    structured = model_output({"content": [{"type": "text", "text": "3"}], "structuredContent": {"result": 3}},
                              None, 0.5)
    assert structured == 'Wall time: 0.5000 seconds\nOutput:\n{"result":3}'
    link = {"type": "resource_link", "uri": "demo://x", "name": "X"}
    png = base64.b64encode(b"\x89PNG\r\n\x1a\nrest").decode()
    mixed = model_output({"content": [{"type": "image", "data": png, "mimeType": "image/png"}, link]}, None, 0)
    assert mixed[1:] == [{"type": "input_image", "image_url": f"data:image/png;base64,{png}", "detail": "original"},  # type: ignore[index]
                         {"type": "input_text", "text": json.dumps(link, separators=(",", ":"))}]
    error = model_output(None, "tool call timed out after 1 s", 1.0)
    assert error[1] == {"type": "input_text", "text": "tool call timed out after 1 s"}  # type: ignore[index]


def test_bad_image_and_huge_text_are_answered_with_notes() -> None:
    """Bad input tried: image data that is not base64, and a 1 MB text result."""
    bad = model_output({"content": [{"type": "image", "data": "%%%", "mimeType": "image/png"}]}, None, 0)
    assert bad[1] == {"type": "input_text", "text": IMAGE_OMITTED}  # type: ignore[index]
    huge = model_output({"content": [{"type": "text", "text": "x" * 1_000_000}]}, None, 0)
    kept = huge[1]["text"]  # type: ignore[index]
    assert 40_000 < len(kept) < 50_000
    assert re.search(r"…\d+ tokens truncated…", kept)


def test_namespace_texts() -> None:
    text = deferred_namespaces_text([("z", None), ("a", "First line.\nSecond.")])
    assert text == "<tools>\nDeferred tool namespaces:\n- mcp__a: First line.\n- mcp__z\n</tools>"
    assert namespace_description("z", None) == "Tools in the mcp__z namespace."
    assert namespace_description("a", " Full\ntext ") == "Full\ntext"
