"""Rollout files: writing, tolerant reading, the Codex corpus, forks, history, write failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pycodex.context.history import normalize_history
from pycodex.protocol import events as ev
from pycodex.protocol.models import (
    FunctionCall,
    FunctionCallOutput,
    Message,
    Reasoning,
    user_message,
)
from pycodex.protocol.rollout import SessionMeta
from pycodex.rollout.fork import fork_items
from pycodex.rollout.history import PromptHistory
from pycodex.rollout.items import RolloutItem
from pycodex.rollout.lookup import find_rollout_by_id, newest_rollout
from pycodex.rollout.reader import last_token_usage, load_rollout, reconstruct_history
from pycodex.rollout.recorder import RolloutRecorder, RolloutWriteError

CORPUS = Path(__file__).parent / "corpus"
META = SessionMeta(id="0199aaaa-bbbb-7ccc-8ddd-eeeeffff0000", timestamp="2026-01-01T00:00:00.000Z", cwd=Path("/w"))


async def _write(home: Path, items: list[RolloutItem]) -> Path:
    rec = await RolloutRecorder.create(home, META.id, META)
    await rec.record(items)
    await rec.shutdown()
    return rec.path


async def test_round_trip_and_persisted_subset(tmp_path: Path) -> None:
    items = [
        RolloutItem.from_response_item(user_message("hi")),
        RolloutItem.from_event(ev.AgentMessageDelta(delta="not kept")),
        RolloutItem.from_event(ev.AgentMessage(message="kept")),
        RolloutItem.from_response_item(FunctionCall(name="f", arguments="{}", call_id="c")),
    ]
    path = await _write(tmp_path, items)
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.parent.parent.parent.name == "sessions"
    loaded = load_rollout(path)
    assert loaded.meta is not None and loaded.meta.id == META.id
    assert [i.type for i in loaded.items] == ["response_item", "event_msg", "response_item"]
    line = json.loads(path.read_text().splitlines()[0])
    assert set(line) == {"timestamp", "type", "payload"} and line["timestamp"].endswith("Z")


async def test_torn_last_line_is_tolerated_and_repaired(tmp_path: Path) -> None:
    """Bad input tried: a crash mid-write left half a JSON line at the end of the file."""
    path = await _write(tmp_path, [RolloutItem.from_response_item(user_message("one"))])
    with path.open("ab") as f:
        f.write(b'{"timestamp": "2026", "type": "response_item", "payload": {"type": "mess')
    loaded = load_rollout(path)
    assert loaded.torn_tail and len(loaded.items) == 1
    rec = await RolloutRecorder.resume(path)
    await rec.record([RolloutItem.from_response_item(user_message("two"))])
    await rec.shutdown()
    again = load_rollout(path)
    assert not again.torn_tail and [i.payload.text() for i in again.items] == ["one", "two"]
    assert path.with_name(path.name + ".torn").read_bytes().startswith(b'{"timestamp"')


async def test_unknown_line_types_and_payloads_are_skipped(tmp_path: Path) -> None:
    """Bad input tried: line types and item types from a newer Codex, and garbage lines."""
    path = await _write(tmp_path, [RolloutItem.from_response_item(user_message("x"))])
    with path.open("a") as f:
        f.write('{"timestamp": "t", "type": "world_state", "payload": {"full": true}}\n')
        f.write('{"timestamp": "t", "type": "response_item", "payload": {"type": "ghost_snapshot"}}\n')
        f.write("not json at all\n")
    loaded = load_rollout(path)
    assert len(loaded.items) == 1 and loaded.skipped == 3


@pytest.mark.parametrize("name", sorted(p.name for p in (CORPUS / "codex-0.169").glob("*.jsonl")))
def test_codex_written_rollouts_load_and_rebuild_history(name: str) -> None:
    loaded = load_rollout(CORPUS / "codex-0.169" / name)
    assert loaded.meta is not None and loaded.meta.originator == "codex_exec"
    history = reconstruct_history(loaded.items, [])
    kinds = [type(i).__name__ for i in history]
    assert "Message" in kinds
    user_texts = [i.text() for i in history if isinstance(i, Message) and i.role == "user"]
    assert any(not t.startswith("<") for t in user_texts)
    assert normalize_history(history) == history or any(isinstance(i, FunctionCall) for i in history)
    assert last_token_usage(loaded.items) is not None


def test_codex_shell_rollout_has_call_output_pairs_in_order() -> None:
    loaded = load_rollout(CORPUS / "codex-0.169" / "b_shell_echo.rollout.jsonl")
    history = reconstruct_history(loaded.items, [])
    types = [type(i).__name__ for i in history]
    i = types.index("FunctionCall")
    assert types[i + 1] == "FunctionCallOutput" and isinstance(history[i - 1], Reasoning)


@pytest.mark.parametrize("version_dir", sorted(d.name for d in CORPUS.iterdir() if d.is_dir()))
def test_every_corpus_version_loads(version_dir: str) -> None:
    files = list((CORPUS / version_dir).glob("*.jsonl"))
    assert files
    for f in files:
        assert load_rollout(f).meta is not None


def test_compacted_entry_rebuilds_history() -> None:
    items = [RolloutItem.from_response_item(user_message("build a parser")),
             RolloutItem.from_response_item(Message(role="assistant", content=[])),
             RolloutItem.compacted("did half of it"),
             RolloutItem.from_response_item(user_message("continue"))]
    history = reconstruct_history(items, [user_message("<environment_context>x</environment_context>")])
    assert len(history) == 3
    bridge = history[1].text()  # type: ignore[union-attr]
    assert "build a parser" in bridge and "did half of it" in bridge


def test_missing_outputs_get_aborted() -> None:
    items = [RolloutItem.from_response_item(FunctionCall(name="exec_command", arguments="{}", call_id="c1"))]
    history = normalize_history(reconstruct_history(items, []))
    assert history[-1] == FunctionCallOutput(call_id="c1", output="aborted")


def test_fork_cuts_before_nth_user_message() -> None:
    items = [RolloutItem.from_response_item(user_message("<environment_context>e</environment_context>")),
             RolloutItem.from_response_item(user_message("first")),
             RolloutItem.from_response_item(user_message("second")),
             RolloutItem.from_response_item(user_message("third"))]
    assert [i.payload.text() for i in fork_items(items, 1)] == ["<environment_context>e</environment_context>", "first"]
    assert len(fork_items(items, 9)) == 4


async def test_lookup_by_id_prefix_and_newest(tmp_path: Path) -> None:
    path = await _write(tmp_path, [])
    assert find_rollout_by_id(tmp_path, META.id) == path
    assert find_rollout_by_id(tmp_path, META.id[:13]) == path
    assert find_rollout_by_id(tmp_path, "nope") is None
    assert newest_rollout(tmp_path) == path


async def test_write_failure_is_a_clear_error(tmp_path: Path) -> None:
    """Bad input tried: the disk is full (writes to /dev/full fail with ENOSPC)."""
    rec = await RolloutRecorder.create(tmp_path, META.id, META)
    os.dup2(os.open("/dev/full", os.O_WRONLY), rec._fd)  # the file descriptor now hits a full disk
    with pytest.raises(RolloutWriteError, match="No space left"):
        await rec.record([RolloutItem.from_response_item(user_message("lost?"))])
    with pytest.raises(RolloutWriteError):
        await rec.record([RolloutItem.from_response_item(user_message("again"))])


async def test_unwritable_sessions_dir_is_a_clear_error(tmp_path: Path) -> None:
    """Bad input tried: PYCODEX_HOME/sessions is a file, so no rollout can be created."""
    (tmp_path / "sessions").write_text("not a directory")
    with pytest.raises(RolloutWriteError, match="cannot open rollout file"):
        await RolloutRecorder.create(tmp_path, META.id, META)


def test_concurrent_history_appends_lose_nothing(tmp_path: Path) -> None:
    code = ("import sys; from pathlib import Path; from pycodex.rollout.history import PromptHistory\n"
            "h = PromptHistory(Path(sys.argv[1]))\n"
            "[h.append_sync(sys.argv[2], f'{sys.argv[2]}-{i}') for i in range(50)]")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path), f"p{n}"]) for n in range(4)]
    assert all(p.wait() == 0 for p in procs)
    lines = (tmp_path / "history.jsonl").read_text().splitlines()
    assert len(lines) == 200 and len({json.loads(x)["text"] for x in lines}) == 200
    log_id, count = PromptHistory(tmp_path).metadata_sync()
    assert count == 200 and PromptHistory(tmp_path).lookup_sync(log_id, 0) is not None


def test_history_max_bytes_drops_oldest(tmp_path: Path) -> None:
    h = PromptHistory(tmp_path, max_bytes=400)
    for i in range(20):
        h.append_sync("s", f"entry {i}")
    text = (tmp_path / "history.jsonl").read_text()
    assert len(text) <= 400 and "entry 19" in text and "entry 0\"" not in text
    PromptHistory(tmp_path / "none", persistence="none").append_sync("s", "x")
    assert not (tmp_path / "none" / "history.jsonl").exists()
