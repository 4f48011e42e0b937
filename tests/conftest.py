"""Shared fixtures: the scripted model server plugin and an isolated PYCODEX_HOME."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["pycodex.testing.fixtures"]


def pytest_configure(config: pytest.Config) -> None:
    """The processes tests start read an empty stdin unless a test gives them one.

    `pycodex exec PROMPT` appends piped stdin to the prompt, as Codex does, so it waits for
    the end of its stdin: a runner started with an open pipe there (some CI systems) would
    hang every test that runs exec without its own stdin.
    """
    if not os.isatty(0):
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own PYCODEX_HOME, never the developer's."""
    home = tmp_path_factory.mktemp("pycodex-home")
    monkeypatch.setenv("PYCODEX_HOME", str(home))
    yield home
