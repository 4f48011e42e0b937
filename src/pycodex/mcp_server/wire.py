"""What goes on the MCP wire, in the shapes Codex's `mcp-server` used (pure).

Events become `codex/event` notifications (the event, plus `_meta` naming the tool call and the
thread); approvals become `elicitation/create` requests carrying Codex's `codex_*` fields; the
client's answer becomes a decision. Codex clients answer `{"decision": "approved"}`; clients
that speak plain MCP answer `{"action": "accept" | "decline" | "cancel"}`. Anything else —
including no answer at all — is a denial.
"""

from __future__ import annotations

import shlex
from typing import Any

from pycodex.protocol import events as ev
from pycodex.protocol.json import dump_event_msg
from pycodex.protocol.policies import ReviewDecision

EVENT_METHOD = "codex/event"
ELICIT_METHOD = "elicitation/create"
EXEC_ELICITATION = "exec-approval"
PATCH_ELICITATION = "patch-approval"

# Approvals ask a yes/no question: the form has no fields.
EMPTY_FORM: dict[str, Any] = {"type": "object", "properties": {}}

# A plain MCP answer → pycodex's decision (cancel stops the turn, as in the app-server).
_ACTIONS = {
    "accept": ReviewDecision.APPROVED,
    "decline": ReviewDecision.DENIED,
    "cancel": ReviewDecision.ABORT,
}


def event_params(event: ev.Event, request_id: str | int, thread_id: str) -> dict[str, Any]:
    """A session event as `codex/event` params: `_meta`, then the event's `id` and `msg`."""
    return {
        "_meta": {"requestId": request_id, "threadId": thread_id},
        "id": event.id,
        "msg": dump_event_msg(event.msg),
    }


def exec_elicitation(req: ev.ExecApprovalRequest, *, event_id: str, thread_id: str,
                     tool_call_id: str) -> dict[str, Any]:
    """`elicitation/create` params asking whether a command may run."""
    shown = shlex.join(req.command)
    message = f"Allow pycodex to run `{shown}` in `{req.cwd}`?"
    if req.reason:
        message = f"{req.reason}\n{message}"
    return {
        "message": message,
        "requestedSchema": EMPTY_FORM,
        "threadId": thread_id,
        "codex_elicitation": EXEC_ELICITATION,
        "codex_mcp_tool_call_id": tool_call_id,
        "codex_event_id": event_id,
        "codex_call_id": req.call_id,
        "codex_command": list(req.command),
        "codex_cwd": str(req.cwd),
        "codex_parsed_cmd": [p.model_dump(mode="json", exclude_none=True) for p in req.parsed_cmd],
    }


def patch_elicitation(req: ev.ApplyPatchApprovalRequest, *, event_id: str, thread_id: str,
                      tool_call_id: str) -> dict[str, Any]:
    """`elicitation/create` params asking whether file changes may be applied."""
    lines = [req.reason] if req.reason else []
    lines.append("Allow pycodex to apply the proposed changes?")
    params: dict[str, Any] = {
        "message": "\n".join(lines),
        "requestedSchema": EMPTY_FORM,
        "threadId": thread_id,
        "codex_elicitation": PATCH_ELICITATION,
        "codex_mcp_tool_call_id": tool_call_id,
        "codex_event_id": event_id,
        "codex_call_id": req.call_id,
    }
    if req.reason is not None:
        params["codex_reason"] = req.reason
    if req.grant_root is not None:
        params["codex_grant_root"] = str(req.grant_root)
    params["codex_changes"] = {
        str(path): change.model_dump(mode="json", exclude_none=True) for path, change in req.changes.items()
    }
    return params


def decision_of(answer: Any) -> ReviewDecision:
    """The client's answer to an approval elicitation as a decision; anything unclear denies."""
    if not isinstance(answer, dict):
        return ReviewDecision.DENIED
    decision = answer.get("decision")
    if decision is not None:
        return _decision(decision)
    action = answer.get("action")
    if not isinstance(action, str) or action not in _ACTIONS:
        return ReviewDecision.DENIED
    chosen = _ACTIONS[action]
    content = answer.get("content")
    # An accepting form may still narrow or widen the answer with a `decision` field.
    if chosen is ReviewDecision.APPROVED and isinstance(content, dict) and "decision" in content:
        return _decision(content["decision"])
    return chosen


def _decision(value: Any) -> ReviewDecision:
    if isinstance(value, str):
        try:
            return ReviewDecision(value)
        except ValueError:
            return ReviewDecision.DENIED
    # Codex's richer approvals (an exec-policy amendment) are objects: approved this once.
    if isinstance(value, dict) and len(value) == 1 and str(next(iter(value))).startswith("approved"):
        return ReviewDecision.APPROVED
    return ReviewDecision.DENIED
