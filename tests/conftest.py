"""Shared fixtures: the scripted model server plugin and an isolated PYCODEX_HOME."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["pycodex.testing.fixtures"]


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own PYCODEX_HOME, never the developer's."""
    home = tmp_path_factory.mktemp("pycodex-home")
    monkeypatch.setenv("PYCODEX_HOME", str(home))
    yield home
