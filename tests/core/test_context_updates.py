"""The context the model is told at the start, and told again only when cwd, sandbox or approvals change.

A real session (library API) against the scripted server; what is checked is what each
request carries.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.e2e.test_session import make_config

from pycodex.protocol import events as ev
from pycodex.protocol import ops
from pycodex.protocol.inputs import TextInput
from pycodex.protocol.policies import AskForApproval, DangerFullAccess, WorkspaceWrite
from pycodex.session.conversation import ConversationManager
from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer


def context_kinds(body: dict[str, Any]) -> list[str]:
    """The kind of each input message: base, permissions, environment, or the user's text."""
    out = []
    for item in body["input"]:
        if item.get("type") != "message" or item["role"] == "assistant":
            continue
        text = item["content"][0]["text"]
        if text.startswith("<permissions instructions>"):
            out.append("permissions")
        elif text.startswith("<environment_context>"):
            out.append("environment")
        elif item["role"] == "developer":
            out.append("base")
        else:
            out.append(text)
    return out


def _answers(n: int) -> list[sc.Turn]:
    return [sc.turn(sc.message(f"answer {i}"), sc.completed()) for i in range(n)]


async def test_first_request_carries_permissions_then_environment(tmp_path: Path) -> None:
    with ScriptedModelServer(_answers(1)) as srv:
        conv = await ConversationManager().new_conversation(make_config(tmp_path, srv.base_url))
        await conv.run("one")
        await conv.shutdown()
    cwd = conv.config.cwd
    body = srv.requests[0].body
    assert "instructions" not in body
    assert context_kinds(body) == ["base", "permissions", "environment", "one"]
    perms = body["input"][1]["content"][0]["text"]
    assert "`sandbox_mode` is `danger-full-access`" in perms and "Network access is enabled" in perms
    assert "`approval_policy` is `never`" in perms and "require_escalated" in perms
    env = body["input"][2]["content"][0]["text"]
    assert f"<filesystem><workspace_roots><root>{cwd}</root></workspace_roots>" in env
    assert '<permission_profile type="disabled"><file_system type="unrestricted" /></permission_profile>' in env


async def test_user_turn_with_new_settings_resends_only_what_changed(tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    ww = WorkspaceWrite(network_access=True)
    with ScriptedModelServer(_answers(5)) as srv:
        conv = await ConversationManager().new_conversation(make_config(tmp_path, srv.base_url))
        await conv.run("one")
        await conv.run("two", sandbox_policy=ww)  # sandbox: both messages
        await conv.run("three", sandbox_policy=ww)  # nothing changed: nothing new
        await conv.run("four", sandbox_policy=ww, approval_policy=AskForApproval.ON_REQUEST)  # approvals only
        await conv.run("five", sandbox_policy=DangerFullAccess(), approval_policy=AskForApproval.ON_REQUEST,
                       cwd=other)  # cwd and sandbox
        await conv.shutdown()
    kinds = context_kinds(srv.requests[4].body)
    assert kinds == ["base", "permissions", "environment", "one",
                     "permissions", "environment", "two",
                     "three",
                     "permissions", "four",
                     "permissions", "environment", "five"]
    texts = [i["content"][0]["text"] for i in srv.requests[4].body["input"] if i.get("type") == "message"]
    env_two = next(t for t in texts[texts.index("one"):] if t.startswith("<environment_context>"))
    assert '<permission_profile type="managed">' in env_two and '<special>:slash_tmp</special>' in env_two
    perm_four = [t for t in texts if t.startswith("<permissions instructions>")][2]
    assert "`approval_policy` is `on-request`" in perm_four and "Network access is enabled" in perm_four
    env_five = [t for t in texts if t.startswith("<environment_context>")][-1]
    assert f"<cwd>{other}</cwd>" in env_five and 'type="disabled"' in env_five


async def test_override_turn_context_is_told_before_the_next_request(tmp_path: Path) -> None:
    with ScriptedModelServer(_answers(2)) as srv:
        conv = await ConversationManager().new_conversation(make_config(tmp_path, srv.base_url))
        await conv.run("one")
        await conv.submit(ops.OverrideTurnContext(approval_policy=AskForApproval.ON_REQUEST))
        await conv.submit(ops.OverrideTurnContext(approval_policy=AskForApproval.ON_REQUEST))  # no change
        await conv.submit(ops.UserInput(items=[TextInput(text="two")]))
        while not isinstance((await asyncio.wait_for(conv.next_event(), 20)).msg, ev.TaskComplete):
            pass
        await conv.shutdown()
    # The approval policy is not part of the environment context: only permissions come again.
    assert context_kinds(srv.requests[1].body) == ["base", "permissions", "environment", "one", "permissions", "two"]
