"""The tools of the running MCP servers as the model is offered them (pure).

Two forms, as Codex 0.169 offers them: for the Responses wire with a modern model family, each
server is a deferred namespace `mcp__<server>` the model searches with `tool_search` (the
developer message lists the namespaces); for other wires and families, flat function tools
`mcp__<server>__<tool>`, sorted by name so the tool list is stable for prompt caching.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pycodex.mcp.names import flat_name, namespace_for, sanitize, unique_names
from pycodex.mcp.schema import normalize_schema

DEFERRED_OPEN = "<tools>"
DEFERRED_CLOSE = "</tools>"


@dataclass(frozen=True)
class McpTool:
    """One tool of one server, with the names it goes by."""

    server: str
    name: str  # as the server names it
    description: str = ""
    title: str | None = None
    input_schema: dict[str, Any] = field(default_factory=dict)  # as the server sent it
    read_only: bool = False
    destructive: bool = False
    open_world: bool = False
    raw: dict[str, Any] = field(default_factory=dict)  # the server's Tool as JSON (list_mcp_tools)
    model_name: str = ""  # the name inside its namespace
    flat_name: str = ""  # the flat function name

    @property
    def namespace(self) -> str:
        """`mcp__<server>`."""
        return namespace_for(self.server)

    def parameters(self) -> dict[str, Any]:
        """The input schema as sent to the model."""
        return normalize_schema(self.input_schema)

    def function_spec(self, *, flat: bool, deferred: bool = False) -> dict[str, Any]:
        """A Responses function tool: flat (`mcp__s__t`) or named inside its namespace."""
        spec: dict[str, Any] = {
            "type": "function",
            "name": self.flat_name if flat else self.model_name,
            "description": self.description,
            "strict": False,
        }
        if deferred:
            spec["defer_loading"] = True
        spec["parameters"] = self.parameters()
        return spec


def with_model_names(tools: Iterable[McpTool]) -> list[McpTool]:
    """The tools, sorted by server and name, each given names unique where they are used:
    inside its namespace, and among all flat names."""
    from dataclasses import replace

    ordered = sorted(tools, key=lambda t: (t.server, t.name))
    flat = unique_names((f"{t.server}/{t.name}", flat_name(t.server, t.name)) for t in ordered)
    inner: dict[str, str] = {}
    for server in {t.server for t in ordered}:
        inner |= unique_names(
            (f"{t.server}/{t.name}", sanitize(t.name)) for t in ordered if t.server == server
        )
    return [
        replace(t, model_name=inner[f"{t.server}/{t.name}"], flat_name=flat[f"{t.server}/{t.name}"])
        for t in ordered
    ]


def namespace_description(server: str, instructions: str | None) -> str:
    """What tool_search says about a server's namespace: its instructions, or a plain line."""
    text = (instructions or "").strip()
    return text or f"Tools in the {namespace_for(server)} namespace."


def deferred_namespaces_text(servers: Sequence[tuple[str, str | None]]) -> str:
    """The developer-message part listing the deferred namespaces (server, instructions):
    each with the first line of its server's instructions, as Codex lists them."""
    lines = [DEFERRED_OPEN, "Deferred tool namespaces:"]
    for server, instructions in sorted(servers):
        first = (instructions or "").strip().splitlines()
        lines.append(f"- {namespace_for(server)}: {first[0].strip()}" if first else f"- {namespace_for(server)}")
    lines.append(DEFERRED_CLOSE)
    return "\n".join(lines)


def flat_specs(tools: Iterable[McpTool]) -> list[dict[str, Any]]:
    """Flat function specs, sorted by name (stable across runs for prompt caching)."""
    return sorted((t.function_spec(flat=True) for t in tools), key=lambda s: str(s["name"]))
