"""The tools as a client sees them: names and schemas, and a clear error for every bad call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp.shared.exceptions import MCPError

from pycodex.mcp_server.tools import ToolInputError, config_overrides
from pycodex.mcp_server.wire import decision_of
from pycodex.protocol.policies import ReviewDecision
from pycodex.testing.server import ScriptedModelServer
from tests.mcp_server.harness import Recorder, connect, setup_home, text_of

OUTPUT = {"type": "object", "properties": {"threadId": {"type": "string"}, "content": {"type": "string"}},
          "required": ["threadId", "content"]}


async def test_lists_codex_and_codex_reply_with_codex_schemas(tmp_path: Path) -> None:
    with ScriptedModelServer([]) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        async with connect(home, ws, Recorder()) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            assert client.session.protocol_version == "2025-11-25"  # the handshake era
    assert list(tools) == ["codex", "codex-reply"]
    codex, reply = tools["codex"], tools["codex-reply"]
    assert codex.title == "Codex" and reply.title == "Codex Reply"
    props = codex.input_schema["properties"]
    assert sorted(props) == sorted(["prompt", "model", "profile", "cwd", "approval-policy", "sandbox", "config",
                                    "base-instructions", "developer-instructions", "compact-prompt"])
    assert codex.input_schema["required"] == ["prompt"] and codex.input_schema["type"] == "object"
    assert props["approval-policy"]["enum"] == ["untrusted", "on-failure", "on-request", "never"]
    assert props["sandbox"]["enum"] == ["read-only", "workspace-write", "danger-full-access"]
    assert props["config"]["type"] == "object" and props["config"]["additionalProperties"] is True
    assert all(props[k]["type"] == "string" for k in props if k != "config")
    assert sorted(reply.input_schema["properties"]) == ["conversationId", "prompt", "threadId"]
    assert reply.input_schema["required"] == ["prompt"]
    assert codex.output_schema == OUTPUT and reply.output_schema == OUTPUT


async def test_bad_calls_get_a_clear_error_naming_the_problem(tmp_path: Path) -> None:
    """Bad input: an unknown tool, a missing / non-string / empty prompt, a bad approval-policy
    and sandbox, a `config` that is not an object, a cwd that is no directory, an unknown
    profile, a reply without a thread id or to an unknown thread. The server answers each and
    keeps serving."""
    bad: list[tuple[str, dict[str, Any], str]] = [
        ("codex", {}, "`prompt` is required"),
        ("codex", {"prompt": 7}, "`prompt` must be a string, not a number"),
        ("codex", {"prompt": "  "}, "`prompt` is empty"),
        ("codex", {"prompt": "x", "approval-policy": "sometimes"},
         "`approval-policy`: 'sometimes' is not one of untrusted, on-failure, on-request, never"),
        ("codex", {"prompt": "x", "sandbox": "none"}, "`sandbox`: 'none' is not one of"),
        ("codex", {"prompt": "x", "config": [1]}, "`config` must be an object of settings, not an array"),
        ("codex", {"prompt": "x", "cwd": "/no/such/dir"}, "`cwd`: /no/such/dir is not a directory"),
        ("codex", {"prompt": "x", "profile": "nope"}, "nope"),
        ("codex-reply", {"prompt": "x"}, "`threadId` is required"),
        ("codex-reply", {"threadId": "0198a0e2-0000-7000-8000-00000000dead", "prompt": "x"},
         "no thread `0198a0e2-0000-7000-8000-00000000dead`"),
    ]
    with ScriptedModelServer([]) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        async with connect(home, ws, Recorder()) as client:
            with pytest.raises(MCPError) as unknown:
                await client.call_tool("codex-run", {"prompt": "x"})
            results = [(tool, await client.call_tool(tool, args), want) for tool, args, want in bad]
            assert [t.name for t in (await client.list_tools()).tools] == ["codex", "codex-reply"]
        assert srv.requests == []  # no conversation reached the model
    assert "unknown tool `codex-run`" in unknown.value.error.message
    for tool, result, want in results:
        assert result.is_error, (tool, want)
        text = text_of(result)
        assert text.startswith(f"{tool}: ") and want in text, (text, want)
        assert "Traceback" not in text and "\n" not in text


def test_decisions_from_codex_and_plain_mcp_answers() -> None:
    """Bad input: answers that are not objects, unknown actions or decisions, wrong types — all
    denials."""
    ok = {"decision": "approved"}
    assert decision_of(ok) is ReviewDecision.APPROVED
    assert decision_of({"decision": "approved_for_session"}) is ReviewDecision.APPROVED_FOR_SESSION
    assert decision_of({"decision": "abort"}) is ReviewDecision.ABORT
    assert decision_of({"decision": {"approved_execpolicy_amendment": {"x": 1}}}) is ReviewDecision.APPROVED
    assert decision_of({"action": "accept"}) is ReviewDecision.APPROVED
    assert decision_of({"action": "accept", "content": {"decision": "approved_for_session"}}) is \
        ReviewDecision.APPROVED_FOR_SESSION
    assert decision_of({"action": "decline"}) is ReviewDecision.DENIED
    assert decision_of({"action": "cancel"}) is ReviewDecision.ABORT
    for garbage in [None, "approved", [], 1, {}, {"decision": "maybe"}, {"decision": 1}, {"action": "yes"},
                    {"action": None}, {"decision": {"approved": 1, "denied": 2}}, {"decision": {"nope": 1}},
                    {"action": "accept", "content": {"decision": "perhaps"}}]:
        assert decision_of(garbage) is ReviewDecision.DENIED, garbage


def test_config_object_becomes_overrides() -> None:
    """Bad input: a null, a non-finite number and a nested bad value are refused by name."""
    assert config_overrides({"model": "m", "sandbox_workspace_write": {"network_access": True},
                             "n": 3, "l": ["a", 1], "t": {}}) == [
        'model="m"', "sandbox_workspace_write.network_access=true", "n=3", 'l=["a", 1]', "t={}"]
    for bad, name in [({"x": None}, "config.x"), ({"a": {"b": float("inf")}}, "config.a.b"),
                      ({"l": [None]}, "config.l")]:
        with pytest.raises(ToolInputError, match=name):
            config_overrides(bad)
