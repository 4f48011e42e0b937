"""request_user_input next to the real Codex 0.169: the same tool, the same errors, no JSONL.

Codex offers the tool to gpt-5.5 with these parameters. By default it answers every call outside
its Plan mode with "request_user_input is unavailable in Default mode"; pycodex has no Plan mode
and behaves as Codex does with its `default_mode_request_user_input` feature, which is what this
compares against: the questions are checked the same way, and where nobody can answer (exec)
Codex returns empty answers while pycodex says that no user is available.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import run_exec, write_config
from tests.interop.codex_bin import run_codex

GOOD = {"questions": [{"id": "color", "header": "Color", "question": "Which color?",
                       "options": [{"label": "Red", "description": "warm"}]}]}
NO_OPTIONS = {"questions": [{"id": "color", "header": "Color", "question": "Which color?"}]}


def _turns() -> list[sc.Turn]:
    return [sc.turn(sc.function_call("request_user_input", NO_OPTIONS, "bad"),
                    sc.function_call("request_user_input", GOOD, "good"), sc.completed()),
            sc.turn(sc.message("done"), sc.completed())]


def _without_descriptions(schema: Any) -> Any:
    """A schema with its prose left out (descriptions are each project's own words)."""
    if isinstance(schema, dict):
        return {k: _without_descriptions(v) for k, v in schema.items()
                if not (k == "description" and isinstance(v, str))}
    if isinstance(schema, list):
        return [_without_descriptions(v) for v in schema]
    return schema


def _told(srv: ScriptedModelServer) -> dict[str, str]:
    return {i["call_id"]: i["output"] for i in srv.requests[1].body["input"]
            if i["type"] == "function_call_output"}


def _around(tools: list[dict[str, Any]]) -> list[str]:
    names = [t.get("name", t["type"]) for t in tools]
    i = names.index("request_user_input")
    return names[i - 1:i + 2]


def test_same_tool_same_refusals_as_codex(tmp_path: Path) -> None:
    ws_a, ws_b = tmp_path / "a", tmp_path / "b"
    ws_a.mkdir()
    ws_b.mkdir()
    with ScriptedModelServer(_turns()) as ours_srv:
        # As the interop harness gives Codex: update_plan on (it is off by default in both).
        write_config(tmp_path / "home", ours_srv.base_url, extra="[tools.update_plan]\nenabled = true\n")
        ours = run_exec(tmp_path / "home", ws_a, "ask me", timeout=60)
    with ScriptedModelServer(_turns()) as codex_srv:
        theirs = run_codex(tmp_path / "codex-home", ws_b, codex_srv.base_url, "--enable",
                           "default_mode_request_user_input", "-c",
                           "suppress_unstable_features_warning=true", "ask me")
    assert ours.code == 0 and theirs.returncode == 0, (ours.stderr, theirs.stderr)

    def spec(srv: ScriptedModelServer) -> dict[str, Any]:
        return next(t for t in srv.requests[0].body["tools"] if t.get("name") == "request_user_input")

    assert _without_descriptions(spec(ours_srv)) == _without_descriptions(spec(codex_srv))
    assert _around(ours_srv.requests[0].body["tools"]) == _around(codex_srv.requests[0].body["tools"])

    ours_told, codex_told = _told(ours_srv), _told(codex_srv)
    assert ours_told["bad"] == codex_told["bad"] == "request_user_input requires non-empty options for every question"
    assert codex_told["good"] == '{"answers":{}}'
    assert "no user is available" in ours_told["good"]
    # Neither prints a JSONL item for the call: only the final message.
    codex_items = [json.loads(x) for x in theirs.stdout.splitlines() if x.startswith("{")]
    assert [e["item"]["type"] for e in codex_items if "item" in e] == ["agent_message"]
    assert [e["item"]["type"] for e in ours.events() if "item" in e] == ["agent_message"]
