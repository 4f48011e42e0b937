"""Calls to MCP servers' tools: arguments, approval, the call, its events and its answer.

Every call, whatever becomes of it, is one `mcp_tool_call_begin` / `mcp_tool_call_end` pair
(Codex shows no event for arguments that are not JSON; pycodex does, so the failure is seen)
and one answer to the model in Codex's format (`pycodex.mcp.result`). A tool that is not
marked read-only asks first, as Codex 0.169 does: never under full access (approval `never`
with no sandbox), refused under approval `never`, declined at once where nobody can answer,
otherwise a `request_user_input` question with Codex's choices.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

from pycodex.protocol.events import (
    Duration,
    McpInvocation,
    McpToolCallBegin,
    McpToolCallEnd,
    RequestUserInputOption,
    RequestUserInputQuestion,
)
from pycodex.protocol.models import FunctionCallOutput
from pycodex.protocol.policies import AskForApproval, DangerFullAccess
from pycodex.protocol.text import loads_untrusted
from pycodex.tools.context import (
    RespondToModel,
    ToolInvocation,
    ToolOutput,
    decline_unless_someone_can_answer,
)

if TYPE_CHECKING:
    from pycodex.mcp.catalog import McpTool
    from pycodex.mcp.manager import McpConnectionManager

# Codex's texts and choices for the approval question.
APPROVE_ONCE = "Approve Once"
APPROVE_SESSION = "Approve this Session"
DENY = "Deny"
CANCEL = "Cancel"
NEEDS_APPROVAL_NEVER = "MCP tool call requires approval, but approval policy is never"
DECLINED = "the user declined this MCP tool call; it was not run"
CANCELLED = "the MCP tool call was cancelled before it ran"
INTERRUPTED = "the turn was interrupted before the MCP tool call finished"


class _Refused(Exception):
    """The call ends before reaching the server; the message is the model's answer."""


class McpToolHandler:
    """Runs calls to one MCP tool."""

    def __init__(self, tool: McpTool) -> None:
        self._tool = tool

    async def handle(self, inv: ToolInvocation) -> ToolOutput:
        """Call the tool and answer with its content (or why there is none)."""
        from pycodex.mcp.result import model_output, output_text, result_is_error

        tool = self._tool
        args, bad_args = parse_arguments(inv.payload)
        invocation = McpInvocation(server=tool.server, tool=tool.name, arguments=args)
        await inv.session.send_event(inv.sub_id, McpToolCallBegin(call_id=inv.call_id, invocation=invocation))
        started = time.monotonic()
        result: dict[str, Any] | None = None
        error: str | None = None
        try:
            if bad_args is not None:
                raise _Refused(bad_args)
            await self._approve(inv)
            result = await self._call(inv, args)
        except _Refused as e:
            error = str(e)
        except asyncio.CancelledError:
            # The turn was interrupted: still close the item the client has open.
            inv.session.send_event_nowait(inv.sub_id, _end(inv, invocation, started, None, INTERRUPTED))
            raise
        await inv.session.send_event(inv.sub_id, _end(inv, invocation, started, result, error))
        output = model_output(result, error, time.monotonic() - started)
        return ToolOutput(
            output_text(output),
            success=not result_is_error(result),
            item=FunctionCallOutput(call_id=inv.call_id, output=output),
        )

    async def _call(self, inv: ToolInvocation, args: Any) -> dict[str, Any]:
        from pycodex.mcp.connection import McpCallError

        manager: McpConnectionManager | None = inv.session.services.mcp_manager
        if manager is None:
            raise _Refused(f"no MCP server `{self._tool.server}` is running")
        tool = self._tool

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            from pycodex.protocol.events import BackgroundEvent

            of = f"/{total:g}" if total is not None else ""
            text = f"{tool.server}/{tool.name}: progress {progress:g}{of}" + (f" {message}" if message else "")
            inv.session.send_event_nowait(inv.sub_id, BackgroundEvent(message=text))

        try:
            res = await manager.call(tool.server, tool.name, args, on_progress)
        except McpCallError as e:
            raise _Refused(str(e)) from None
        data: dict[str, Any] = res.model_dump(by_alias=True, exclude_none=True, mode="json")
        data.pop("resultType", None)  # the SDK's own marker, not part of the MCP result
        return data

    async def _approve(self, inv: ToolInvocation) -> None:
        tool = self._tool
        if not needs_approval(tool, inv.tc.approval_policy, isinstance(inv.tc.sandbox_policy, DangerFullAccess)):
            return
        manager: McpConnectionManager | None = inv.session.services.mcp_manager
        if manager is not None and manager.approved_for_session(tool.server, tool.name):
            return
        if inv.tc.approval_policy is AskForApproval.NEVER:
            raise _Refused(NEEDS_APPROVAL_NEVER)
        try:
            decline_unless_someone_can_answer(inv, "MCP tool call", approval_reason(tool))
        except RespondToModel as e:
            raise _Refused(str(e)) from None
        question_id = f"mcp_tool_call_approval_{inv.call_id}"
        response = await inv.session.request_user_input(
            inv.sub_id, inv.call_id, [approval_question(question_id, tool)]
        )
        answers = response.answers.get(question_id) if response is not None else None
        chosen = set(answers.answers) if answers is not None else set()
        if APPROVE_SESSION in chosen:
            if manager is not None:
                manager.approve_for_session(tool.server, tool.name)
        elif APPROVE_ONCE not in chosen:
            raise _Refused(CANCELLED if (answers is None or CANCEL in chosen) else DECLINED)

    def parallel_safe(self, inv: ToolInvocation) -> bool:
        """Read-only tools may run alongside other read-only calls."""
        return self._tool.read_only and not self._tool.destructive


