"""The MCP error a session start can end with (no SDK import: cheap to catch anywhere)."""

from __future__ import annotations


class McpRequiredServerFailed(Exception):
    """A `required` MCP server did not start; the message names it and the key to change."""
