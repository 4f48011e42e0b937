"""pytest fixtures for the scripted model server (`pytest_plugins = ["pycodex.testing.fixtures"]`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from pycodex.testing.scenario import Turn
from pycodex.testing.server import ScriptedModelServer


@pytest.fixture
def model_server() -> Iterator[Callable[[list[Turn]], ScriptedModelServer]]:
    """A factory: `srv = model_server([turn(...)])`; every server is stopped at teardown."""
    started: list[ScriptedModelServer] = []

    def make(turns: list[Turn]) -> ScriptedModelServer:
        srv = ScriptedModelServer(turns).start()
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()
