"""`exec --oss`: the local provider (Ollama's Chat wire) with its default model, as Codex picks
it, unless `-m` names another; before, the configured model (gpt-5.5) was sent to Ollama."""

from __future__ import annotations

from pathlib import Path

import pytest

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import run_exec, write_config


@pytest.mark.parametrize(("args", "model"), [((), "gpt-oss:20b"), (("-m", "qwen3:8b"), "qwen3:8b")])
def test_oss_sends_the_local_default_model_unless_one_is_named(
    tmp_path: Path, args: tuple[str, ...], model: str
) -> None:
    home, ws = tmp_path / "home", tmp_path / "ws"
    ws.mkdir()
    with ScriptedModelServer([sc.turn(sc.message("local"), sc.completed())]) as srv:
        write_config(home, "http://127.0.0.1:9/v1")  # the configured provider is not asked
        run = run_exec(home, ws, "--oss", *args, "hi", env={"CODEX_OSS_BASE_URL": srv.base_url})
        assert run.code == 0, run.stderr
        [request] = srv.requests
    assert request.path.endswith("/chat/completions")
    assert request.body_json["model"] == model
    assert [m["text"] for m in run.items("agent_message")] == ["local"]
