"""A recorded thread's turns, rebuilt from its rollout (pure).

Turns are delimited by the `task_started` / `task_complete` / `turn_aborted` events the
rollout keeps; messages and reasoning come from their events, commands and patches from the
model's calls and their outputs (the rollout does not keep command events).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from typing import Any

from pycodex.app_server import wire as w
from pycodex.protocol import events as ev
from pycodex.protocol import models as m
from pycodex.protocol.command_display import display_command

_TURN_NS = uuid.UUID("5b0c1e52-6f1e-4f0a-9d55-0d1c8a6b3a11")
_EXIT = re.compile(r"^Process exited with code (-?\d+)$", re.MULTILINE)
_SHELL_TOOLS = ("exec_command", "shell", "shell_command", "container.exec", "local_shell")

# Messages put in the conversation for the model (goal notes), not typed by the user: clients
# never see them as userMessage items (the core's fork does not count them either).
HIDDEN_MESSAGE_PREFIX = "<codex_internal_context"


def turn_id_for(thread_id: str, n: int) -> str:
    """The id of a thread's n-th turn (0-based): the same live and when read back."""
    return str(uuid.uuid5(_TURN_NS, f"{thread_id}/{n}"))


class _Builder:
    def __init__(self, thread_id: str, cwd: str) -> None:
        self.thread_id = thread_id
        self.cwd = cwd
        self.turns: list[w.Turn] = []
        self.turn: w.Turn | None = None
        self.calls: dict[str, w.ThreadItem] = {}
        self.n_items = 0

    def _id(self) -> str:
        self.n_items += 1
        return f"item-{self.n_items}"

    def open_turn(self) -> w.Turn:
        if self.turn is None:
            self.turn = w.Turn(id=turn_id_for(self.thread_id, len(self.turns)), status="inProgress",
                               items_view="full")
            self.turns.append(self.turn)
        return self.turn

    def close_turn(self, status: w.TurnStatus) -> None:
        if self.turn is not None:
            self.turn.status = status
            self.turn = None

    def add(self, item: w.ThreadItem) -> None:
        self.open_turn().items.append(item)

    def event(self, msg: Any) -> None:
        if isinstance(msg, ev.TaskStarted):
            self.close_turn("interrupted")  # a turn cut off by a crash never completed
            self.open_turn()
        elif isinstance(msg, ev.TaskComplete):
            self.close_turn("completed")
        elif isinstance(msg, ev.TurnAborted):
            self.close_turn("interrupted")
        elif isinstance(msg, ev.UserMessageEvent):
            if msg.message.lstrip().startswith(HIDDEN_MESSAGE_PREFIX):
                return
            content: list[w.UserInput] = [w.TextUserInput(text=msg.message)] if msg.message else []
            content += [w.ImageUserInput(url=u) for u in msg.images or []]
            self.add(w.UserMessageItem(id=self._id(), content=content))
        elif isinstance(msg, ev.AgentMessage):
            self.add(w.AgentMessageItem(id=self._id(), text=msg.message))
        elif isinstance(msg, ev.AgentReasoning | ev.AgentReasoningRawContent):
            turn = self.open_turn()
            last = turn.items[-1] if turn.items else None
            if not isinstance(last, w.ReasoningItem):
                last = w.ReasoningItem(id=self._id())
                turn.items.append(last)
            (last.summary if isinstance(msg, ev.AgentReasoning) else last.content).append(msg.text)
        elif isinstance(msg, ev.ContextCompacted):
            self.add(w.ContextCompactionItem(id=self._id()))
        elif isinstance(msg, ev.EnteredReviewMode):
            self.add(w.EnteredReviewModeItem(id=self._id(), review=msg.user_facing_hint or ""))
        elif isinstance(msg, ev.ExitedReviewMode):
            from pycodex.context.review_format import render_review_text

            self.add(w.ExitedReviewModeItem(id=self._id(), review=render_review_text(msg.review_output)))

    def response_item(self, item: Any) -> None:
        if isinstance(item, m.FunctionCall):
            built = _call_item(item.call_id, item.name, item.arguments, self.cwd)
        elif isinstance(item, m.CustomToolCall):
            built = _call_item(item.call_id, item.name, item.input, self.cwd, raw=True)
        elif isinstance(item, m.LocalShellCall) and item.call_id:
            built = _command(item.call_id, item.action.command, self.cwd)
        elif isinstance(item, m.FunctionCallOutput | m.CustomToolCallOutput):
            _finish(self.calls.pop(item.call_id, None), item.output_text())
            return
        else:
            return
        if built is not None:
            self.calls[built.id] = built
            self.add(built)


