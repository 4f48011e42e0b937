"""Routes the model's tool calls to handlers and returns outputs in call order."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pycodex.protocol.models import (
    CustomToolCall,
    CustomToolCallOutput,
    FunctionCall,
    FunctionCallOutput,
    LocalShellCall,
    ResponseItem,
    ToolSearchCall,
    ToolSearchOutput,
    call_id_of,
)
from pycodex.tools.context import RespondToModel, ToolHandler, ToolInvocation, ToolOutput
from pycodex.tools.handlers.tool_search import qualified_name, unknown_mcp_key

if TYPE_CHECKING:
    from pycodex.session.session import Session
    from pycodex.session.turn_context import TurnContext

log = logging.getLogger(__name__)


class ToolRouter:
    """The tools of one turn: their specs and the handler for each name."""

    def __init__(
        self,
        session: Session,
        tc: TurnContext,
        handlers: dict[str, ToolHandler],
        specs: list[dict[str, Any]],
    ) -> None:
        self._session = session
        self._tc = tc
        self._handlers = handlers
        self._specs = specs

    @classmethod
    def for_turn(cls, session: Session, tc: TurnContext) -> ToolRouter:
        """The router for a turn's model family and config."""
        from pycodex.tools.registry import build_registry

        handlers, specs = build_registry(session, tc)
        return cls(session, tc, handlers, specs)

    def specs(self) -> list[dict[str, Any]]:
        """The tool specs to send to the model."""
        return self._specs

    async def run_calls(self, sub_id: str, calls: Sequence[ResponseItem]) -> list[ResponseItem]:
        """Run every call; consecutive parallel-safe calls run together. Outputs keep call order."""
        invocations = [self._invocation(sub_id, c) for c in calls]
        outputs: list[ResponseItem] = []
        i = 0
        while i < len(invocations):
            batch = [invocations[i]]
            if self._parallel_safe(invocations[i]):
                while i + len(batch) < len(invocations) and self._parallel_safe(
                    invocations[i + len(batch)]
                ):
                    batch.append(invocations[i + len(batch)])
            results = await asyncio.gather(*(self.dispatch(inv) for inv in batch))
            outputs.extend(results)
            i += len(batch)
        return outputs

    def _invocation(self, sub_id: str, call: ResponseItem) -> ToolInvocation:
        call_id = call_id_of(call) or ""
        if isinstance(call, FunctionCall):
            name, payload = qualified_name(call.name, call.namespace), call.arguments
        elif isinstance(call, CustomToolCall):
            name, payload = call.name, call.input
        elif isinstance(call, LocalShellCall):
            name, payload = "local_shell", call.action.model_dump_json()
        elif isinstance(call, ToolSearchCall):
            name, payload = "tool_search", json.dumps(call.arguments)
        else:
            name, payload = "", ""
        return ToolInvocation(self._session, self._tc, sub_id, call_id, name, payload, call)

    def _parallel_safe(self, inv: ToolInvocation) -> bool:
        handler = self._handlers.get(inv.name)
        if handler is None:
            return True
        try:
            return handler.parallel_safe(inv)
        except Exception:
            return False

    async def dispatch(self, inv: ToolInvocation) -> ResponseItem:
        """Run one call; every failure becomes text for the model."""
        if isinstance(inv.item, LocalShellCall) and not inv.call_id:
            return FunctionCallOutput(call_id="", output="LocalShellCall without call_id or id")
        handler = self._handlers.get(inv.name) or self._handlers.get(unknown_mcp_key(inv))
        if handler is None:
            shown = inv.name
            if isinstance(inv.item, FunctionCall) and inv.item.namespace:
                shown = f"{inv.item.namespace}{inv.item.name}"  # as Codex names it
            out = ToolOutput(f"unsupported call: {shown}", success=False)
        else:
            try:
                out = await handler.handle(inv)
            except RespondToModel as e:
                out = ToolOutput(str(e), success=False)
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.exception("tool %s failed", inv.name)
                out = ToolOutput(f"tool {inv.name} failed: {e}", success=False)
        if out.item is not None:
            return out.item
        if isinstance(inv.item, ToolSearchCall):
            # Its output holds tools, not text: a failed search is an empty one, as in Codex.
            log.warning("tool_search failed: %s", out.text)
            return ToolSearchOutput(call_id=inv.call_id, tools=[])
        if isinstance(inv.item, CustomToolCall):
            return CustomToolCallOutput(call_id=inv.call_id, output=out.text)
        return FunctionCallOutput(call_id=inv.call_id, output=out.text)
