"""Session events → v2 notifications and approval requests (a pure state machine per thread).

One `EventMapper` per thread. It is told which submission belongs to which turn id
(`expect_turn`), and turns each `Event` into what goes to the client: notifications, and
`ApprovalAsk`s that the server sends as requests and answers back with `approval_answered`.
"""

from __future__ import annotations

import base64
import codecs
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pycodex.app_server import wire as w
from pycodex.app_server.history import HIDDEN_MESSAGE_PREFIX, turn_id_for
from pycodex.context.review_format import render_review_text
from pycodex.protocol import events as ev
from pycodex.protocol.command_display import display_command
from pycodex.protocol.goals import ThreadGoalCleared, ThreadGoalUpdated
from pycodex.protocol.usage import TokenUsage

Clock = Callable[[], int]  # milliseconds since the epoch


@dataclass(frozen=True)
class Notify:
    """A notification to send."""

    method: str
    params: dict[str, Any]


@dataclass(frozen=True)
class ApprovalAsk:
    """A server→client approval request; `event_id` is the submission to answer with."""

    method: str
    params: dict[str, Any]
    event_id: str
    call_id: str
    kind: str  # "exec" | "patch"


@dataclass(frozen=True)
class UserInputAsk:
    """A server→client `item/tool/requestUserInput`; `event_id` is the turn to answer."""

    params: dict[str, Any]
    event_id: str
    call_id: str
    method: str = "item/tool/requestUserInput"


Out = Notify | ApprovalAsk | UserInputAsk
_ENDS_UNSTARTED = (ev.ErrorEvent, ev.TaskComplete, ev.TurnAborted)


@dataclass
class TurnRecord:
    """What the mapper knows of the running turn."""

    id: str
    started_s: int
    started_ms: int
    error: w.TurnError | None = None
    last_message: w.AgentMessageItem | None = None


@dataclass
class _Open:
    """An item started and not yet completed."""

    item: w.ThreadItem
    started_ms: int


