"""The session index: SQLite (WAL) beside the rollout files, which stay the truth."""

from __future__ import annotations

import base64
import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from pycodex.rollout.lookup import iter_rollouts_newest_first
from pycodex.rollout.paths import sessions_dir
from pycodex.rollout.summary import RolloutSummary
from pycodex.rollout.validate import MAX_FIRST_LINE, head_problem

# Bumped when the tables change: an index of another version is dropped and rebuilt from the files.
SCHEMA_VERSION = 3
SCHEMA = [
    """
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
    size INTEGER DEFAULT 0,
    dev INTEGER DEFAULT 0,
    ino INTEGER DEFAULT 0,
    read_offset INTEGER DEFAULT 0
)""",
    "CREATE INDEX IF NOT EXISTS sessions_updated ON sessions(updated DESC, thread_id DESC)",
    "CREATE INDEX IF NOT EXISTS sessions_cwd ON sessions(cwd)",
    # One row per indexing pass of a session: appends add rows, they never rewrite old ones.
    # Trigrams, not words: Japanese or Chinese text has no spaces to split words at.
    "CREATE VIRTUAL TABLE IF NOT EXISTS messages USING fts5(thread_id UNINDEXED, text, tokenize='trigram')",
]


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
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # files that are not rollouts


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
        _make_private(self.path)
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA busy_timeout=10000")
            # The index is a cache of the files: no fsync per commit (WAL keeps it consistent).
            db.execute("PRAGMA synchronous=NORMAL")
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                _migrate(db)
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
    def upsert_from_rollout(self, path: Path) -> str | None:
        """Index a rollout file, reading only the lines appended since the last pass; returns
        why the file is not a rollout, if it is not (it is then left out of the index)."""
        try:
            st = path.stat()
        except OSError:
            return None
        db = self._connect()
        row = db.execute(
            "SELECT thread_id, cwd, created, model, provider, first_user_message, input_tokens, "
            "output_tokens, size, dev, ino, read_offset FROM sessions WHERE path = ?", (str(path),),
        ).fetchone()
        if row is not None and (row[8], row[9], row[10]) == (st.st_size, st.st_dev, st.st_ino):
            return None
        known = None
        if row is not None:
            known = _Known(RolloutSummary(*row[:8]), dev=row[9], ino=row[10], offset=row[11])
        try:
            scan = _scan(path, known)
        except OSError as e:
            return f"it cannot be read ({e.strerror or e})"
        info = scan.summary
        if scan.problem is not None or info.thread_id is None:
            if row is not None:  # it was a rollout once: its row no longer describes the file
                with self._tx() as tx:
                    tx.execute("DELETE FROM messages WHERE thread_id = ?", (row[0],))
                    tx.execute("DELETE FROM sessions WHERE path = ?", (str(path),))
            return scan.problem
        with self._tx() as tx:
            now = tx.execute("SELECT ino, read_offset FROM sessions WHERE path = ?", (str(path),)).fetchone()
            if now != (None if known is None else (known.ino, known.offset)):
                return None  # another process indexed this file meanwhile: its pass covers ours
            if scan.start == 0:
                # A first or full pass: whatever this path or thread held before is replaced.
                old = tx.execute("SELECT thread_id FROM sessions WHERE path = ?", (str(path),)).fetchone()
                for tid in {info.thread_id, *(old or ())}:
                    tx.execute("DELETE FROM messages WHERE thread_id = ?", (tid,))
                tx.execute("DELETE FROM sessions WHERE path = ? AND thread_id != ?", (str(path), info.thread_id))
            tx.execute(
                "INSERT INTO sessions(thread_id, path, cwd, created, updated, model, provider, "
                "first_user_message, input_tokens, output_tokens, size, dev, ino, read_offset) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT(thread_id) DO UPDATE SET path=excluded.path, cwd=excluded.cwd, "
                "created=excluded.created, updated=excluded.updated, model=excluded.model, "
                "provider=excluded.provider, first_user_message=excluded.first_user_message, "
                "input_tokens=excluded.input_tokens, output_tokens=excluded.output_tokens, "
                "size=excluded.size, dev=excluded.dev, ino=excluded.ino, read_offset=excluded.read_offset",
                (info.thread_id, str(path), info.cwd, info.created, scan.mtime, info.model,
                 info.provider, info.first_user_message, info.input_tokens, info.output_tokens,
                 scan.size, scan.dev, scan.ino, scan.end),
            )
            if info.texts:
                tx.execute("INSERT INTO messages(thread_id, text) VALUES (?, ?)",
                           (info.thread_id, "\n".join(info.texts)))
        return None

    def refresh(self) -> list[tuple[Path, str]]:
        """Pick up new or grown rollout files (a stat per file; parses only what changed);
        returns the files left out because they are not rollouts, with the reason."""
        db = self._connect()
        known = dict(db.execute("SELECT path, size FROM sessions").fetchall())
        skipped: list[tuple[Path, str]] = []
        for path in iter_rollouts_newest_first(self.home):
            try:
                size = path.stat().st_size
            except OSError:
                continue
            if known.get(str(path)) != size:
                problem = self.upsert_from_rollout(path)
                if problem is not None:
                    skipped.append((path, problem))
        return skipped

    def rebuild(self) -> list[tuple[Path, str]]:
        """Drop the index and rebuild it from the files (returns the files left out)."""
        with self._tx() as tx:
            tx.execute("DELETE FROM sessions")
            tx.execute("DELETE FROM messages")
        return self.refresh()

    # ---- queries -------------------------------------------------------------------------
    def list(self, cwd: Path | None = None, search: str | None = None, limit: int = 50,
             cursor: str | None = None, refresh: bool = True) -> Page:
        """Sessions newest first, optionally by cwd or full-text search, paginated."""
        skipped = self.refresh() if refresh else []
        where: list[str] = []
        params: list[Any] = []
        if cwd is not None:
            where.append("s.cwd = ?")
            params.append(str(cwd))
        # Each word may be in a different pass's row: every word must match some row of the thread.
        for word in (search or "").split():
            if len(word) >= 3:
                where.append("s.thread_id IN (SELECT thread_id FROM messages WHERE messages MATCH ?)")
                params.append(_fts_phrase(word))
            else:  # shorter than a trigram (a two-character Chinese word): a scan
                where.append("s.thread_id IN (SELECT thread_id FROM messages WHERE instr(lower(text), ?))")
                params.append(word.lower())
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
        return Page(rows, _encode_cursor(rows[-1]) if more and rows else None, skipped)

    def forget(self, path: Path) -> None:
        """Drop a file's row (it was moved away, e.g. archived)."""
        with self._tx() as tx:
            row = tx.execute("SELECT thread_id FROM sessions WHERE path = ?", (str(path),)).fetchone()
            if row is not None:
                tx.execute("DELETE FROM messages WHERE thread_id = ?", (row[0],))
                tx.execute("DELETE FROM sessions WHERE path = ?", (str(path),))

    def find(self, thread_id_or_prefix: str) -> Path | None:
        """The rollout of a thread id (or unique prefix)."""
        db = self._connect()
        rows = db.execute("SELECT path FROM sessions WHERE thread_id LIKE ? LIMIT 2",
                          (thread_id_or_prefix.replace("%", "") + "%",)).fetchall()
        return Path(rows[0][0]) if len(rows) == 1 else None


