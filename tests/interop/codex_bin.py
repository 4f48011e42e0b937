"""Locating the real Codex CLI (npm @openai/codex 0.169.0) and running it offline."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "npm"


def codex_binary() -> Path:
    """The Codex binary, or skip (fail in CI, which installs it)."""
    for candidate in (os.environ.get("PYCODEX_CODEX_BIN"), CACHE / "node_modules" / ".bin" / "codex"):
        if candidate and Path(candidate).exists():
            return Path(candidate)
    if os.environ.get("CI"):
        pytest.fail("the real Codex CLI is not installed; .ci/run installs @openai/codex@0.169.0")
    pytest.skip("the real Codex CLI is not installed (npm install @openai/codex@0.169.0)")


def codex_config(base_url: str) -> list[str]:
    """`--config` values for an offline run against the scripted server."""
    values = [
        "analytics.enabled=false", "features.plugins=false", "check_for_update_on_startup=false",
        'model_provider="mock"', 'model_providers.mock.name="mock"',
        f'model_providers.mock.base_url="{base_url}"', 'model_providers.mock.wire_api="responses"',
        'model_providers.mock.env_key="MOCK_API_KEY"', "model_providers.mock.request_max_retries=0",
        "model_providers.mock.stream_max_retries=0", "model_providers.mock.supports_websockets=false",
        "tools.update_plan.enabled=true",
    ]
    out: list[str] = []
    for v in values:
        out += ["--config", v]
    return out


def run_codex(codex_home: Path, ws: Path, base_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`codex exec --json ... ARGS` with its own CODEX_HOME."""
    codex_home.mkdir(parents=True, exist_ok=True)
    argv = [str(codex_binary()), "exec", "--json", "--skip-git-repo-check", "--model", "gpt-5.5",
            "--dangerously-bypass-approvals-and-sandbox", "-C", str(ws), *codex_config(base_url), *args]
    env = {**os.environ, "CODEX_HOME": str(codex_home), "MOCK_API_KEY": "k"}
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, check=False,
                          stdin=subprocess.DEVNULL)
