"""Shared fixtures for the safety tests."""

from __future__ import annotations

import pytest

from pycodex.exec.sandbox.select import detect_backend


@pytest.fixture(params=["bwrap", "landlock"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test runs once per sandbox backend (skipped where that backend cannot run)."""
    monkeypatch.setenv("PYCODEX_SANDBOX_BACKEND", request.param)
    if detect_backend() != request.param:
        pytest.skip(f"{request.param} cannot run here")
    return str(request.param)
