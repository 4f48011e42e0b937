"""model/list through the SDK's `models()`: Codex 0.169's catalog slugs as v2 Model objects,
the configured model marked as the default, and the same list the real Codex gives."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pycodex.config.model_family import CATALOG
from pycodex.testing.server import ScriptedModelServer
from tests.app_server.harness import RawClient, require_sdk, sdk_config, setup_home, tapped
from tests.app_server.schema import V2Schema
from tests.interop.codex_bin import codex_binary, codex_config

require_sdk()
from openai_codex import Codex, CodexConfig  # noqa: E402

VISIBLE = ["gpt-6.1-sol", "gpt-6-astra", "gpt-6-sol", "gpt-6-luna", "gpt-5.6-sol", "gpt-6.1-terra",
           "gpt-5.6-terra", "gpt-5.6-luna", "gpt-5.5"]


def _summary(models: Any) -> list[tuple[str, str, bool, str]]:
    return [(m.id, m.display_name, m.hidden, m.default_reasoning_effort.value) for m in models.data]


def test_models_lists_the_catalog_with_the_configured_model_as_default(tmp_path: Path, v2schema: V2Schema) -> None:
    tap = tmp_path / "tap"
    with ScriptedModelServer([]) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)  # configured model: gpt-5.5
        with Codex(sdk_config(home, ws, tap)) as codex:
            visible = codex.models()
            everything = codex.models(include_hidden=True)
        config = sdk_config(home, ws, tmp_path / "tap2")
        config.config_overrides = ('model="my-local-model"',)
        with Codex(config) as codex:
            unknown = codex.models()
    assert [m.id for m in visible.data] == VISIBLE and visible.next_cursor is None
    assert [m.id for m in visible.data if m.is_default] == ["gpt-5.5"]
    first = visible.data[0]
    assert (first.display_name, first.default_reasoning_effort.value) == ("GPT-6.1-Sol", "low")
    assert [e.reasoning_effort.value for e in first.supported_reasoning_efforts] == ["low", "medium", "high", "xhigh"]
    assert {m.id for m in everything.data} == set(CATALOG)  # every slug with request defaults
    assert [m.id for m in everything.data if m.hidden] == [
        "gpt-daybreak-blue-latest", "gpt-daybreak-red-latest", "codex-auto-review"]
    assert [m.id for m in unknown.data] == ["my-local-model", *VISIBLE]
    assert [m.id for m in unknown.data if m.is_default] == ["my-local-model"]
    sent, received = tapped(tap)
    v2schema.check_all(sent, received)


def test_model_list_pages_and_refuses_a_cursor_it_did_not_give(tmp_path: Path, v2schema: V2Schema) -> None:
    """Bad input tried: a cursor that is not one this server gave."""
    with ScriptedModelServer([]) as srv:
        home, ws = setup_home(tmp_path, srv.base_url)
        c = RawClient(home, ws)
        try:
            c.initialize()
            first = c.request("model/list", {"limit": 4})["result"]
            rest = c.request("model/list", {"cursor": first["nextCursor"]})["result"]
            bad = c.request("model/list", {"cursor": "not-a-cursor"})
        finally:
            c.close_stdin()
            assert c.wait() == 0
    assert [m["id"] for m in first["data"] + rest["data"]] == VISIBLE
    assert first["nextCursor"] == "4" and rest["nextCursor"] is None
    assert bad["error"]["code"] == -32602 and bad["error"]["message"].startswith("invalid params: cursor:")
    v2schema.check_all(c.sent, c.messages())


def test_same_models_as_codex_app_server(tmp_path: Path) -> None:
    """Slugs, order, display names, hidden flags and default efforts match the real Codex's
    model/list (its default model aside: pycodex marks the configured one)."""
    codex_bin = codex_binary()
    with ScriptedModelServer([]) as srv:
        flags = codex_config(srv.base_url)
        os.makedirs(tmp_path / "codex-home")
        config = CodexConfig(codex_bin=str(codex_bin), config_overrides=tuple(flags[1::2]), cwd=str(tmp_path),
                             env={"CODEX_HOME": str(tmp_path / "codex-home"), "MOCK_API_KEY": "k"})
        with Codex(config) as codex:
            theirs = codex.models(include_hidden=True)
        home, ws = setup_home(tmp_path / "py", srv.base_url)
        with Codex(sdk_config(home, ws, tmp_path / "tap")) as codex:
            ours = codex.models(include_hidden=True)
    assert _summary(ours) == _summary(theirs)
