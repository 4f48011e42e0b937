"""Protocol events → the JSONL lines of `codex exec --json` (a pure state machine)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pycodex.protocol import events as ev
from pycodex.protocol import exec_events as xe
from pycodex.protocol.command_display import display_command
from pycodex.protocol.models import WebSearchAction
from pycodex.protocol.usage import TokenUsage

# Events that never produce a line (streamed deltas): skipped without a lookup.
_SILENT = frozenset({
    "agent_message_delta", "agent_reasoning_delta", "agent_reasoning_raw_content_delta",
    "exec_command_output_delta", "agent_reasoning_section_break",
})


@dataclass
class JsonlMapper:
    """Turns each Event into zero or more ThreadEvents; keeps item ids and lifecycles."""

    _next_id: int = 0
    _commands: dict[str, xe.CommandExecutionItem] = field(default_factory=dict)
    _patches: dict[str, xe.FileChangeItem] = field(default_factory=dict)
    _mcp: dict[str, xe.McpToolCallItem] = field(default_factory=dict)
    _searches: dict[str, str] = field(default_factory=dict)  # started searches: call → item id
    _todo: xe.TodoListItem | None = None
    _usage: TokenUsage | None = None
    _turn_error: str | None = None
    last_agent_message: str | None = None
    failed: bool = False

    def _id(self) -> str:
        item_id = f"item_{self._next_id}"
        self._next_id += 1
        return item_id

    def map(self, msg: Any) -> list[Any]:
        """The JSONL events for one protocol event."""
        kind = msg.type
        if kind in _SILENT:
            return []
        handler = getattr(self, f"_on_{kind}", None)
        return handler(msg) if handler else []

    def _on_session_configured(self, m: ev.SessionConfigured) -> list[Any]:
        return [xe.ThreadStarted(thread_id=m.session_id)]

    def _on_task_started(self, m: ev.TaskStarted) -> list[Any]:
        self._turn_error = None
        return [xe.TurnStarted()]

    def _on_agent_message(self, m: ev.AgentMessage) -> list[Any]:
        self.last_agent_message = m.message
        return [xe.ItemCompleted(item=xe.AgentMessageItem(id=self._id(), text=m.message))]

    def _on_agent_reasoning(self, m: ev.AgentReasoning) -> list[Any]:
        return [xe.ItemCompleted(item=xe.ReasoningItem(id=self._id(), text=m.text))]

    def _on_exec_command_begin(self, m: ev.ExecCommandBegin) -> list[Any]:
        item = xe.CommandExecutionItem(
            id=self._id(),
            command=display_command(m.command),
            status=xe.CommandExecutionStatus.IN_PROGRESS,
        )
        self._commands[m.call_id] = item
        return [xe.ItemStarted(item=item)]

    def _on_exec_command_end(self, m: ev.ExecCommandEnd) -> list[Any]:
        started = self._commands.pop(m.call_id, None)
        item = xe.CommandExecutionItem(
            id=started.id if started else self._id(),
            command=started.command if started else display_command(m.command or []),
            aggregated_output=m.aggregated_output,
            exit_code=m.exit_code,
            status=xe.CommandExecutionStatus.COMPLETED
            if m.exit_code == 0
            else xe.CommandExecutionStatus.FAILED,
        )
        return [xe.ItemCompleted(item=item)]

    def _on_patch_apply_begin(self, m: ev.PatchApplyBegin) -> list[Any]:
        item = xe.FileChangeItem(
            id=self._id(), changes=_changes(m.changes), status=xe.PatchApplyStatus.IN_PROGRESS
        )
        self._patches[m.call_id] = item
        return [xe.ItemStarted(item=item)]

    def _on_patch_apply_end(self, m: ev.PatchApplyEnd) -> list[Any]:
        started = self._patches.pop(m.call_id, None)
        changes = started.changes if started else _changes(m.changes or {})
        item = xe.FileChangeItem(
            id=started.id if started else self._id(),
            changes=changes,
            status=xe.PatchApplyStatus.COMPLETED if m.success else xe.PatchApplyStatus.FAILED,
        )
        return [xe.ItemCompleted(item=item)]

    def _on_mcp_tool_call_begin(self, m: ev.McpToolCallBegin) -> list[Any]:
        item = xe.McpToolCallItem(
            id=self._id(),
            server=m.invocation.server,
            tool=m.invocation.tool,
            arguments=m.invocation.arguments,
            status=xe.McpToolCallStatus.IN_PROGRESS,
        )
        self._mcp[m.call_id] = item
        return [xe.ItemStarted(item=item)]

    def _on_mcp_tool_call_end(self, m: ev.McpToolCallEnd) -> list[Any]:
        started = self._mcp.pop(m.call_id, None)
        ok = m.result.get("Ok")
        err = m.result.get("Err")
        item = xe.McpToolCallItem(
            id=started.id if started else self._id(),
            server=m.invocation.server,
            tool=m.invocation.tool,
            arguments=m.invocation.arguments,
            result=xe.McpToolCallResult(
                content=ok.get("content", []),
                structured_content=ok.get("structuredContent"),
                _meta=ok.get("_meta"),
            )
            if isinstance(ok, dict)
            else None,
            error=xe.McpToolCallError(message=str(err)) if err is not None else None,
            status=xe.McpToolCallStatus.COMPLETED
            if m.is_success()
            else xe.McpToolCallStatus.FAILED,
        )
        return [xe.ItemCompleted(item=item)]

    # Web searches: the item shows the search's own id, as Codex's does (its line carries both
    # an `item_N` id and the search id under the same key, and JSON readers keep the last one);
    # an `item_N` number is still used up, so later items are numbered as Codex numbers them.
    def _search_item_id(self, call_id: str) -> str:
        item_id = self._id()
        return call_id or item_id

    def _on_web_search_begin(self, m: ev.WebSearchBegin) -> list[Any]:
        item_id = self._searches[m.call_id] = self._search_item_id(m.call_id)
        return [xe.ItemStarted(item=xe.WebSearchItem(id=item_id, query="", action=WebSearchAction()))]

    def _on_web_search_end(self, m: ev.WebSearchEnd) -> list[Any]:
        started = self._searches.pop(m.call_id, None)
        item = xe.WebSearchItem(
            id=started or self._search_item_id(m.call_id), query=m.query, action=m.action
        )
        if started is None:  # never announced (no `output_item.added`): both lines, in full
            return [xe.ItemStarted(item=item), xe.ItemCompleted(item=item)]
        return [xe.ItemCompleted(item=item)]

    def _on_plan_update(self, m: ev.PlanUpdate) -> list[Any]:
        items = [
            xe.TodoItem(text=p.step, completed=p.status is ev.StepStatus.COMPLETED) for p in m.plan
        ]
        if self._todo is None:
            self._todo = xe.TodoListItem(id=self._id(), items=items)
            return [xe.ItemStarted(item=self._todo)]
        self._todo = xe.TodoListItem(id=self._todo.id, items=items)
        return [xe.ItemUpdated(item=self._todo)]

    def _on_token_count(self, m: ev.TokenCount) -> list[Any]:
        if m.info is not None:
            self._usage = m.info.total_token_usage
        return []

    def _on_error(self, m: ev.ErrorEvent) -> list[Any]:
        self._turn_error = m.message
        self.failed = True
        return [xe.ThreadError(message=m.message)]

    def _on_stream_error(self, m: ev.StreamError) -> list[Any]:
        return [xe.ThreadError(message=m.message)]

    def _on_warning(self, m: ev.WarningEvent) -> list[Any]:
        return [xe.ItemCompleted(item=xe.ErrorItem(id=self._id(), message=m.message))]

    def _finish_todo(self) -> list[Any]:
        if self._todo is None:
            return []
        todo, self._todo = self._todo, None
        return [xe.ItemCompleted(item=todo)]

    def _on_task_complete(self, m: ev.TaskComplete) -> list[Any]:
        if m.last_agent_message is not None:
            self.last_agent_message = m.last_agent_message
        out = self._finish_todo()
        if self._turn_error is not None:
            out.append(xe.TurnFailed(error=xe.ThreadErrorInfo(message=self._turn_error)))
        else:
            u = self._usage or TokenUsage()
            out.append(
                xe.TurnCompleted(
                    usage=xe.Usage(
                        input_tokens=u.input_tokens,
                        cached_input_tokens=u.cached_input_tokens,
                        cache_write_input_tokens=u.cache_write_input_tokens,
                        output_tokens=u.output_tokens,
                        reasoning_output_tokens=u.reasoning_output_tokens,
                    )
                )
            )
        return out

    def _on_turn_aborted(self, m: ev.TurnAborted) -> list[Any]:
        self.failed = True
        out = self._finish_todo()
        out.append(xe.TurnFailed(error=xe.ThreadErrorInfo(message=f"turn aborted: {m.reason.value}")))
        return out


def _changes(changes: dict[Any, Any]) -> list[xe.FileUpdateChange]:
    out = []
    for path in sorted(changes, key=str):
        change = changes[path]
        out.append(xe.FileUpdateChange(path=str(path), kind=change.type))
    return out