@dataclass
class EventMapper:
    """Turns one thread's events into v2 messages; keeps item and turn lifecycles."""

    thread_id: str
    clock: Clock
    new_id: Callable[[], str] = field(default_factory=lambda: lambda: str(uuid.uuid4()))
    turn: TurnRecord | None = None
    turns_started: int = 0  # in the thread's whole life, resumed turns included
    _turn_of_sub: dict[str, str] = field(default_factory=dict)
    _open: dict[str, _Open] = field(default_factory=dict)  # by call id or internal key
    _message_key: str | None = None
    _reasoning_key: str | None = None
    _summary_index: int = 0
    _waiting_approvals: int = 0
    _waiting_input: int = 0
    _decoders: dict[str, codecs.IncrementalDecoder] = field(default_factory=dict)

    # ---- turns ---------------------------------------------------------------------------
    def reserve_turn(self, sub_id: str) -> str:
        """The id of the turn the submission `sub_id` will start (the thread's next one)."""
        turn_id = turn_id_for(self.thread_id, self.turns_started + len(self._turn_of_sub))
        self._turn_of_sub[sub_id] = turn_id
        return turn_id

    def release_turn(self, sub_id: str) -> None:
        """Forget a reservation whose submission started no turn (a refused review)."""
        self._turn_of_sub.pop(sub_id, None)

    def pending_turn(self) -> str | None:
        """A turn submitted and not started yet."""
        return next(iter(self._turn_of_sub.values()), None)

    def _scope(self) -> dict[str, Any]:
        assert self.turn is not None
        return {"threadId": self.thread_id, "turnId": self.turn.id}

    def map(self, event: ev.Event) -> list[Out]:
        """What one event sends."""
        msg = event.msg
        if isinstance(msg, ev.TaskStarted):
            return self._turn_started(event.id)
        if isinstance(msg, ThreadGoalUpdated | ThreadGoalCleared):  # in a turn or not
            return [self.goal_notification(msg)]
        out: list[Out] = []
        if self.turn is None:
            if event.id not in self._turn_of_sub or not isinstance(msg, _ENDS_UNSTARTED):
                return self._outside_turn(msg)
            # A submitted turn that ends before it starts (e.g. the session has stopped):
            # the client still sees it start and end.
            out = self._turn_started(event.id)
        handler = getattr(self, f"_on_{msg.type}", None)
        if handler is not None:
            out += handler(msg, event.id)
        return out

    def _turn_started(self, sub_id: str) -> list[Out]:
        out = self._finish_turn("completed") if self.turn is not None else []
        turn_id = self._turn_of_sub.pop(sub_id, None) or turn_id_for(
            self.thread_id, self.turns_started + len(self._turn_of_sub))
        self.turns_started += 1
        now = self.clock()
        self.turn = TurnRecord(turn_id, now // 1000, now)
        turn = w.Turn(id=turn_id, status="inProgress", started_at=now // 1000)
        out.append(self._status("active"))
        out.append(Notify("turn/started", {"threadId": self.thread_id, "turn": turn.wire()}))
        return out

    def _finish_turn(self, status: w.TurnStatus) -> list[Out]:
        assert self.turn is not None
        out = self._close_streams()
        for key in list(self._open):  # a turn that ends cannot leave items running
            out += self._complete(key, failed=True)
        turn = self.turn
        if turn.error is not None and status == "completed":
            status = "failed"
        now = self.clock()
        done = w.Turn(
            id=turn.id,
            status=status,
            error=turn.error,
            items=[turn.last_message] if turn.last_message else [],
            items_view="summary" if turn.last_message else "notLoaded",
            started_at=turn.started_s,
            completed_at=now // 1000,
            duration_ms=max(0, now - turn.started_ms),
        )
        self.turn = None
        self._waiting_approvals = self._waiting_input = 0
        out.append(self._status("idle"))
        out.append(Notify("turn/completed", {"threadId": self.thread_id, "turn": done.wire()}))
        return out

    def _status(self, kind: Literal["active", "idle"]) -> Notify:
        flags: list[Any] = []
        if kind == "active":
            flags += ["waitingOnApproval"] if self._waiting_approvals else []
            flags += ["waitingOnUserInput"] if self._waiting_input else []
        status = w.ThreadStatus(type=kind, active_flags=flags)
        return Notify("thread/status/changed", {"threadId": self.thread_id, "status": status.wire()})

    def _on_task_complete(self, m: ev.TaskComplete, _sub: str) -> list[Out]:
        return self._finish_turn("completed")

    def _on_turn_aborted(self, m: ev.TurnAborted, _sub: str) -> list[Out]:
        return self._finish_turn("interrupted")

    def _outside_turn(self, msg: Any) -> list[Out]:
        # Start-up problems and errors of ops that are no turn (e.g. a failed override).
        if isinstance(msg, ev.ErrorEvent | ev.WarningEvent):
            return [Notify("warning", {"threadId": self.thread_id, "message": msg.message})]
        return []

    # ---- items ---------------------------------------------------------------------------
    def _start(self, key: str, item: w.ThreadItem) -> list[Out]:
        now = self.clock()
        self._open[key] = _Open(item, now)
        return [Notify("item/started", {"item": w.item_wire(item), **self._scope(), "startedAtMs": now})]

    def _complete(self, key: str, item: w.ThreadItem | None = None, *, failed: bool = False) -> list[Out]:
        opened = self._open.pop(key, None)
        if item is None:
            if opened is None:
                return []
            item = _failed(opened.item) if failed else opened.item
        out: list[Out] = []
        if opened is None:  # completed without a start: clients still see both
            out += self._start(key, item)
            self._open.pop(key, None)
        now = self.clock()
        if isinstance(item, w.AgentMessageItem) and self.turn is not None:
            self.turn.last_message = item
        out.append(Notify("item/completed", {"item": w.item_wire(item), **self._scope(), "completedAtMs": now}))
        return out

    def _close_streams(self) -> list[Out]:
        """Complete a streamed reasoning item before anything else is shown."""
        out: list[Out] = []
        if self._reasoning_key is not None:
            out += self._complete(self._reasoning_key)
            self._reasoning_key = None
        return out

    def _on_user_message(self, m: ev.UserMessageEvent, _sub: str) -> list[Out]:
        if m.message.lstrip().startswith(HIDDEN_MESSAGE_PREFIX):
            return self._close_streams()
        content: list[w.UserInput] = [w.TextUserInput(text=m.message)] if m.message else []
        content += [w.ImageUserInput(url=u) for u in m.images or []]
        key = self.new_id()
        out = self._close_streams()
        return out + self._complete(key, w.UserMessageItem(id=key, content=content))

    def _on_agent_message_delta(self, m: ev.AgentMessageDelta, _sub: str) -> list[Out]:
        out = self._close_streams()
        if self._message_key is None:
            self._message_key = self.new_id()
            out += self._start(self._message_key, w.AgentMessageItem(id=self._message_key, text=""))
        out.append(Notify("item/agentMessage/delta",
                          {**self._scope(), "itemId": self._message_key, "delta": m.delta}))
        return out

    def _on_agent_message(self, m: ev.AgentMessage, _sub: str) -> list[Out]:
        out = self._close_streams()
        key, self._message_key = self._message_key or self.new_id(), None
        return out + self._complete(key, w.AgentMessageItem(id=key, text=m.message))

    def _reasoning(self) -> tuple[str, list[Out]]:
        if self._reasoning_key is not None:
            return self._reasoning_key, []
        key = self._reasoning_key = self.new_id()
        self._summary_index = 0
        return key, self._start(key, w.ReasoningItem(id=key))

    def _reasoning_item(self) -> w.ReasoningItem:
        assert self._reasoning_key is not None
        item = self._open[self._reasoning_key].item
        assert isinstance(item, w.ReasoningItem)
        return item

    def _on_agent_reasoning_delta(self, m: ev.AgentReasoningDelta, _sub: str) -> list[Out]:
        key, out = self._reasoning()
        out.append(Notify("item/reasoning/summaryTextDelta", {
            **self._scope(), "itemId": key, "delta": m.delta, "summaryIndex": self._summary_index}))
        return out

    def _on_agent_reasoning_section_break(self, m: Any, _sub: str) -> list[Out]:
        fresh = self._reasoning_key is None
        key, out = self._reasoning()
        if not fresh:  # the first part of an item is part 0
            self._summary_index += 1
        out.append(Notify("item/reasoning/summaryPartAdded",
                          {**self._scope(), "itemId": key, "summaryIndex": self._summary_index}))
        return out

    def _on_agent_reasoning(self, m: ev.AgentReasoning, _sub: str) -> list[Out]:
        _, out = self._reasoning()
        self._reasoning_item().summary.append(m.text)
        return out

    def _on_agent_reasoning_raw_content_delta(self, m: ev.AgentReasoningRawContentDelta, _sub: str) -> list[Out]:
        key, out = self._reasoning()
        out.append(Notify("item/reasoning/textDelta",
                          {**self._scope(), "itemId": key, "delta": m.delta, "contentIndex": 0}))
        return out

    def _on_agent_reasoning_raw_content(self, m: ev.AgentReasoningRawContent, _sub: str) -> list[Out]:
        _, out = self._reasoning()
        self._reasoning_item().content.append(m.text)
        return out

    # ---- commands ------------------------------------------------------------------------
    def _on_exec_approval_request(self, m: ev.ExecApprovalRequest, sub: str) -> list[Out]:
        out = self._close_streams()
        if m.call_id not in self._open:
            out += self._start(m.call_id, _command_item(m.call_id, m.command, str(m.cwd)))
        self._waiting_approvals += 1
        out.append(self._status("active"))
        params = {
            **self._scope(), "itemId": m.call_id, "startedAtMs": self.clock(), "reason": m.reason,
            "command": display_command(m.command), "cwd": str(m.cwd),
            "commandActions": _actions(m.command),
        }
        out.append(ApprovalAsk("item/commandExecution/requestApproval", params, sub, m.call_id, "exec"))
        return out

    def _on_apply_patch_approval_request(self, m: ev.ApplyPatchApprovalRequest, sub: str) -> list[Out]:
        out = self._close_streams()
        if m.call_id not in self._open:
            out += self._start(m.call_id, w.FileChangeItem(
                id=m.call_id, changes=_file_changes(m.changes), status="inProgress"))
        self._waiting_approvals += 1
        out.append(self._status("active"))
        params = {
            **self._scope(), "itemId": m.call_id, "startedAtMs": self.clock(), "reason": m.reason,
            "grantRoot": str(m.grant_root) if m.grant_root else None,
        }
        out.append(ApprovalAsk("item/fileChange/requestApproval", params, sub, m.call_id, "patch"))
        return out

    def approval_answered(self, call_id: str, approved: bool) -> list[Out]:
        """After the client answered: a declined item is completed as `declined`."""
        if self.turn is None:
            return []
        self._waiting_approvals = max(0, self._waiting_approvals - 1)
        out: list[Out] = [self._status("active")]
        opened = self._open.get(call_id)
        if not approved and opened is not None:
            declined = opened.item.replace(status="declined")
            out += self._complete(call_id, declined)
        return out

    def _on_exec_command_begin(self, m: ev.ExecCommandBegin, _sub: str) -> list[Out]:
        out = self._close_streams()
        item = _command_item(m.call_id, m.command, str(m.cwd), m.parsed_cmd)
        item.process_id, item.source = m.process_id, _source(m.source)
        if m.call_id in self._open:  # started when its approval was asked
            self._open[m.call_id].item = item
            return out
        return out + self._start(m.call_id, item)

    def _on_exec_command_output_delta(self, m: ev.ExecCommandOutputDelta, _sub: str) -> list[Out]:
        if m.call_id not in self._open:
            return []
        # A character split across two chunks must not turn into two replacement marks.
        decoder = self._decoders.setdefault(m.call_id, codecs.getincrementaldecoder("utf-8")("replace"))
        text = decoder.decode(base64.b64decode(m.chunk))
        if not text:
            return []
        return [Notify("item/commandExecution/outputDelta",
                       {**self._scope(), "itemId": m.call_id, "delta": text})]

    def _on_exec_command_end(self, m: ev.ExecCommandEnd, _sub: str) -> list[Out]:
        self._decoders.pop(m.call_id, None)
        opened = self._open.get(m.call_id)
        if opened is not None and isinstance(opened.item, w.CommandExecutionItem):
            base = opened.item
        else:
            base = _command_item(m.call_id, m.command or [], str(m.cwd or ""))
        item = base.replace(
            status="completed" if m.exit_code == 0 else "failed",
            aggregated_output=m.aggregated_output,
            exit_code=m.exit_code,
            duration_ms=round(m.duration.seconds() * 1000),
        )
        return self._close_streams() + self._complete(m.call_id, item)

    # ---- patches, plans, searches, tools ---------------------------------------------------
    def _on_patch_apply_begin(self, m: ev.PatchApplyBegin, _sub: str) -> list[Out]:
        out = self._close_streams()
        item = w.FileChangeItem(id=m.call_id, changes=_file_changes(m.changes), status="inProgress")
        if m.call_id in self._open:
            self._open[m.call_id].item = item
            return out
        return out + self._start(m.call_id, item)

    def _on_patch_apply_end(self, m: ev.PatchApplyEnd, _sub: str) -> list[Out]:
        opened = self._open.get(m.call_id)
        if opened is not None and isinstance(opened.item, w.FileChangeItem):
            changes = opened.item.changes
        else:
            changes = _file_changes(m.changes or {})
        item = w.FileChangeItem(id=m.call_id, changes=changes, status="completed" if m.success else "failed")
        return self._close_streams() + self._complete(m.call_id, item)

    def _on_plan_update(self, m: ev.PlanUpdate, _sub: str) -> list[Out]:
        plan = [{"step": p.step, "status": _camel(p.status.value)} for p in m.plan]
        update = Notify("turn/plan/updated", {**self._scope(), "explanation": m.explanation, "plan": plan})
        return [*self._close_streams(), update]

    def _on_turn_diff(self, m: ev.TurnDiff, _sub: str) -> list[Out]:
        return [Notify("turn/diff/updated", {**self._scope(), "diff": m.unified_diff})]

    def _on_web_search_begin(self, m: ev.WebSearchBegin, _sub: str) -> list[Out]:
        return self._close_streams() + self._start(m.call_id, w.WebSearchItem(id=m.call_id, query=""))

    def _on_web_search_end(self, m: ev.WebSearchEnd, _sub: str) -> list[Out]:
        item = w.WebSearchItem(id=m.call_id, query=m.query, action={"type": "search", "query": m.query})
        return self._close_streams() + self._complete(m.call_id, item)

    def _on_view_image_tool_call(self, m: ev.ViewImageToolCall, _sub: str) -> list[Out]:
        item = w.ImageViewItem(id=m.call_id, path=str(m.path))
        return self._close_streams() + self._complete(m.call_id, item)

    def _on_mcp_tool_call_begin(self, m: ev.McpToolCallBegin, _sub: str) -> list[Out]:
        item = w.McpToolCallItem(id=m.call_id, server=m.invocation.server, tool=m.invocation.tool,
                                 arguments=m.invocation.arguments, status="inProgress")
        return self._close_streams() + self._start(m.call_id, item)

    def _on_mcp_tool_call_end(self, m: ev.McpToolCallEnd, _sub: str) -> list[Out]:
        ok, err = m.result.get("Ok"), m.result.get("Err")
        item = w.McpToolCallItem(
            id=m.call_id, server=m.invocation.server, tool=m.invocation.tool,
            arguments=m.invocation.arguments, status="completed" if m.is_success() else "failed",
            result={"content": ok.get("content", []), "structuredContent": ok.get("structuredContent")}
            if isinstance(ok, dict) else None,
            error={"message": str(err)} if err is not None else None,
            duration_ms=round(m.duration.seconds() * 1000),
        )
        return self._close_streams() + self._complete(m.call_id, item)

    def _on_context_compacted(self, m: ev.ContextCompacted, _sub: str) -> list[Out]:
        key = self.new_id()
        return self._close_streams() + self._complete(key, w.ContextCompactionItem(id=key))

    # ---- review mode -----------------------------------------------------------------------
    def _on_entered_review_mode(self, m: ev.EnteredReviewMode, _sub: str) -> list[Out]:
        key = self.new_id()
        item = w.EnteredReviewModeItem(id=key, review=m.user_facing_hint or "")
        return self._close_streams() + self._start(key, item) + self._complete(key)

    def _on_exited_review_mode(self, m: ev.ExitedReviewMode, _sub: str) -> list[Out]:
        key = self.new_id()
        item = w.ExitedReviewModeItem(id=key, review=render_review_text(m.review_output))
        return self._close_streams() + self._start(key, item) + self._complete(key)

    # ---- goals and questions to the user ----------------------------------------------------
    def goal_notification(self, m: ThreadGoalUpdated | ThreadGoalCleared) -> Notify:
        """`thread/goal/updated` (with the turn, when a turn changed it) or `thread/goal/cleared`."""
        if isinstance(m, ThreadGoalCleared):
            return Notify("thread/goal/cleared", {"threadId": self.thread_id})
        turn_id = self.turn.id if self.turn is not None and m.turn_id else None
        goal = m.goal.model_dump(mode="json", by_alias=True)
        return Notify("thread/goal/updated", {"threadId": self.thread_id, "turnId": turn_id, "goal": goal})

    def _on_request_user_input(self, m: ev.RequestUserInputEvent, sub: str) -> list[Out]:
        out = self._close_streams()
        self._waiting_input += 1
        out.append(self._status("active"))
        params = {
            **self._scope(), "itemId": m.call_id,
            "questions": [q.model_dump(mode="json") for q in m.questions],
            "isBlocking": False, "autoResolutionMs": None,
        }
        out.append(UserInputAsk(params, m.turn_id or sub, m.call_id))
        return out

    def user_input_answered(self) -> list[Out]:
        """After the client answered (or could not): the thread no longer waits on it."""
        if self.turn is None:
            return []
        self._waiting_input = max(0, self._waiting_input - 1)
        return [self._status("active")]

    # ---- usage and errors -----------------------------------------------------------------
    def _on_token_count(self, m: ev.TokenCount, _sub: str) -> list[Out]:
        if m.info is None:
            return []
        usage = w.ThreadTokenUsage(
            total=_breakdown(m.info.total_token_usage), last=_breakdown(m.info.last_token_usage),
            model_context_window=m.info.model_context_window,
        )
        return [Notify("thread/tokenUsage/updated", {**self._scope(), "tokenUsage": usage.wire()})]

    def _on_error(self, m: ev.ErrorEvent, _sub: str) -> list[Out]:
        assert self.turn is not None
        error = w.TurnError(message=m.message, codex_error_info=_error_info(m.codex_error_info))
        self.turn.error = error
        return [Notify("error", {**self._scope(), "error": error.wire(), "willRetry": False})]

    def _on_stream_error(self, m: ev.StreamError, _sub: str) -> list[Out]:
        error = w.TurnError(message=m.message, codex_error_info=_error_info(m.codex_error_info))
        return [Notify("error", {**self._scope(), "error": error.wire(), "willRetry": True})]

    def _on_warning(self, m: ev.WarningEvent, _sub: str) -> list[Out]:
        return [Notify("warning", {"threadId": self.thread_id, "message": m.message})]


# ---- helpers -------------------------------------------------------------------------------


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(p.title() for p in rest)


def _source(source: ev.ExecCommandSource) -> Any:
    return _camel(source.value)


def _actions(argv: list[str], parsed: list[ev.ParsedCommand] | None = None) -> list[dict[str, Any]]:
    if parsed:
        return [{"type": _camel(p.type), "command": p.cmd, "name": p.name, "path": p.path, "query": p.query}
                for p in parsed]
    script = argv[-1] if len(argv) >= 3 and argv[-2] in ("-lc", "-c") else display_command(argv)
    return [{"type": "unknown", "command": script}]


def _command_item(call_id: str, argv: list[str], cwd: str,
                  parsed: list[ev.ParsedCommand] | None = None) -> w.CommandExecutionItem:
    return w.CommandExecutionItem(id=call_id, command=display_command(argv), cwd=cwd,
                                  command_actions=_actions(argv, parsed), status="inProgress")


def _file_changes(changes: dict[Any, ev.FileChange]) -> list[w.FileUpdateChange]:
    out = []
    for path in sorted(changes, key=str):
        c = changes[path]
        if isinstance(c, ev.UpdateFileChange):
            kind = w.PatchChangeKind(type="update", move_path=str(c.move_path) if c.move_path else None)
            diff = c.unified_diff
        else:
            kind = w.PatchChangeKind(type=c.type)
            diff = c.content
        out.append(w.FileUpdateChange(path=str(path), kind=kind, diff=diff))
    return out


def _failed(item: w.ThreadItem) -> w.ThreadItem:
    if isinstance(item, w.CommandExecutionItem | w.FileChangeItem | w.McpToolCallItem):
        return item.replace(status="failed")
    return item


def _breakdown(u: TokenUsage) -> w.TokenUsageBreakdown:
    return w.TokenUsageBreakdown(
        total_tokens=u.total_tokens or u.input_tokens + u.output_tokens,
        input_tokens=u.input_tokens, cached_input_tokens=u.cached_input_tokens,
        cache_write_input_tokens=u.cache_write_input_tokens, output_tokens=u.output_tokens,
        reasoning_output_tokens=u.reasoning_output_tokens,
    )


# pycodex's error kinds that the v2 schema spells as objects carrying an HTTP status.
_WITH_STATUS = {"http_connection_failed", "response_stream_connection_failed",
                "response_stream_disconnected", "response_too_many_failed_attempts"}


def _error_info(info: ev.CodexErrorInfo | None) -> Any:
    if info is None:
        return None
    if info.value in _WITH_STATUS:
        return {_camel(info.value): {"httpStatusCode": None}}
    return _camel(info.value)
