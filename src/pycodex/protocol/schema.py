"""JSON Schemas of the protocol and of the exec JSONL events, generated from the types."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

SCHEMA_FILES = ("protocol.schema.json", "exec-events.schema.json")


def generate_schemas() -> dict[str, dict[str, Any]]:
    """Schema documents by file name."""
    from pycodex.protocol import events, exec_events, models, ops

    protocol: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "pycodex protocol",
        "description": "Submissions (client → agent), events (agent → client) and model items.",
        "oneOf": [
            {"$ref": "#/$defs/Submission"},
            {"$ref": "#/$defs/Event"},
            {"$ref": "#/$defs/ResponseItem"},
        ],
        "$defs": {},
    }
    named: tuple[tuple[str, Any], ...] = (
        ("Submission", ops.Submission),
        ("Event", events.Event),
        ("ResponseItem", models.ResponseItem),
    )
    for name, tp in named:
        schema = TypeAdapter(tp).json_schema(ref_template="#/$defs/{model}", mode="serialization")
        protocol["$defs"].update(schema.pop("$defs", {}))
        protocol["$defs"][name] = schema
    exec_schema = TypeAdapter(exec_events.ThreadEvent).json_schema(
        ref_template="#/$defs/{model}", mode="serialization"
    )
    exec_schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "pycodex exec --json events",
        "description": "One JSON object per line, the schema of `codex exec --json`.",
        **exec_schema,
    }
    return {"protocol.schema.json": protocol, "exec-events.schema.json": exec_schema}