def _fts_phrase(word: str) -> str:
    # Quoted so FTS syntax in user text is taken literally.
    return '"' + word.replace('"', '""') + '"'


def _migrate(db: sqlite3.Connection) -> None:
    """Create the tables, dropping those of another schema version (the files are the truth)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            db.execute("DROP TABLE IF EXISTS sessions")
            db.execute("DROP TABLE IF EXISTS messages")
            for statement in SCHEMA:
                db.execute(statement)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


@dataclass
class _Known:
    """What the index already read of a file: its summary so far, its identity, where it stopped."""

    summary: RolloutSummary
    dev: int
    ino: int
    offset: int


@dataclass
class _Scan:
    """One pass over a file: the summary, the byte range of whole lines read, and the file's state."""

    summary: RolloutSummary
    start: int
    end: int
    size: int
    dev: int
    ino: int
    mtime: float
    problem: str | None = None  # why the file is not a rollout


def _scan(path: Path, known: _Known | None) -> _Scan:
    """Read the whole lines after `known.offset` if the file only grew since, else all of it
    (after checking that its first line makes it a rollout)."""
    with path.open("rb") as f:
        st = os.fstat(f.fileno())
        scan = _Scan(RolloutSummary(), 0, 0, st.st_size, st.st_dev, st.st_ino, st.st_mtime)
        if known is not None and _only_appended(f, st, known):
            scan.start = scan.end = known.offset
            scan.summary = known.summary
            f.seek(known.offset)
        else:
            head = f.readline(MAX_FIRST_LINE)
            scan.problem = head_problem(head)
            if scan.problem is not None:
                return scan
            scan.end = len(head)
            scan.summary.fold_raw(head)
        for raw in f:
            if not raw.endswith(b"\n"):
                break  # a line still being written: read it whole next time
            scan.end += len(raw)
            scan.summary.fold_raw(raw)
        scan.size = max(f.tell(), st.st_size)
    return scan


def _only_appended(f: BinaryIO, st: os.stat_result, known: _Known) -> bool:
    """Same file, not shorter, and a line ended where the last pass stopped."""
    if (st.st_dev, st.st_ino) != (known.dev, known.ino) or st.st_size < known.offset:
        return False
    if known.offset == 0:
        return True
    f.seek(known.offset - 1)
    return f.read(1) == b"\n"


def _make_private(path: Path) -> None:
    """Create the index file readable by its owner only (it holds every user message, as the
    0600 rollouts do; SQLite gives its -wal and -shm files the same mode), and tighten one an
    older run left open to others."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        return  # not ours to create: SQLite reports what is wrong
    try:
        if os.fstat(fd).st_mode & 0o077:
            with contextlib.suppress(OSError):  # someone else's file: left as it is
                os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
