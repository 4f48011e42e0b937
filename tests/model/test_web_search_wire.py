"""A hosted web search on the Responses wire, as the scripted server streams it."""

from __future__ import annotations

from pycodex.model import events as me
from pycodex.protocol.json import dump_response_item
from pycodex.protocol.models import WebSearchCall
from pycodex.testing import scenario as sc
from pycodex.testing.scenario_json import scenario_from_json
from pycodex.testing.server import ScriptedModelServer
from tests.model.support import client, collect

FIND = {"type": "find_in_page", "url": "https://example.com/doc", "pattern": "install"}


async def test_scripted_search_streams_progress_and_decodes_to_added_and_done() -> None:
    events = sc.web_search_call(id="ws_7", action=FIND, output_index=1)
    assert [e["type"] for e in events] == [
        "response.output_item.added", "response.web_search_call.in_progress",
        "response.web_search_call.searching", "response.web_search_call.completed",
        "response.output_item.done",
    ]
    assert all(e["output_index"] == 1 for e in events)
    with ScriptedModelServer([sc.turn(events, sc.completed())]) as srv:
        got = await collect(client(srv))
    assert [type(e) for e in got] == [me.OutputItemAdded, me.OutputItemDone, me.Completed]
    added, done = got[0], got[1]
    assert isinstance(added, me.OutputItemAdded) and isinstance(done, me.OutputItemDone)
    assert isinstance(done.item, WebSearchCall) and done.item.action is not None
    assert (added.item.id, added.item.status) == ("ws_7", "in_progress")
    assert dump_response_item(done.item) == {
        "type": "web_search_call", "id": "ws_7", "status": "completed", "action": FIND,
    }
    assert done.item.action.detail() == "'install' in https://example.com/doc"


async def test_garbled_action_fields_are_dropped_not_fatal() -> None:
    """Bad input tried: a query that is a number, queries with a non-string entry, a field
    that belongs to another action kind, and an action that is not an object."""
    weird = [
        {"type": "search", "query": 7, "queries": ["a", 1], "url": "https://x"},
        "search",
    ]
    events = [{"type": "response.output_item.done",
               "item": {"type": "web_search_call", "id": f"ws_{i}", "status": "completed", "action": a}}
              for i, a in enumerate(weird)]
    with ScriptedModelServer([sc.turn(events, sc.message("fine"), sc.completed())]) as srv:
        got = await collect(client(srv))
    done = [e.item for e in got if isinstance(e, me.OutputItemDone)]
    assert [dump_response_item(i) for i in done[:2]] == [
        {"type": "web_search_call", "id": "ws_0", "status": "completed", "action": {"type": "search"}},
        {"type": "web_search_call", "id": "ws_1", "status": "completed", "action": {"type": "other"}},
    ]


def test_json_scenario_takes_a_search_with_its_action() -> None:
    (turn,) = scenario_from_json([{"events": [
        {"web_search_call": {"id": "ws_7", "action": FIND, "status": "failed"}}, "completed"]}])
    expected = sc.turn(sc.web_search_call(id="ws_7", action=FIND, status="failed"), sc.completed())
    assert turn.events[:-1] == expected.events[:-1]
    assert turn.events[-2]["item"] == {"type": "web_search_call", "id": "ws_7", "status": "failed", "action": FIND}
