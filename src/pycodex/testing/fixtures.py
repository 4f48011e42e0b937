"""pytest fixtures for the scripted model server (`pytest_plugins = ["pycodex.testing.fixtures"]`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import pytest

from pycodex.testing.scenario import Turn
from pycodex.testing.server import ScriptedModelServer


class ModelServerFactory(Protocol):
    """`model_server(turns, repeat=False)` → a started server."""

    def __call__(self, turns: list[Turn], *, repeat: bool = False) -> ScriptedModelServer: ...


@pytest.fixture
def model_server() -> Iterator[ModelServerFactory]:
    """A factory: `srv = model_server([turn(...)])`; every server is stopped at teardown."""
    started: list[ScriptedModelServer] = []

    def make(turns: list[Turn], *, repeat: bool = False) -> ScriptedModelServer:
        srv = ScriptedModelServer(turns, repeat=repeat).start()
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()
