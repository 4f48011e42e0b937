"""The Chat Completions wire: history conversion, chunk aggregation, and the real HTTP path."""

from __future__ import annotations

import json

import pytest

from pycodex.model import events as me
from pycodex.model.chat import ChatAggregator
from pycodex.model.chat_request import build_chat_messages, build_chat_request, chat_tool
from pycodex.model.errors import MalformedStreamError, RetryableStreamError
from pycodex.model.prompt import ModelSettings, Prompt
from pycodex.protocol.models import (
    CustomToolCall,
    CustomToolCallOutput,
    FunctionCall,
    FunctionCallOutput,
    InputImage,
    InputText,
    LocalShellCall,
    LocalShellExec,
    Message,
    Reasoning,
    ReasoningText,
    SummaryText,
    WebSearchCall,
    assistant_message,
    user_message,
)
from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.model.support import client, collect, done_items, prompt

TOOLS = [
    {"type": "function", "name": "exec_command", "description": "run", "parameters": {"type": "object"}},
    {"type": "custom", "name": "apply_patch", "description": "patch", "format": {"type": "grammar"}},
    {"type": "web_search"},
]


def test_history_becomes_chat_messages() -> None:
    history = [
        Message(role="developer", content=[InputText(text="dev rules")]),
        user_message("look"),
        Reasoning(summary=[SummaryText(text="sum")], content=[ReasoningText(text="think")]),
        assistant_message("running it"),
        FunctionCall(name="exec_command", arguments='{"cmd":"ls"}', call_id="c1"),
        CustomToolCall(name="apply_patch", input="*** Begin Patch", call_id="c2"),
        FunctionCallOutput(call_id="c1", output="a.txt"),
        CustomToolCallOutput(call_id="c2", output="Success"),
        Reasoning(summary=[SummaryText(text="only a summary")]),
        LocalShellCall(call_id="c3", action=LocalShellExec(command=["pwd"])),
        FunctionCallOutput(call_id="c3", output="/w"),
        WebSearchCall(id="ws1"),
        Message(role="user", content=[InputText(text="see"), InputImage(image_url="data:image/png;base64,AA")]),
    ]
    msgs = build_chat_messages(Prompt(input=history, instructions="sys"))
    assert msgs[0] == {"role": "system", "content": "sys"}
    assert msgs[1] == {"role": "system", "content": "dev rules"}
    assert msgs[2] == {"role": "user", "content": "look"}
    assistant = msgs[3]
    assert assistant["content"] == "running it" and assistant["reasoning"] == "think"
    assert [c["id"] for c in assistant["tool_calls"]] == ["c1", "c2"]
    assert assistant["tool_calls"][1]["function"] == {"name": "apply_patch",
                                                      "arguments": json.dumps({"input": "*** Begin Patch"})}
    assert msgs[4] == {"role": "tool", "tool_call_id": "c1", "content": "a.txt"}
    assert msgs[5] == {"role": "tool", "tool_call_id": "c2", "content": "Success"}
    shell = msgs[6]
    assert shell["content"] is None and shell["reasoning"] == "only a summary"
    assert shell["tool_calls"][0]["function"] == {"name": "shell", "arguments": '{"command": ["pwd"]}'}
    assert msgs[7]["role"] == "tool"
    assert msgs[8]["content"][1] == {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}}
    assert len(msgs) == 9  # the web search call has no chat form


def test_tools_become_functions() -> None:
    body = build_chat_request(Prompt(input=[], tools=TOOLS, output_schema={"type": "object"}),
                              ModelSettings(model="m"))
    assert [t["function"]["name"] for t in body["tools"]] == ["exec_command", "apply_patch"]
    custom = body["tools"][1]["function"]["parameters"]
    assert custom["required"] == ["input"] and custom["properties"]["input"]["type"] == "string"
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["response_format"]["json_schema"]["name"] == "codex_output_schema"
    assert chat_tool({"type": "function"}) is None  # bad input: a tool without a name is dropped


