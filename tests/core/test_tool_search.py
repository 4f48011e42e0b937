"""The deferred-tools registry and its search: what tool_search answers once tools are deferred
(MCP tools will be; nothing is yet, so these use a registry of our own making)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pycodex.protocol.models import ToolSearchCall, ToolSearchOutput
from pycodex.tools.context import RespondToModel, ToolInvocation
from pycodex.tools.handlers.tool_search import (
    DEFAULT_LIMIT,
    DeferredTool,
    DeferredTools,
    ToolSearchHandler,
    parse_search_args,
    tokens,
)


def fn(name: str, description: str) -> dict[str, Any]:
    return {"type": "function", "name": name, "description": description, "strict": False,
            "parameters": {"type": "object", "properties": {}}}


AGENTS = "Tools for spawning and managing sub-agents."
REGISTRY = DeferredTools([
    DeferredTool("spawn_agent", "Spawn a sub-agent for a well-scoped task.",
                 fn("spawn_agent", "Spawn a sub-agent for a well-scoped task."), "agents", AGENTS),
    DeferredTool("wait_agent", "Wait for agents to finish.", fn("wait_agent", "Wait for agents."),
                 "agents", AGENTS),
    DeferredTool("calendar_create_event", "Create an event in the user's calendar.",
                 fn("calendar_create_event", "Create an event.")),
])


def test_nothing_deferred_means_nothing_to_offer() -> None:
    assert DeferredTools().is_empty() and not REGISTRY.is_empty()
    assert DeferredTools().search("anything") == []


def test_matches_are_full_specs_grouped_by_namespace_and_marked_deferred() -> None:
    found = REGISTRY.search("wait for the agents")
    assert found == [{"type": "namespace", "name": "agents", "description": AGENTS, "tools": [
        {**fn("wait_agent", "Wait for agents."), "defer_loading": True},
        {**fn("spawn_agent", "Spawn a sub-agent for a well-scoped task."), "defer_loading": True},
    ]}]
    assert REGISTRY.search("calendar event") == [
        {**fn("calendar_create_event", "Create an event."), "defer_loading": True}]


def test_limit_keeps_the_best_matches() -> None:
    [only] = REGISTRY.search("wait", limit=1)
    assert [t["name"] for t in only["tools"]] == ["wait_agent"]
    assert DEFAULT_LIMIT == 8


def test_nothing_matched_is_an_empty_list() -> None:
    assert REGISTRY.search("database migration") == []
    assert REGISTRY.search("the of and") == []  # only words too common to tell tools apart
    assert tokens("Sub-Agents' queries") == ["sub", "agent", "query"]


def test_bad_arguments_are_refused_with_codex_messages() -> None:
    """Bad input tried: not JSON, not an object, no query, an empty query, limits that are zero,
    negative, fractional or boolean."""
    cases = [("nope", "failed to parse tool_search arguments: "),
             ('"x"', "failed to parse tool_search arguments: expected an object"),
             ('{"limit": 2}', "failed to parse tool_search arguments: missing field `query`"),
             ('{"query": "  "}', "query must not be empty"),
             ('{"query": "a", "limit": 0}', "limit must be greater than zero"),
             ('{"query": "a", "limit": -1}', "failed to parse tool_search arguments: invalid number"),
             ('{"query": "a", "limit": 1.5}', "failed to parse tool_search arguments: invalid number"),
             ('{"query": "a", "limit": true}', "failed to parse tool_search arguments: invalid number")]
    for payload, message in cases:
        with pytest.raises(RespondToModel) as e:
            parse_search_args(payload)
        assert str(e.value).startswith(message), payload
    assert parse_search_args('{"query": "a", "limit": null}') == ("a", DEFAULT_LIMIT)


def test_handler_answers_with_a_tool_search_output_item() -> None:
    call = ToolSearchCall(call_id="s1", arguments={"query": "calendar", "limit": 2})
    inv = ToolInvocation(session=None, tc=None, sub_id="0", call_id="s1",  # type: ignore[arg-type]
                         name="tool_search", payload='{"query": "calendar", "limit": 2}', item=call)
    out = asyncio.run(ToolSearchHandler(REGISTRY).handle(inv))
    assert isinstance(out.item, ToolSearchOutput)
    assert out.item.call_id == "s1" and [t["name"] for t in out.item.tools] == ["calendar_create_event"]
