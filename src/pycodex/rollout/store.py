"""The session index: SQLite (WAL) beside the rollout files, which stay the truth."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pycodex.context.environment import is_context_message
from pycodex.rollout.lookup import iter_rollouts_newest_first
from pycodex.rollout.paths import sessions_dir

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    thread_id TEXT PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    cwd TEXT,
    created TEXT,
    updated REAL NOT NULL,
    model TEXT,
    provider TEXT,
    first_user_message TEXT,
    input_tokens INTEGER DEFAULT 0,
    output_tokens INTEGER DEFAULT 0,
    size INTEGER DEFAULT 0
);
CREATE INDEX IF NOT EXISTS sessions_updated ON sessions(updated DESC, thread_id DESC);
CREATE INDEX IF NOT EXISTS sessions_cwd ON sessions(cwd);
CREATE VIRTUAL TABLE IF NOT EXISTS messages USING fts5(thread_id UNINDEXED, text);
"""


@dataclass
class SessionRow:
    """One indexed session."""

    thread_id: str
    path: str
    cwd: str | None
    created: str | None
    updated: float
    model: str | None
    provider: str | None
    first_user_message: str | None
    input_tokens: int
    output_tokens: int

    def to_json(self) -> dict[str, Any]:
        """The row as a JSON object."""
        return dict(self.__dict__)


@dataclass
class Page:
    """A page of sessions, newest first; `next_cursor` fetches the next one."""

    items: list[SessionRow]
    next_cursor: str | None


