"""An MCP tool's input schema reduced to what Codex sends the model (pure).

Codex keeps the keywords the model's function-calling understands (`type`, `description`,
`enum`, `properties`, `required`, `items`, `anyOf`, `additionalProperties`, `$ref`, `$defs`) and
drops the rest (`title`, `default`, `$schema`, bounds). Properties are sorted by name and an
object always has `properties`, so the same server gives the same bytes on every run.
"""

from __future__ import annotations

from typing import Any

# Output order of the kept keywords (Codex's order; the bytes matter for prompt caching).
_ORDER = ("type", "description", "enum", "const", "properties", "required", "items", "anyOf",
          "oneOf", "allOf", "additionalProperties", "$ref", "$defs", "definitions")
_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf")
_SUBSCHEMA_MAPS = ("properties", "$defs", "definitions")


def normalize_schema(schema: Any) -> dict[str, Any]:
    """The tool's parameters as sent to the model; an unusable schema becomes `{}` params."""
    out = _node(schema) if isinstance(schema, dict) else {}
    if out.get("type") != "object":
        out = {"type": "object", **{k: v for k, v in out.items() if k != "type"}}
    out.setdefault("properties", {})
    return _ordered(out)


def _node(schema: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in _ORDER:
        if key not in schema:
            continue
        value = schema[key]
        if key in _SUBSCHEMA_MAPS and isinstance(value, dict):
            out[key] = {k: _sub(value[k]) for k in sorted(value)}
        elif key in _SUBSCHEMA_LISTS and isinstance(value, list):
            out[key] = [_sub(v) for v in value]
        elif key == "items" and isinstance(value, dict | list):
            out[key] = [_sub(v) for v in value] if isinstance(value, list) else _sub(value)
        elif key == "additionalProperties":
            out[key] = _sub(value) if isinstance(value, dict) else value
        elif key == "required" and isinstance(value, list):
            out[key] = [v for v in value if isinstance(v, str)]
        elif key == "description" and not isinstance(value, str):
            continue
        else:
            out[key] = value
    if out.get("type") == "object" or ("additionalProperties" in out and "type" in out):
        out.setdefault("properties", {})
    return _ordered(out)


def _sub(value: Any) -> Any:
    return _node(value) if isinstance(value, dict) else value


def _ordered(node: dict[str, Any]) -> dict[str, Any]:
    return {k: node[k] for k in _ORDER if k in node}
