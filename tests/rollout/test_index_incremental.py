"""The session index reads only what was appended to a rollout since its last pass."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

from pycodex.rollout.store import SessionRow, SessionStore

TID = "0199cccc-0000-7000-8000-000000000000"
LINE = '{{"timestamp": "2026-01-01T00:00:00.000Z", "type": "{t}", "payload": {p}}}\n'


def _turn(i: int, word: str = "") -> str:
    user = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": f"question {i} {word}"}]}
    out = {"type": "function_call_output", "call_id": f"c{i}", "output": "o" * 150}
    ans = {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": f"answer {i}"}]}
    usage = {"input_tokens": 10 * i, "output_tokens": i, "cached_input_tokens": 0,
             "reasoning_output_tokens": 0, "total_tokens": 11 * i}
    tok = {"type": "token_count", "info": {"total_token_usage": usage, "last_token_usage": usage}}
    tc = {"cwd": "/w", "approval_policy": "never", "sandbox_policy": {"type": "read-only"},
          "model": f"model-{i}", "summary": "auto"}
    return "".join([LINE.format(t="turn_context", p=json.dumps(tc)),
                    LINE.format(t="response_item", p=json.dumps(user)),
                    LINE.format(t="response_item", p=json.dumps(out)),
                    LINE.format(t="response_item", p=json.dumps(ans)),
                    LINE.format(t="event_msg", p=json.dumps(tok))])


def _rollout(home: Path, turns: int, first_word: str = "alpha", tid: str = TID) -> Path:
    day = home / "sessions" / "2026" / "01" / "01"
    day.mkdir(parents=True, exist_ok=True)
    path = day / f"rollout-2026-01-01T00-00-00-{tid}.jsonl"
    meta = json.dumps({"id": tid, "timestamp": "2026-01-01T00:00:00Z", "cwd": "/w", "model": "gpt-5.5"})
    with path.open("w") as f:
        f.write(LINE.format(t="session_meta", p=meta))
        f.write(_turn(0, first_word))
        for i in range(1, turns):
            f.write(_turn(i))
    return path


def _bytes_read() -> int:
    """Bytes this process has read through read syscalls so far (files and SQLite alike)."""
    with open("/proc/self/io") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("rchar:"))


def _row(store: SessionStore) -> SessionRow:
    rows = store.list(refresh=False).items
    assert len(rows) == 1
    return rows[0]


def test_per_turn_update_reads_only_the_appended_bytes(tmp_path: Path) -> None:
    # Measured: bytes read by this process (/proc/self/io rchar) during each update.
    path = _rollout(tmp_path, 4000)  # 20,001 lines
    assert sum(1 for _ in path.open()) == 20_001
    store = SessionStore(tmp_path)
    store.upsert_from_rollout(path)
    full = path.stat().st_size
    for i in range(4000, 4003):
        turn = _turn(i, word=f"zebra{i}")
        with path.open("a") as f:
            f.write(turn)
        before = _bytes_read()
        store.upsert_from_rollout(path)
        spent = _bytes_read() - before
        assert spent < 16 * len(turn) + 64 * 1024 < full // 10, (spent, len(turn), full)
    # A line caught half-written is left for the next pass, which reads it whole.
    last = _turn(4003, word="yak")
    with path.open("a") as f:
        f.write(last[:-40])
    store.upsert_from_rollout(path)
    assert _row(store).input_tokens == 40020  # the cut token_count line is not counted yet
    with path.open("a") as f:
        f.write(last[-40:])
    store.upsert_from_rollout(path)
    row = _row(store)
    assert (row.model, row.input_tokens, row.output_tokens) == ("model-4003", 40030, 4003)
    assert row.first_user_message == "question 0 alpha"
    # Words from different passes still match together; the row equals a full re-read's.
    assert [r.thread_id for r in store.list(search="alpha zebra4001 yak", refresh=False).items] == [TID]
    store.rebuild()
    assert _row(store) == row


def test_a_file_replaced_by_one_of_the_same_size_is_read_again(tmp_path: Path) -> None:
    """Bad input tried: the rollout is replaced (renamed over) by a different file of equal size."""
    path = _rollout(tmp_path, 3, first_word="alpha")
    store = SessionStore(tmp_path)
    store.upsert_from_rollout(path)
    other = _rollout(tmp_path / "other", 3, first_word="omega")
    assert other.stat().st_size == path.stat().st_size
    os.replace(other, path)
    store.upsert_from_rollout(path)
    assert _row(store).first_user_message == "question 0 omega"
    assert store.list(search="alpha", refresh=False).items == []


def test_a_file_that_shrank_is_read_again_from_the_start(tmp_path: Path) -> None:
    """Bad input tried: the rollout is rewritten in place, shorter (same inode, fewer bytes)."""
    path = _rollout(tmp_path, 5, first_word="alpha")
    store = SessionStore(tmp_path)
    store.upsert_from_rollout(path)
    ino = path.stat().st_ino
    shorter = _rollout(tmp_path / "other", 2, first_word="omega").read_bytes()
    with path.open("r+b") as f:
        f.write(shorter)
        f.truncate()
    assert path.stat().st_ino == ino
    store.upsert_from_rollout(path)
    row = _row(store)
    assert (row.first_user_message, row.model, row.input_tokens) == ("question 0 omega", "model-1", 10)
    assert store.list(search="alpha", refresh=False).items == []


def test_an_index_of_the_previous_schema_is_rebuilt(tmp_path: Path) -> None:
    """Bad input tried: an index written by the previous version (no read offsets in its table)."""
    path = _rollout(tmp_path, 2)
    db = sqlite3.connect(tmp_path / "sessions" / "index.sqlite")
    db.executescript(
        "CREATE TABLE sessions (thread_id TEXT PRIMARY KEY, path TEXT NOT NULL UNIQUE, cwd TEXT, "
        "created TEXT, updated REAL NOT NULL, model TEXT, provider TEXT, first_user_message TEXT, "
        "input_tokens INTEGER DEFAULT 0, output_tokens INTEGER DEFAULT 0, size INTEGER DEFAULT 0);"
        "CREATE VIRTUAL TABLE messages USING fts5(thread_id UNINDEXED, text);"
    )
    db.execute("INSERT INTO sessions VALUES (?, ?, '/w', 't', 1, 'stale', NULL, 'stale', 0, 0, 1)",
               (TID, str(path)))
    db.commit()
    db.close()
    store = SessionStore(tmp_path)
    store.refresh()
    row = _row(store)
    assert (row.model, row.first_user_message) == ("model-1", "question 0 alpha")
    with path.open("a") as f:
        f.write(_turn(2))
    store.upsert_from_rollout(path)
    assert _row(store).model == "model-2"
