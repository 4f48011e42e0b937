"""MCP in a session driven through the library API: the npm reference server (echo, sum, a
long-running tool with progress, an image), a server over streamable HTTP on 127.0.0.1 with a
bearer token, interactive approval through Codex's question, and the list_mcp_tools op."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from pycodex.config.config import CliOverrides, load_config
from pycodex.protocol import events as ev
from pycodex.protocol import ops
from pycodex.protocol.inputs import TextInput
from pycodex.protocol.policies import AskForApproval, SandboxMode
from pycodex.session.conversation import Conversation, ConversationManager
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import write_config
from tests.mcp_client.helpers import (
    SERVER,
    call,
    done,
    everything_bin,
    masked,
    outputs,
    stdio_table,
)


async def _conversation(tmp_path: Path, base_url: str, table: str, *, env: dict[str, str] | None = None,
                        approval: AskForApproval = AskForApproval.NEVER,
                        sandbox: SandboxMode = SandboxMode.DANGER_FULL_ACCESS) -> Conversation:
    ws, home = tmp_path / "ws", tmp_path / "home"
    ws.mkdir(parents=True, exist_ok=True)
    write_config(home, base_url, extra=table)
    cfg = load_config(CliOverrides(cwd=ws, approval_policy=approval, sandbox_mode=sandbox), home=home,
                      env={"MOCK_API_KEY": "k", "PATH": os.environ["PATH"], "HOME": str(tmp_path), **(env or {})})
    return await ConversationManager().new_conversation(cfg)


async def _turn(conv: Conversation, text: str = "go") -> AsyncIterator[ev.Event]:
    await conv.submit(ops.UserInput(items=[TextInput(text=text)]))
    while True:
        e = await asyncio.wait_for(conv.next_event(), 60)
        yield e
        if isinstance(e.msg, ev.TaskComplete | ev.TurnAborted):
            return


async def test_reference_server_everything(tmp_path: Path) -> None:
    binary = everything_bin()
    ns = "mcp__ev"
    turns = [call(ns, "echo", {"message": "hello"}, "e"), call(ns, "get_sum", {"a": 2, "b": 3}, "s"),
             call(ns, "trigger_long_running_operation", {"duration": 1, "steps": 2}, "l"),
             call(ns, "get_tiny_image", {}, "i"), done()]
    table = f'[mcp_servers.ev]\ncommand = "{binary}"\nargs = ["stdio"]\n'
    with ScriptedModelServer(turns) as srv:
        conv = await _conversation(tmp_path, srv.base_url, table)
        seen: list[ev.EventMsg] = []
        try:
            async for e in _turn(conv):
                seen.append(e.msg)
        finally:
            await conv.shutdown()
        body = srv.requests[-1].body
    answers = {k: masked(v) for k, v in outputs(body).items()}
    assert answers["e"][1] == {"type": "input_text", "text": "Echo: hello"}
    assert "5" in str(answers["s"])
    assert "Long running operation completed" in str(answers["l"])
    image = answers["i"][2]
    assert image["type"] == "input_image" and image["image_url"].startswith("data:image/png;base64,iVBOR")
    progress = [m.message for m in seen if isinstance(m, ev.BackgroundEvent)]
    assert progress == ["ev/trigger-long-running-operation: progress 1/2",
                        "ev/trigger-long-running-operation: progress 2/2"]
    ends = [m for m in seen if isinstance(m, ev.McpToolCallEnd)]
    assert [(m.invocation.tool, m.is_success()) for m in ends] == [
        ("echo", True), ("get-sum", True), ("trigger-long-running-operation", True), ("get-tiny-image", True)]
    assert ends[3].result["Ok"]["content"][1]["type"] == "image"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _http_server(port: int, token: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, str(SERVER), "http", str(port), token],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("the HTTP MCP server did not start")


async def test_streamable_http_with_a_bearer_token(tmp_path: Path) -> None:
    """Bad input tried: a second server whose token variable holds the wrong token (the server
    answers 401), and a third whose token variable is not set at all."""
    port = _free_port()
    server = _http_server(port, "s3cret")
    url = f"http://127.0.0.1:{port}/mcp"
    tables = (f'[mcp_servers.web]\nurl = "{url}"\nbearer_token_env_var = "WEB_TOKEN"\n'
              f'http_headers = {{ "X-Team" = "core" }}\n'
              f'[mcp_servers.wrong]\nurl = "{url}"\nbearer_token_env_var = "WRONG_TOKEN"\n'
              f'[mcp_servers.unset]\nurl = "{url}"\nbearer_token_env_var = "NO_SUCH_TOKEN"\n')
    try:
        with ScriptedModelServer([call("mcp__web", "echo", {"message": "over http"}, "h"), done()]) as srv:
            conv = await _conversation(tmp_path, srv.base_url, tables,
                                       env={"WEB_TOKEN": "s3cret", "WRONG_TOKEN": "nope"})
            warnings = []
            try:
                async for e in _turn(conv):
                    if isinstance(e.msg, ev.WarningEvent):
                        warnings.append(e.msg.message)
            finally:
                await conv.shutdown()
            answers = outputs(srv.requests[-1].body)
    finally:
        server.kill()
        server.wait()
    assert masked(answers["h"])[1] == {"type": "input_text", "text": "echo: over http"}
    assert len(warnings) == 2
    assert any(w.startswith("MCP server `wrong` failed to start:") and "401" in w for w in warnings), warnings
    assert "MCP server `unset` failed to start: the environment variable NO_SUCH_TOKEN " \
           "(`bearer_token_env_var` under [mcp_servers.unset]) is not set" in warnings


async def _approve_run(tmp_path: Path, answer: str, calls: int) -> tuple[list[ev.RequestUserInputEvent], Any]:
    turns = [call("mcp__t", "wipe", {}, f"w{i}") for i in range(calls)] + [done()]
    asked: list[ev.RequestUserInputEvent] = []
    with ScriptedModelServer(turns) as srv:
        conv = await _conversation(tmp_path, srv.base_url, stdio_table("t"), approval=AskForApproval.ON_REQUEST,
                                   sandbox=SandboxMode.WORKSPACE_WRITE)
        try:
            async for e in _turn(conv):
                if isinstance(e.msg, ev.RequestUserInputEvent):
                    asked.append(e.msg)
                    qid = e.msg.questions[0].id
                    await conv.submit(ops.UserInputAnswer(id=e.msg.turn_id, response=ops.RequestUserInputResponse(
                        answers={qid: ops.RequestUserInputAnswer(answers=[answer])})))
        finally:
            await conv.shutdown()
        return asked, outputs(srv.requests[-1].body)


async def test_approval_is_asked_with_codex_question(tmp_path: Path) -> None:
    asked, answers = await _approve_run(tmp_path / "session", "Approve this Session", 2)
    [question] = asked  # the second call was approved for the session: not asked again
    q = question.questions[0]
    assert (q.id, q.header) == ("mcp_tool_call_approval_w0", "Approve app tool call?")
    assert q.question == 'The t MCP server wants to run the tool "wipe", which may modify or delete data. Allow this action?'
    assert [o.label for o in q.options or []] == ["Approve Once", "Approve this Session", "Deny", "Cancel"]
    assert masked(answers["w0"])[1]["text"] == masked(answers["w1"])[1]["text"] == "wiped"


async def test_denied_approval_is_told_to_the_model(tmp_path: Path) -> None:
    """Bad input tried: an answer that is none of the choices counts as a denial."""
    asked, answers = await _approve_run(tmp_path / "deny", "Deny", 1)
    assert len(asked) == 1 and answers["w0"][1]["text"] == "the user declined this MCP tool call; it was not run"
    asked, answers = await _approve_run(tmp_path / "odd", "maybe later", 1)
    assert answers["w0"][1]["text"] == "the user declined this MCP tool call; it was not run"


async def test_list_mcp_tools_op(tmp_path: Path) -> None:
    with ScriptedModelServer([]) as srv:
        conv = await _conversation(tmp_path, srv.base_url, stdio_table("t"))
        try:
            await conv.submit(ops.ListMcpTools())
            while not isinstance((e := await asyncio.wait_for(conv.next_event(), 30)).msg, ev.McpListToolsResponse):
                pass
        finally:
            await conv.shutdown()
    msg = e.msg
    assert isinstance(msg, ev.McpListToolsResponse)
    assert {"mcp__t__echo", "mcp__t__add", "mcp__t__wipe", "mcp__t__spawn_daemon"} <= set(msg.tools)
    assert msg.tools["mcp__t__echo"]["name"] == "echo"
    assert msg.tools["mcp__t__echo"]["annotations"] == {"readOnlyHint": True}
    assert msg.tools["mcp__t__echo"]["inputSchema"]["required"] == ["message"]
    assert len(msg.tools) == 9 and all(len(k) <= 64 for k in msg.tools)
    assert msg.auth_statuses == {"t": "unsupported"}
