"""`tool_search`: the model looks up tools that were not sent with every request.

Codex holds some tools back ("deferred", e.g. MCP tools) and offers the client-executed
`tool_search` instead, only while something is deferred. The answer is a
`tool_search_output` item whose `tools` are the matching specs, namespaced ones grouped
under their namespace, each marked `defer_loading`; the API loads them for the model's next
step. Nothing matched, or arguments that do not decode, is an empty list: the item has no
place for an error text (Codex answers the same way and only logs the error).

MCP servers' tools are deferred (each server a namespace `mcp__<server>`) where the wire and
model family take namespaces; with nothing deferred, tool_search is not offered. A call to a
tool inside a namespace is routed by `qualified_name(name, namespace)`.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pycodex.protocol.models import ToolSearchOutput
from pycodex.protocol.text import loads_untrusted
from pycodex.tools.context import RespondToModel, ToolHandler, ToolInvocation, ToolOutput

DEFAULT_LIMIT = 8  # matches returned when the model gives no limit, as in Codex

# Words too common to tell tools apart.
_STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "is",
    "it", "its", "of", "on", "or", "that", "the", "this", "to", "was", "were", "will", "with",
})
_K1, _B = 1.2, 0.75  # the usual BM25 constants


@dataclass(frozen=True)
class DeferredTool:
    """A tool the model must find before it sees it."""

    name: str
    description: str
    spec: dict[str, Any]  # the full spec, as it is sent once loaded
    namespace: str | None = None
    namespace_description: str = ""
    handler: ToolHandler | None = None

    def document(self) -> list[str]:
        """The words the search matches against."""
        return tokens(f"{self.name} {self.description} {self.namespace_description}")


def qualified_name(name: str, namespace: str | None) -> str:
    """The handler key of a tool: its name, or `namespace:name` for one inside a namespace
    (`:` never occurs in a namespace, so two keys never collide)."""
    return f"{namespace}:{name}" if namespace else name


UNKNOWN_MCP_TOOL = "mcp__:unknown"  # the handler key of calls to MCP tools that do not exist


def unknown_mcp_key(inv: ToolInvocation) -> str:
    """UNKNOWN_MCP_TOOL for a call that names an MCP server's tool (`mcp__…`), else ""."""
    namespace = getattr(inv.item, "namespace", None)
    mcp = namespace.startswith("mcp__") if isinstance(namespace, str) else inv.name.startswith("mcp__")
    return UNKNOWN_MCP_TOOL if mcp else ""


class DeferredTools:
    """The deferred tools of a turn."""

    def __init__(self, tools: Iterable[DeferredTool] = ()) -> None:
        self._tools = list(tools)
        self._docs = [Counter(t.document()) for t in self._tools]  # tokenised once

    def is_empty(self) -> bool:
        """Whether there is anything to search (tool_search is offered only then)."""
        return not self._tools

    def handlers(self) -> dict[str, ToolHandler]:
        """Handlers of the deferred tools: a call to a loaded tool is routed like any other."""
        return {
            qualified_name(t.name, t.namespace): t.handler for t in self._tools if t.handler is not None
        }

    def search(self, query: str, limit: int = DEFAULT_LIMIT) -> list[dict[str, Any]]:
        """The best `limit` matches as the specs tool_search returns."""
        return loaded_specs(rank(self._tools, self._docs, query, limit))


def tokens(text: str) -> list[str]:
    """Lower-case words of a text, stop words dropped, plurals folded."""
    out = []
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        if word in _STOP_WORDS:
            continue
        if len(word) > 3 and word.endswith("ies"):
            word = word[:-3] + "y"
        elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        out.append(word)
    return out


def rank(
    tools: Sequence[DeferredTool], docs: Sequence[Counter[str]], query: str, limit: int
) -> list[DeferredTool]:
    """The tools that share a word with the query, best first (BM25), at most `limit`;
    `docs[i]` holds the words of `tools[i]`."""
    terms = set(tokens(query))
    if not terms or limit <= 0:
        return []
    avg_len = sum(sum(d.values()) for d in docs) / len(docs) if docs else 0.0
    idf = {}
    for term in terms:
        having = sum(1 for d in docs if term in d)
        idf[term] = math.log(1 + (len(docs) - having + 0.5) / (having + 0.5))
    scored: list[tuple[float, int]] = []
    for i, doc in enumerate(docs):
        norm = _K1 * (1 - _B + _B * sum(doc.values()) / avg_len) if avg_len else _K1
        score = 0.0
        for term in terms:
            tf = doc.get(term, 0)
            if tf:
                score += idf[term] * tf * (_K1 + 1) / (tf + norm)
        if score > 0:
            scored.append((score, i))
    scored.sort(key=lambda s: (-s[0], s[1]))  # ties keep the registry's order
    return [tools[i] for _, i in scored[:limit]]


def loaded_specs(matches: Sequence[DeferredTool]) -> list[dict[str, Any]]:
    """Matches as tool_search output: namespaced tools grouped, in order of first match."""
    out: list[dict[str, Any]] = []
    groups: dict[str, list[dict[str, Any]]] = {}
    for tool in matches:
        spec = {**tool.spec, "defer_loading": True}
        if tool.namespace is None:
            out.append(spec)
            continue
        if tool.namespace not in groups:
            groups[tool.namespace] = []
            out.append({
                "type": "namespace", "name": tool.namespace,
                "description": tool.namespace_description, "tools": groups[tool.namespace],
            })
        groups[tool.namespace].append(spec)
    return out


def parse_search_args(payload: str) -> tuple[str, int]:
    """(query, limit) from the call's arguments; RespondToModel when they do not decode."""
    try:
        args = loads_untrusted(payload)
    except json.JSONDecodeError as e:
        raise RespondToModel(f"failed to parse tool_search arguments: {e}") from None
    if not isinstance(args, dict):
        raise RespondToModel("failed to parse tool_search arguments: expected an object")
    query, limit = args.get("query"), args.get("limit", DEFAULT_LIMIT)
    if not isinstance(query, str):
        raise RespondToModel("failed to parse tool_search arguments: missing field `query`")
    if limit is None:
        limit = DEFAULT_LIMIT
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise RespondToModel("failed to parse tool_search arguments: invalid number")
    if not query.strip():
        raise RespondToModel("query must not be empty")
    if limit == 0:
        raise RespondToModel("limit must be greater than zero")
    return query, limit


class ToolSearchHandler:
    """Answers tool_search calls from the turn's deferred tools."""

    def __init__(self, deferred: DeferredTools) -> None:
        self._deferred = deferred

    async def handle(self, inv: ToolInvocation) -> ToolOutput:
        """Search and answer with a tool_search_output item."""
        query, limit = parse_search_args(inv.payload)
        found = self._deferred.search(query, limit)
        return ToolOutput(
            f"{len(found)} tool(s) found",
            item=ToolSearchOutput(call_id=inv.call_id, tools=found),
        )

    def parallel_safe(self, inv: ToolInvocation) -> bool:
        """A search only reads."""
        return True
