"""Request defaults per model family, as Codex 0.169 sends them, and the config keys over them.

The table needs no npm: its values were recorded from the real Codex 0.169 on the scripted
server (tests/interop/test_request_parity.py compares the two live where Codex is installed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pycodex.config.model_family import find_family, resolve_request_options
from pycodex.model.prompt import ModelSettings, Prompt
from pycodex.model.responses import build_responses_request
from pycodex.protocol.models import user_message
from pycodex.protocol.policies import ReasoningEffort, ReasoningSummary, Verbosity
from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import run_exec, write_config

ENC = ["reasoning.encrypted_content"]
HIGH, MEDIUM = ReasoningEffort.HIGH, Verbosity.MEDIUM


def body_for(slug: str, effort: ReasoningEffort | None = None, summary: ReasoningSummary | None = None,
             verbosity: Verbosity | None = None) -> dict[str, Any]:
    """The Responses body pycodex builds for a slug under these config choices."""
    opts = resolve_request_options(find_family(slug), effort, summary, verbosity)
    settings = ModelSettings(model=slug, effort=opts.effort, summary=opts.summary, verbosity=opts.verbosity,
                             supports_reasoning=opts.reasoning)
    return build_responses_request(Prompt(input=[user_message("hi")]), settings, "t")


@pytest.mark.parametrize(("slug", "choices", "reasoning", "text", "include"), [
    # Codex's catalog: effort and verbosity defaults, no summary unless configured.
    ("gpt-5.5", {}, {"effort": "medium"}, {"verbosity": "low"}, ENC),
    ("gpt-5.5", {"effort": HIGH, "verbosity": MEDIUM}, {"effort": "high"}, {"verbosity": "medium"}, ENC),
    ("gpt-5.5", {"summary": ReasoningSummary.DETAILED}, {"effort": "medium", "summary": "detailed"},
     {"verbosity": "low"}, ENC),
    ("GPT-5.5", {}, {"effort": "medium"}, {"verbosity": "low"}, ENC),
    ("gpt-6.1-sol", {}, {"effort": "low"}, {"verbosity": "low"}, ENC),
    ("gpt-5.6-luna", {}, {"effort": "medium"}, {"verbosity": "low"}, ENC),
    # Outside the catalog Codex falls back: summary auto, no effort, and no verbosity at all.
    ("mock-model", {}, {"summary": "auto"}, None, ENC),
    ("mock-model", {"effort": HIGH, "verbosity": MEDIUM}, {"effort": "high", "summary": "auto"}, None, ENC),
    ("gpt-5", {}, {"summary": "auto"}, None, ENC),
    ("o3", {}, {"summary": "auto"}, None, ENC),
    ("gpt-oss-120b", {}, {"summary": "auto"}, None, ENC),
    # pycodex's own knowledge: these take no reasoning, even when one is configured.
    ("gpt-4.1", {}, None, None, []),
    ("gpt-4o", {"effort": HIGH, "verbosity": MEDIUM}, None, None, []),
])
def test_family_defaults_table(slug: str, choices: dict[str, Any], reasoning: Any, text: Any,
                               include: list[str]) -> None:
    body = body_for(slug, **choices)
    assert body.get("reasoning") == reasoning
    assert body.get("text") == text
    assert body["include"] == include
    assert (body["tool_choice"], body["parallel_tool_calls"], body["store"]) == ("auto", True, False)


def test_summary_none_is_not_sent() -> None:
    assert body_for("mock-model", summary=ReasoningSummary.NONE)["reasoning"] == {}


# The file sets verbosity, the profile the summary, `-c` overrides the file's verbosity;
# the family fills in what nobody set (gpt-5.5's effort).
CONFIG = 'model_verbosity = "high"\n[profiles.deep]\nmodel_reasoning_summary = "concise"\n'


@pytest.mark.parametrize(("model", "reasoning", "text"), [
    ("gpt-5.5", {"effort": "medium", "summary": "concise"}, {"verbosity": "medium"}),
    ("mock-model", {"summary": "concise"}, None),  # verbosity is not taken there
])
def test_config_file_profile_and_overrides_reach_the_request(tmp_path: Path, model: str, reasoning: Any,
                                                             text: Any) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    with ScriptedModelServer([sc.turn(sc.message("ok"), sc.completed())]) as srv:
        write_config(tmp_path / "home", srv.base_url, model=model, extra=CONFIG)
        run = run_exec(tmp_path / "home", ws, "--yolo", "-p", "deep", "-c", 'model_verbosity="medium"', "hi")
    assert run.code == 0, run.stderr
    body = srv.requests[0].body
    assert body["reasoning"] == reasoning and body.get("text") == text