def rebuild_turns(thread_id: str, cwd: str, items: Sequence[Any]) -> list[w.Turn]:
    """The turns of a recorded thread, oldest first, each with every item it recorded."""
    b = _Builder(thread_id, cwd)
    for item in items:
        if item.type == "event_msg":
            b.event(item.payload)
        elif item.type == "response_item":
            b.response_item(item.payload)
    b.close_turn("interrupted")  # still open at the end: the process stopped mid-turn
    for open_call in b.calls.values():
        _finish(open_call, None)
    return b.turns


def count_turns(items: Sequence[Any]) -> int:
    """How many turns a recorded thread has started."""
    return sum(1 for i in items if i.type == "event_msg" and isinstance(i.payload, ev.TaskStarted))


def _call_item(call_id: str, name: str, args: str, cwd: str, raw: bool = False) -> w.ThreadItem | None:
    if name == "apply_patch":
        text = args if raw else _json(args).get("input", "")
        return w.FileChangeItem(id=call_id, changes=_patch_changes(str(text), cwd), status="inProgress")
    if name not in _SHELL_TOOLS:
        return None
    data = _json(args)
    if isinstance(data.get("cmd"), str):
        argv = ["/bin/bash", "-lc", data["cmd"]]
    elif isinstance(data.get("command"), list):
        argv = [str(a) for a in data["command"]]
    elif isinstance(data.get("command"), str):
        argv = ["/bin/bash", "-lc", data["command"]]
    else:
        return None
    workdir = data.get("workdir") or data.get("cwd")
    return _command(call_id, argv, str(workdir) if isinstance(workdir, str) else cwd)


def _command(call_id: str, argv: list[str], cwd: str) -> w.CommandExecutionItem:
    script = argv[-1] if len(argv) >= 3 and argv[-2] in ("-lc", "-c") else display_command(argv)
    return w.CommandExecutionItem(id=call_id, command=display_command(argv), cwd=cwd, status="inProgress",
                                  command_actions=[{"type": "unknown", "command": script}])


def _finish(item: w.ThreadItem | None, output: str | None) -> None:
    if isinstance(item, w.CommandExecutionItem):
        if output is None:
            item.status = "failed"
            return
        code, text = _command_output(output)
        item.exit_code, item.aggregated_output = code, text
        item.status = "completed" if code == 0 else "failed"
    elif isinstance(item, w.FileChangeItem):
        # "Exit code: 0 ... Output:\nSuccess. ..." (freeform tool) or plain "Success. ..."
        ok = output is not None and (output.startswith("Success") or "\nOutput:\nSuccess." in output)
        item.status = "completed" if ok else "failed"


def _command_output(output: str) -> tuple[int | None, str]:
    """Exit code and output from what the model read back (exec_command or shell layout)."""
    data = _json(output)
    meta = data.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("exit_code"), int):
        return meta["exit_code"], str(data.get("output", ""))
    match = _EXIT.search(output)
    _, sep, body = output.partition("\nOutput:\n")
    return (int(match.group(1)) if match else None), (body if sep else output)


def _patch_changes(text: str, cwd: str) -> list[w.FileUpdateChange]:
    from pathlib import PurePath

    from pycodex.patch.model import AddFile, DeleteFile
    from pycodex.patch.parser import PatchParseError, parse_patch

    try:
        patch = parse_patch(text)
    except PatchParseError:
        return []
    out = []
    for h in patch.hunks:
        path = str(PurePath(cwd) / h.path)
        if isinstance(h, AddFile):
            out.append(w.FileUpdateChange(path=path, kind=w.PatchChangeKind(type="add"), diff=h.contents))
        elif isinstance(h, DeleteFile):
            out.append(w.FileUpdateChange(path=path, kind=w.PatchChangeKind(type="delete"), diff=""))
        else:
            lines = [f"-{x}" for c in h.chunks for x in c.old_lines] + [f"+{x}" for c in h.chunks for x in c.new_lines]
            move = str(PurePath(cwd) / h.move_path) if h.move_path else None
            out.append(w.FileUpdateChange(path=path, kind=w.PatchChangeKind(type="update", move_path=move),
                                          diff="\n".join(lines)))
    return out


def _json(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