def test_aggregator_interleaved_tool_call_fragments() -> None:
    """Fragments of two calls arrive interleaved and out of index order."""
    agg = ChatAggregator(frozenset({"apply_patch"}))

    def chunk(*calls: dict[str, object], finish: str | None = None) -> dict[str, object]:
        return {"id": "x1", "choices": [{"index": 0, "delta": {"tool_calls": list(calls)}, "finish_reason": finish}]}

    assert agg.feed(chunk({"index": 1, "id": "b", "function": {"name": "apply_patch", "arguments": '{"inp'}})) == []
    agg.feed(chunk({"index": 0, "id": "a", "function": {"name": "f", "arguments": '{"x"'}}))
    agg.feed(chunk({"index": 1, "function": {"arguments": 'ut": "P"}'}}, {"index": 0, "function": {"arguments": ": 1}"}}))
    items = [e.item for e in agg.feed(chunk(finish="tool_calls")) if isinstance(e, me.OutputItemDone)]
    assert isinstance(items[0], FunctionCall) and (items[0].call_id, items[0].arguments) == ("a", '{"x": 1}')
    assert isinstance(items[1], CustomToolCall) and (items[1].call_id, items[1].input) == ("b", "P")
    done = agg.finish()
    assert isinstance(done[-1], me.Completed) and done[-1].response_id == "x1" and len(done) == 1


def test_aggregator_calls_without_index_or_id() -> None:
    """Bad input tried: tool call deltas with no index and no id (some local servers)."""
    agg = ChatAggregator()
    agg.feed({"choices": [{"delta": {"tool_calls": [{"function": {"name": "f", "arguments": "{}"}}]}}]})
    events = agg.finish()
    call = events[0].item  # type: ignore[union-attr]
    assert isinstance(call, FunctionCall) and call.name == "f" and call.call_id.startswith("call_")


async def test_chat_text_tool_calls_and_usage_over_http() -> None:
    turn = sc.turn(sc.reasoning("hmm"), sc.text_deltas(["hel", "lo"]), sc.function_call("exec_command", {"cmd": "ls"}, "c1"),
                   sc.custom_tool_call("apply_patch", "*** Begin Patch\n*** End Patch", "c2"),
                   sc.completed(input_tokens=9, output_tokens=4, cached=2))
    with ScriptedModelServer([turn]) as srv:
        events = await collect(client(srv, wire="chat"), prompt(TOOLS))
    req = srv.requests[0]
    assert req.path == "/v1/chat/completions" and "openai-beta" not in req.headers
    assert req.body_json["messages"][0] == {"role": "system", "content": "be brief"}
    assert [e.delta for e in events if isinstance(e, me.OutputTextDelta)] == ["hel", "lo"]
    assert "".join(e.delta for e in events if isinstance(e, me.ReasoningContentDelta)) == "hmm"
    reasoning, msg, fc, ctc = done_items(events)
    assert isinstance(reasoning, Reasoning) and reasoning.content and reasoning.content[0].text == "hmm"
    assert isinstance(msg, Message) and msg.text() == "hello"
    assert isinstance(fc, FunctionCall) and json.loads(fc.arguments) == {"cmd": "ls"} and fc.call_id == "c1"
    assert isinstance(ctc, CustomToolCall) and ctc.input == "*** Begin Patch\n*** End Patch"
    done = events[-1]
    assert isinstance(done, me.Completed) and done.usage is not None
    assert (done.usage.input_tokens, done.usage.output_tokens, done.usage.cached_input_tokens,
            done.usage.total_tokens) == (9, 4, 2, 13)


async def test_chat_plain_message_without_usage() -> None:
    raw_usage_free = sc.turn(sc.message("hi"), {"type": "response.completed", "response": {"id": "r"}})
    with ScriptedModelServer([raw_usage_free]) as srv:
        events = await collect(client(srv, wire="chat"))
    assert done_items(events)[0].text() == "hi"
    assert isinstance(events[-1], me.Completed) and events[-1].usage is None


async def test_chat_stream_dropped() -> None:
    """Bad input tried: the chat stream closes before finish_reason and [DONE]."""
    with ScriptedModelServer([sc.turn(sc.text_deltas(["a", "b"]), sc.completed(), drop_after=1)]) as srv:
        with pytest.raises(RetryableStreamError, match=r"stream closed before response\.completed"):
            await collect(client(srv, wire="chat"))


async def test_chat_error_chunk() -> None:
    """Bad input tried: an error object in the chat stream."""
    with ScriptedModelServer([sc.turn(sc.failed("model overloaded", code="server_error"))]) as srv:
        with pytest.raises(RetryableStreamError, match="stream disconnected before completion: model overloaded"):
            await collect(client(srv, wire="chat"))


async def test_chat_malformed_chunk() -> None:
    """Bad input tried: a chat data line that is not JSON."""
    with ScriptedModelServer([sc.malformed(data="{nope")]) as srv:
        with pytest.raises(MalformedStreamError, match="not valid JSON"):
            await collect(client(srv, wire="chat"))
