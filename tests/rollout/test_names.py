"""Thread names (`session_index.jsonl`): private, never written through a link, and a name with
a lone surrogate (bad input from a client) is stored, not an encoding error."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pycodex.rollout.names import NAMES_FILE, set_thread_name, thread_names


def test_names_are_private_and_the_last_one_wins(tmp_path: Path) -> None:
    set_thread_name(tmp_path, "t1", "first")
    set_thread_name(tmp_path, "t1", "second \ud800")
    assert stat.S_IMODE((tmp_path / NAMES_FILE).stat().st_mode) == 0o600
    assert thread_names(tmp_path) == {"t1": "second \ufffd"}


def test_a_link_in_its_place_is_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    os.symlink(victim, tmp_path / NAMES_FILE)
    with pytest.raises(OSError):
        set_thread_name(tmp_path, "t1", "x")
    assert victim.read_text() == "precious\n"