def parse_arguments(payload: str) -> tuple[Any, str | None]:
    """(arguments, None), or (what was sent, why it is refused): the call needs a JSON object
    (or nothing at all)."""
    if not payload.strip():
        return None, None
    try:
        args = loads_untrusted(payload)
    except json.JSONDecodeError as e:
        return payload, f"failed to parse tool call arguments: {e}"
    if args is not None and not isinstance(args, dict):
        return args, f"MCP tool arguments must be a JSON object, got {_json_kind(args)}"
    return args, None


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "null"


def needs_approval(tool: McpTool, policy: AskForApproval, full_access: bool) -> bool:
    """Whether a call must be approved: any tool not marked read-only (or marked destructive),
    except under full access (approval `never` and no sandbox)."""
    if tool.read_only and not tool.destructive:
        return False
    return not (policy is AskForApproval.NEVER and full_access)


def approval_reason(tool: McpTool) -> str:
    """Why the tool needs approval, from its annotations."""
    if tool.destructive and tool.open_world:
        return "may modify data and access external systems"
    if tool.destructive:
        return "may modify or delete data"
    if tool.open_world:
        return "may access external systems"
    return "may have side effects"


def approval_question(question_id: str, tool: McpTool) -> RequestUserInputQuestion:
    """The question Codex asks before an MCP tool that is not read-only runs."""
    label = tool.title if tool.title and tool.title.strip() else tool.name
    options = [
        (APPROVE_ONCE, "Run the tool and continue."),
        (APPROVE_SESSION, "Run the tool and remember this choice for this session."),
        (DENY, "Decline this tool call and continue."),
        (CANCEL, "Cancel this tool call"),
    ]
    return RequestUserInputQuestion(
        id=question_id,
        header="Approve app tool call?",
        question=f"The {tool.server} MCP server wants to run the tool \"{label}\", which "
        f"{approval_reason(tool)}. Allow this action?",
        options=[RequestUserInputOption(label=a, description=b) for a, b in options],
    )


def _end(
    inv: ToolInvocation, invocation: McpInvocation, started: float,
    result: dict[str, Any] | None, error: str | None,
) -> McpToolCallEnd:
    outcome: dict[str, Any] = {"Ok": result} if result is not None else {"Err": error or ""}
    return McpToolCallEnd(
        call_id=inv.call_id, invocation=invocation,
        duration=Duration.of(time.monotonic() - started), result=outcome,
    )


class UnknownMcpToolHandler:
    """A call to an MCP server or tool that does not exist: answered as Codex answers it
    (`unsupported call: …`), with the begin/end events that show what was asked for."""

    async def handle(self, inv: ToolInvocation) -> ToolOutput:
        """Say which server or tool is missing."""
        from pycodex.protocol.models import FunctionCall

        manager: McpConnectionManager | None = inv.session.services.mcp_manager
        servers = {name for name, _ in manager.servers()} if manager is not None else set()
        if isinstance(inv.item, FunctionCall) and inv.item.namespace:
            server, tool = inv.item.namespace.removeprefix("mcp__"), inv.item.name
            shown = f"{inv.item.namespace}{inv.item.name}"
        else:
            server, _, tool = inv.name.removeprefix("mcp__").partition("__")
            shown = inv.name
        why = f"MCP server `{server}` has no tool `{tool}`" if server in servers else (
            f"no MCP server `{server}` is running")
        args, _ = parse_arguments(inv.payload)
        invocation = McpInvocation(server=server, tool=tool, arguments=args)
        started = time.monotonic()
        await inv.session.send_event(inv.sub_id, McpToolCallBegin(call_id=inv.call_id, invocation=invocation))
        await inv.session.send_event(inv.sub_id, _end(inv, invocation, started, None, why))
        return ToolOutput(f"unsupported call: {shown} ({why})", success=False)

    def parallel_safe(self, inv: ToolInvocation) -> bool:
        """Nothing runs."""
        return True
