"""Fixtures: Codex's v2 schema (generated once by the real Codex CLI)."""

from __future__ import annotations

import pytest

from tests.app_server.schema import V2Schema


@pytest.fixture(scope="session")
def v2schema(tmp_path_factory: pytest.TempPathFactory) -> V2Schema:
    """Validators built from `codex app-server generate-json-schema`."""
    return V2Schema(tmp_path_factory.mktemp("codex-v2-schema"))
