"""Hosted web search end to end: the spec each config offers, and a scripted search's events,
exec JSONL items, rollout lines and echo in later requests (Codex 0.169's behaviour)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pycodex.protocol import events as ev
from pycodex.session.conversation import ConversationManager
from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import run_exec, write_config
from tests.e2e.test_session import make_config

TEXT_AND_IMAGE = ["text", "image"]
CACHED = {"type": "web_search", "external_web_access": False, "search_content_types": TEXT_AND_IMAGE}
LIVE = {"type": "web_search", "external_web_access": True, "search_content_types": TEXT_AND_IMAGE}
INDEXED = {"type": "web_search", "external_web_access": True, "indexed_web_access": True,
           "search_content_types": TEXT_AND_IMAGE}

NO_WEB = "model_providers.mock.capabilities.external_web_access"


def _web_search_tools(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in body.get("tools", []) if t.get("type") == "web_search"]


def _offered(tmp_path: Path, extra: str, *args: str, model: str = "gpt-5.5",
             wire_api: str = "responses") -> list[dict[str, Any]]:
    """The web_search tools of the one request `pycodex exec ARGS` makes with this config."""
    with ScriptedModelServer([sc.turn(sc.message("ok"), sc.completed())]) as srv:
        write_config(tmp_path / "home", srv.base_url, extra=extra, model=model, wire_api=wire_api)
        run = run_exec(tmp_path / "home", tmp_path, *args, "hi")
    assert run.code == 0 and "warning" not in run.stderr, run.stderr
    return _web_search_tools(srv.requests[0].body)


@pytest.mark.parametrize(
    ("extra", "args", "expected"),
    [
        ("", (), [CACHED]),  # Codex's default: the search index, no live fetching
        ("", ("--dangerously-bypass-approvals-and-sandbox",), [LIVE]),  # no sandbox: live
        ('web_search = "cached"', ("-s", "workspace-write"), [CACHED]),
        ('web_search = "cached"', ("--dangerously-bypass-approvals-and-sandbox",), [LIVE]),
        ('web_search = "live"', (), [LIVE]),
        ('web_search = "indexed"', (), [INDEXED]),
        ("", ("--search",), [LIVE]),
        ('web_search = "disabled"', ("--search",), [LIVE]),  # the flag wins over the file
        ("[tools]\nweb_search = true", (), [LIVE]),  # the older spelling
        ("[features]\nweb_search_request = true", (), [LIVE]),
        ("[features]\nweb_search_cached = true", ("--dangerously-bypass-approvals-and-sandbox",), [LIVE]),
        ('[profiles.web]\nweb_search = "live"', ("-p", "web"), [LIVE]),
        # A provider that cannot reach the web itself gets the index only, whatever is asked.
        ('web_search = "live"', ("-c", f"{NO_WEB}=false"), [CACHED]),
        ('web_search = "indexed"', ("--dangerously-bypass-approvals-and-sandbox", "-c", f"{NO_WEB}=false"),
         [CACHED]),
    ],
)
def test_spec_offered_for_each_config(tmp_path: Path, extra: str, args: tuple[str, ...],
                                      expected: list[dict[str, Any]]) -> None:
    assert _offered(tmp_path, extra, *args) == expected


@pytest.mark.parametrize(
    ("extra", "args"),
    [
        ('web_search = "disabled"', ()),
        ("", ("-c", 'web_search="disabled"')),
        ("[tools]\nweb_search = false", ()),  # the older spelling
        ('web_search = "live"\n[profiles.quiet]\nweb_search = "disabled"', ("-p", "quiet")),
    ],
)
def test_each_way_to_disable_beats_the_live_default(tmp_path: Path, extra: str,
                                                    args: tuple[str, ...]) -> None:
    yolo = "--dangerously-bypass-approvals-and-sandbox"
    assert _offered(tmp_path / "default", "", yolo) == [LIVE]
    assert _offered(tmp_path / "disabled", extra, yolo, *args) == []


def test_models_outside_codex_catalog_get_text_results_only(tmp_path: Path) -> None:
    assert _offered(tmp_path, 'web_search = "live"', model="gpt-4.1") == [
        {"type": "web_search", "external_web_access": True}
    ]


def test_only_the_responses_wire_gets_the_hosted_tool(tmp_path: Path) -> None:
    """The same config on both wires: Chat Completions has no hosted tools at all."""
    config = 'web_search = "live"'
    assert _offered(tmp_path / "r", config) == [LIVE]
    with ScriptedModelServer([sc.turn(sc.message("ok"), sc.completed())]) as srv:
        write_config(tmp_path / "c" / "home", srv.base_url, extra=config, wire_api="chat")
        run = run_exec(tmp_path / "c" / "home", tmp_path, "--search", "hi")
    assert run.code == 0, run.stderr
    assert srv.requests[0].path.endswith("/chat/completions")
    tools = srv.requests[0].body.get("tools", [])
    assert tools and all(t["type"] == "function" for t in tools)
    assert "web_search" not in json.dumps(srv.requests[0].body)


def test_scripted_search_is_an_item_recorded_and_sent_back(tmp_path: Path) -> None:
    home = tmp_path / "home"
    search = {"type": "web_search_call", "id": "ws_1", "status": "completed",
              "action": {"type": "search", "query": "weather in paris"}}
    turns = [
        sc.turn(sc.web_search_call("weather in paris", id="ws_1"),
                sc.function_call("exec_command", {"cmd": "echo looked"}, "c1"), sc.completed()),
        sc.turn(sc.message("sunny"), sc.completed()),
        sc.turn(sc.message("still sunny"), sc.completed()),
    ]
    with ScriptedModelServer(turns) as srv:
        write_config(home, srv.base_url)
        first = run_exec(home, tmp_path, "--dangerously-bypass-approvals-and-sandbox", "weather?")
        thread = first.events()[0]["thread_id"]
        second = run_exec(home, tmp_path, "resume", thread, "and tomorrow?")
    assert first.code == 0 and second.code == 0, first.stderr + second.stderr
    lines = first.events()  # each validated against the published schema
    assert lines[2:5] == [
        {"type": "item.started", "item": {"id": "ws_1", "type": "web_search", "query": "",
                                          "action": {"type": "other"}}},
        {"type": "item.completed", "item": {"id": "ws_1", "type": "web_search", "query": "weather in paris",
                                            "action": {"type": "search", "query": "weather in paris"}}},
        {"type": "item.started", "item": {"id": "item_1", "type": "command_execution",
                                          "command": "/bin/bash -lc 'echo looked'", "aggregated_output": "",
                                          "exit_code": None, "status": "in_progress"}},
    ]
    # Sent back after the call in the same turn, and again after resume, as Codex sends it.
    for body in (srv.requests[1].body, srv.requests[2].body):
        kinds = [i["type"] for i in body["input"]]
        assert body["input"][kinds.index("web_search_call")] == search
        assert kinds.index("web_search_call") < kinds.index("function_call")
    rollout = next((home / "sessions").rglob("rollout-*.jsonl")).read_text().splitlines()
    recorded = [json.loads(x)["payload"] for x in rollout if json.loads(x)["type"] == "response_item"]
    assert search in recorded


ACTIONS: list[tuple[str | None, dict[str, Any] | None, str, dict[str, Any]]] = [
    # (id, action sent, detail shown, action shown)
    ("ws_a", {"type": "search", "queries": ["rust async", "tokio"]}, "rust async ...",
     {"type": "search", "queries": ["rust async", "tokio"]}),
    ("ws_b", {"type": "open_page", "url": "https://example.com/p"}, "https://example.com/p",
     {"type": "open_page", "url": "https://example.com/p"}),
    ("ws_c", {"type": "find_in_page", "url": "https://example.com/p", "pattern": "needle"},
     "'needle' in https://example.com/p",
     {"type": "find_in_page", "url": "https://example.com/p", "pattern": "needle"}),
    ("ws_d", {"type": "image_search", "query": "cats", "sources": []}, "", {"type": "other"}),
    ("ws_e", None, "", {"type": "other"}),
    ("ws_f", {"type": "search", "query": 123, "queries": ["kept"]}, "kept",
     {"type": "search", "queries": ["kept"]}),
    (None, {"type": "search", "query": "no id"}, "no id", {"type": "search", "query": "no id"}),
]


async def test_each_action_becomes_begin_and_end_events(tmp_path: Path) -> None:
    """Bad input tried: an action type pycodex does not know (with unknown fields), a search
    without an action, a query that is a number, and a search without an id."""
    events = [e for i, (ws_id, action, _, _) in enumerate(ACTIONS)
              for e in _search(ws_id or "", action, i)]
    with ScriptedModelServer([sc.turn(*events, sc.message("found"), sc.completed())]) as srv:
        conv = await ConversationManager().new_conversation(make_config(tmp_path, srv.base_url))
        result = await conv.run("look things up")
        await conv.shutdown()
    assert result.error is None and result.final_message == "found"
    begins = [e.msg for e in result.events if isinstance(e.msg, ev.WebSearchBegin)]
    ends = [e.msg for e in result.events if isinstance(e.msg, ev.WebSearchEnd)]
    assert [b.call_id for b in begins] == [e.call_id for e in ends]
    assert [e.call_id for e in ends][:-1] == [a[0] for a in ACTIONS[:-1]]
    assert ends[-1].call_id.startswith("ws_")  # made up, as Codex makes one up
    assert [e.query for e in ends] == [a[2] for a in ACTIONS]
    assert [e.action.model_dump(mode="json") for e in ends] == [a[3] for a in ACTIONS]
    items = [i.model_dump(mode="json") for i in result.items if i.type == "web_search"]
    assert [(i["id"], i["query"], i["action"]) for i in items] == [
        (e.call_id, e.query, e.action.model_dump(mode="json")) for e in ends
    ]


def _search(ws_id: str, action: dict[str, Any] | None, index: int) -> list[dict[str, Any]]:
    added: dict[str, Any] = {"type": "web_search_call", "status": "in_progress"}
    done: dict[str, Any] = {"type": "web_search_call", "status": "completed"}
    if ws_id:
        added["id"] = done["id"] = ws_id
    if action is not None:
        done["action"] = action
    return [{"type": "response.output_item.added", "output_index": index, "item": added},
            {"type": "response.output_item.done", "output_index": index, "item": done}]


def test_search_never_announced_is_started_and_completed_in_full(tmp_path: Path) -> None:
    """Bad input tried: the server sends the finished search without `output_item.added`."""
    done = {"type": "response.output_item.done", "item": {
        "type": "web_search_call", "id": "ws_9", "status": "completed",
        "action": {"type": "open_page", "url": "https://example.com"}}}
    with ScriptedModelServer([sc.turn(done, sc.message("read it"), sc.completed())]) as srv:
        write_config(tmp_path / "home", srv.base_url)
        run = run_exec(tmp_path / "home", tmp_path, "read")
    assert run.code == 0, run.stderr
    item = {"id": "ws_9", "type": "web_search", "query": "https://example.com",
            "action": {"type": "open_page", "url": "https://example.com"}}
    assert run.events()[2:5] == [
        {"type": "item.started", "item": item},
        {"type": "item.completed", "item": item},
        {"type": "item.completed", "item": {"id": "item_1", "type": "agent_message", "text": "read it"}},
    ]


def test_unknown_mode_is_one_line_and_no_request(tmp_path: Path) -> None:
    """Bad input tried: `-c web_search="sometimes"`, a mode Codex does not have."""
    with ScriptedModelServer([sc.turn(sc.message("ok"), sc.completed())]) as srv:
        write_config(tmp_path / "home", srv.base_url)
        run = run_exec(tmp_path / "home", tmp_path, "-c", 'web_search="sometimes"', "hi")
    assert run.code == 1 and run.stdout == "" and not srv.requests
    assert run.stderr.splitlines() == [
        "Error: config error: web_search in -c web_search=\"sometimes\": expected one of: disabled, "
        "cached, indexed, live, found string \"sometimes\""
    ]