def _encode_cursor(row: SessionRow) -> str:
    return base64.urlsafe_b64encode(f"{row.updated!r}|{row.thread_id}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[float, str]:
    try:
        updated, thread_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return float(updated), thread_id
    except (ValueError, UnicodeDecodeError) as e:
        raise ValueError(f"invalid cursor {cursor!r}") from e


class SessionStore:
    """Index of every rollout under `$PYCODEX_HOME/sessions`; rebuilt from the files when needed."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.path = sessions_dir(home) / "index.sqlite"
        self._db: sqlite3.Connection | None = None

    # ---- connection ----------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        if self._db is not None:
            return self._db
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = self._open()
        except sqlite3.OperationalError:
            raise  # busy or locked: another process is working, not corruption
        except sqlite3.DatabaseError:
            # A corrupt index is moved aside and rebuilt: the files are the truth.
            with contextlib.suppress(OSError):
                os.replace(self.path, self.path.with_suffix(f".corrupt-{int(time.time())}"))
            for suffix in ("-wal", "-shm"):
                with contextlib.suppress(OSError):
                    os.unlink(str(self.path) + suffix)
            db = self._open()
        self._db = db
        return db

    def _open(self) -> sqlite3.Connection:
        # Another process may be creating or writing the index: retry while it is locked
        # (switching to WAL does not wait on the busy handler).
        deadline = time.monotonic() + 15
        while True:
            try:
                return self._open_once()
            except sqlite3.OperationalError as e:
                if ("locked" not in str(e) and "busy" not in str(e)) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _open_once(self) -> sqlite3.Connection:
        # Used from worker threads one at a time (the session awaits each call).
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA busy_timeout=10000")
            # The index is a cache of the files: no fsync per commit (WAL keeps it consistent).
            db.execute("PRAGMA synchronous=NORMAL")
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)
            db.execute("SELECT count(*) FROM sessions").fetchone()  # fails on a corrupt file
        except BaseException:
            db.close()
            raise
        return db

    def close(self) -> None:
        """Close the database."""
        if self._db is not None:
            self._db.close()
            self._db = None

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    # ---- indexing ------------------------------------------------------------------------
    def upsert_from_rollout(self, path: Path) -> None:
        """Index a rollout file (re-reading it only if it changed)."""
        try:
            size = path.stat().st_size
        except OSError:
            return
        db = self._connect()
        row = db.execute("SELECT size FROM sessions WHERE path = ?", (str(path),)).fetchone()
        if row is not None and row[0] == size:
            return
        info = _summarise(path)
        if info is None:
            return
        with self._tx() as tx:
            tx.execute(
                "INSERT INTO sessions(thread_id, path, cwd, created, updated, model, provider, "
                "first_user_message, input_tokens, output_tokens, size) VALUES (?,?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT(thread_id) DO UPDATE SET path=excluded.path, cwd=excluded.cwd, "
                "updated=excluded.updated, model=excluded.model, provider=excluded.provider, "
                "first_user_message=coalesce(sessions.first_user_message, excluded.first_user_message), "
                "input_tokens=excluded.input_tokens, output_tokens=excluded.output_tokens, size=excluded.size",
                (info["thread_id"], str(path), info["cwd"], info["created"], path.stat().st_mtime,
                 info["model"], info["provider"], info["first"], info["in"], info["out"], size),
            )
            tx.execute("DELETE FROM messages WHERE thread_id = ?", (info["thread_id"],))
            tx.execute("INSERT INTO messages(thread_id, text) VALUES (?, ?)",
                       (info["thread_id"], "\n".join(info["texts"])))

    def refresh(self) -> None:
        """Pick up new or grown rollout files (a stat per file; parses only what changed)."""
        db = self._connect()
        known = dict(db.execute("SELECT path, size FROM sessions").fetchall())
        for path in iter_rollouts_newest_first(self.home):
            try:
                size = path.stat().st_size
            except OSError:
                continue
            if known.get(str(path)) != size:
                self.upsert_from_rollout(path)

    def rebuild(self) -> None:
        """Drop the index and rebuild it from the files."""
        with self._tx() as tx:
            tx.execute("DELETE FROM sessions")
            tx.execute("DELETE FROM messages")
        self.refresh()

    # ---- queries -------------------------------------------------------------------------
    def list(self, cwd: Path | None = None, search: str | None = None, limit: int = 50,
             cursor: str | None = None, refresh: bool = True) -> Page:
        """Sessions newest first, optionally by cwd or full-text search, paginated."""
        if refresh:
            self.refresh()
        where: list[str] = []
        params: list[Any] = []
        if cwd is not None:
            where.append("s.cwd = ?")
            params.append(str(cwd))
        if search:
            where.append("s.thread_id IN (SELECT thread_id FROM messages WHERE messages MATCH ?)")
            params.append(_fts_query(search))
        if cursor:
            updated, tid = _decode_cursor(cursor)
            where.append("(s.updated < ? OR (s.updated = ? AND s.thread_id < ?))")
            params += [updated, updated, tid]
        sql = ("SELECT thread_id, path, cwd, created, updated, model, provider, first_user_message, "
               "input_tokens, output_tokens FROM sessions s")
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY s.updated DESC, s.thread_id DESC LIMIT ?"
        rows = [SessionRow(*r) for r in self._connect().execute(sql, [*params, limit + 1]).fetchall()]
        more = len(rows) > limit
        rows = rows[:limit]
        return Page(rows, _encode_cursor(rows[-1]) if more and rows else None)

    def find(self, thread_id_or_prefix: str) -> Path | None:
        """The rollout of a thread id (or unique prefix)."""
        db = self._connect()
        rows = db.execute("SELECT path FROM sessions WHERE thread_id LIKE ? LIMIT 2",
                          (thread_id_or_prefix.replace("%", "") + "%",)).fetchall()
        return Path(rows[0][0]) if len(rows) == 1 else None


def _fts_query(text: str) -> str:
    # Every word must appear; quoted so FTS syntax in user text is taken literally.
    words = [w.replace('"', '""') for w in text.split() if w]
    return " ".join(f'"{w}"' for w in words) or '""'


def _summarise(path: Path) -> dict[str, Any] | None:
    """What the index keeps of one file (a streaming pass: JSON per line, no models)."""
    info: dict[str, Any] = {"thread_id": None, "cwd": None, "created": None, "model": None,
                            "provider": None, "first": None, "in": 0, "out": 0, "texts": []}
    try:
        f = path.open("rb")
    except OSError:
        return None
    with f:
        for raw in f:
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            kind, p = line.get("type"), line.get("payload") or {}
            if kind == "session_meta" and info["thread_id"] is None:
                info.update(thread_id=p.get("id"), cwd=p.get("cwd"), created=p.get("timestamp"),
                            provider=p.get("model_provider"), model=p.get("model"))
            elif kind == "turn_context":
                info["model"] = p.get("model") or info["model"]
            elif kind == "event_msg" and p.get("type") == "token_count" and p.get("info"):
                total = p["info"].get("total_token_usage") or {}
                info["in"], info["out"] = total.get("input_tokens", 0), total.get("output_tokens", 0)
            elif kind == "response_item" and p.get("type") == "message":
                text = "".join(c.get("text", "") for c in p.get("content") or [] if isinstance(c, dict))
                if p.get("role") == "user" and not is_context_message(text):
                    info["first"] = info["first"] or text[:500]
                    info["texts"].append(text)
                elif p.get("role") == "assistant":
                    info["texts"].append(text)
    return info if info["thread_id"] else None
