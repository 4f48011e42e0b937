"""What the user reads when the provider refuses the key or cannot be reached at all."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from pycodex.model import events as me
from pycodex.model.client import ModelClient
from pycodex.model.errors import ApiError, RetryableStreamError
from pycodex.model.prompt import ModelSettings
from pycodex.model.providers import ModelProviderInfo
from pycodex.protocol.events import CodexErrorInfo
from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.model.support import client, prompt

WRONG_KEY = json.dumps({"error": {"message": "Incorrect API key provided: sk-wrong.", "type": "invalid_request_error",
                                  "code": "invalid_api_key"}})


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def _config(home: Path, base_url: str, request_max_retries: int = 0, stream_max_retries: int = 0) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        'model = "gpt-5.5"\nmodel_provider = "mock"\n[model_providers.mock]\nname = "mock"\n'
        f'base_url = "{base_url}"\nwire_api = "responses"\nenv_key = "MOCK_API_KEY"\n'
        f"request_max_retries = {request_max_retries}\nstream_max_retries = {stream_max_retries}\n"
    )


def _exec(home: Path, ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYCODEX_HOME": str(home), "MOCK_API_KEY": "sk-wrong"}
    return subprocess.run(
        [sys.executable, "-m", "pycodex.cli.main", "exec", "--skip-git-repo-check", "--ephemeral",
         "-C", str(ws), *args, "hi"],
        capture_output=True, text=True, env=env, check=False, timeout=120,
    )


@pytest.mark.parametrize(("status", "word"), [(401, "unauthorized"), (403, "forbidden")])
async def test_401_and_403_name_the_provider_its_url_and_the_key_variable(status: int, word: str) -> None:
    """Bad input tried: a key the provider rejects (401 with Codex's JSON error body, and 403)."""
    with ScriptedModelServer([sc.http_error(status, WRONG_KEY), sc.http_error(status, WRONG_KEY)]) as srv:
        c = client(srv, request_max_retries=3)
        with pytest.raises(ApiError) as ei:
            async for _ in c.stream(prompt()):
                pass
        await c.aclose()
    assert str(ei.value) == (
        f"{word} ({status}) from provider scripted at {srv.base_url}: check the key in SCRIPTED_KEY "
        "(the server said: Incorrect API key provided: sk-wrong.)"
    )
    assert ei.value.error_info == CodexErrorInfo.UNAUTHORIZED and len(srv.requests) == 1


def test_exec_prints_the_401_on_one_line_and_exits_1(tmp_path: Path) -> None:
    """Bad input tried: `pycodex exec` with a key the provider answers 401 to (human and --json)."""
    expected_tail = "check the key in MOCK_API_KEY (the server said: Incorrect API key provided: sk-wrong.)"
    with ScriptedModelServer([sc.http_error(401, WRONG_KEY), sc.http_error(401, WRONG_KEY)]) as srv:
        _config(tmp_path / "home", srv.base_url)
        human = _exec(tmp_path / "home", tmp_path)
        as_json = _exec(tmp_path / "home", tmp_path, "--json")
    expected = f"unauthorized (401) from provider mock at {srv.base_url}: {expected_tail}"
    assert human.returncode == 1 and "Traceback" not in human.stderr
    mentioning = [line for line in (human.stdout + human.stderr).splitlines() if "Incorrect API key" in line]
    assert mentioning == [f"error {expected}"]
    assert as_json.returncode == 1
    last = json.loads(as_json.stdout.splitlines()[-1])
    assert last == {"type": "turn.failed", "error": {"message": expected}}


async def test_connection_refused_announces_each_retry_before_waiting() -> None:
    """Bad input tried: a provider URL with nothing listening (connection refused)."""
    port = _closed_port()
    provider = ModelProviderInfo(name="down", base_url=f"http://127.0.0.1:{port}/v1", wire_api="responses",
                                 request_max_retries=2)
    c = ModelClient(provider, ModelSettings(model="gpt-5.5"), "conv-1", env={})
    seen: list[me.ResponseEvent] = []
    with pytest.raises(RetryableStreamError) as ei:
        async for ev in c.stream(prompt()):
            seen.append(ev)
    await c.aclose()
    assert [(e.retry, e.max_retries) for e in seen if isinstance(e, me.Retrying)] == [(1, 2), (2, 2)]
    assert all(isinstance(e, me.Retrying) and "Connection refused" in e.error and e.delay > 0 for e in seen)
    assert "Connection refused" in str(ei.value) and f"127.0.0.1:{port}" in str(ei.value)


def test_exec_shows_every_reconnect_and_the_total_when_it_gives_up(tmp_path: Path) -> None:
    """Bad input tried: `pycodex exec` against a closed port, 2 request retries × 1 stream retry."""
    port = _closed_port()
    _config(tmp_path / "home", f"http://127.0.0.1:{port}/v1", request_max_retries=2, stream_max_retries=1)
    run = _exec(tmp_path / "home", tmp_path, "--json")
    assert run.returncode == 1
    events = [json.loads(line) for line in run.stdout.splitlines()]
    retries = [e["message"] for e in events if e["type"] == "error"][:-1]
    # 6 attempts: 3 requests (1 + 2 retries) per stream attempt, 2 stream attempts → 5 retries.
    assert [re.search(r"retrying (\d/\d)", m).group(1) for m in retries] == [  # type: ignore[union-attr]
        "1/2", "2/2", "1/1", "1/2", "2/2"]
    assert all("Connection refused" in m for m in retries)
    assert [m.startswith("stream error:") for m in retries] == [False, False, True, False, False]
    spent = [float(re.search(r"\((\d+\.\d)s since the first attempt\)", m).group(1)) for m in retries]  # type: ignore[union-attr]
    assert spent == sorted(spent) and spent[-1] >= 0.5  # backoffs 0.2 + 0.4 + 0.2 + 0.2 s before the last
    final = events[-1]
    assert final["type"] == "turn.failed"
    assert re.search(r"Connection refused\) \(gave up after 6 attempts over \d+\.\ds\)$", final["error"]["message"])
