"""Stored threads for thread/list, thread/read, archive and unarchive (blocking file I/O:
call these from a worker thread)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pycodex.app_server import wire as w
from pycodex.app_server.history import rebuild_turns
from pycodex.app_server.params import ThreadListParams
from pycodex.rollout.archive import archived_rollouts, find_archived
from pycodex.rollout.names import thread_names
from pycodex.rollout.store import SessionStore
from pycodex.rollout.summary import RolloutSummary
from pycodex.rollout.validate import MAX_FIRST_LINE, head_problem

SOURCES = frozenset({"cli", "vscode", "exec", "appServer"})
DEFAULT_PAGE = 25


@dataclass
class StoredThread:
    """A thread on disk: its file, its first line, what the index knows of it."""

    path: Path
    meta: dict[str, Any]
    preview: str
    updated: float
    model: str | None
    provider: str | None
    archived: bool = False

    @property
    def id(self) -> str:
        """The thread id."""
        return str(self.meta.get("id"))

    def created(self) -> int:
        """Creation time, seconds since the epoch."""
        return _epoch(self.meta.get("timestamp")) or int(self.updated)

    def source(self) -> str:
        """Where the thread came from, in the v2 vocabulary."""
        src = self.meta.get("source")
        return src if isinstance(src, str) and src in SOURCES else "unknown"

    def thread(self, name: str | None, turns: list[w.Turn] | None = None) -> w.Thread:
        """The stored thread as the wire shows it (not loaded)."""
        m = self.meta
        return w.Thread(
            id=self.id, session_id=self.id, forked_from_id=_opt(m.get("forked_from_id")),
            preview=self.preview, model_provider=self.provider or str(m.get("model_provider") or ""),
            model=self.model, created_at=self.created(), updated_at=int(self.updated),
            recency_at=int(self.updated), status=w.ThreadStatus(type="notLoaded"), path=str(self.path),
            cwd=str(m.get("cwd") or ""), cli_version=str(m.get("cli_version") or ""),
            originator=_opt(m.get("originator")), source=self.source(), name=name, turns=turns or [],
        )


def read_meta(path: Path) -> dict[str, Any] | None:
    """The session_meta payload of a rollout, or None if the file is not one."""
    try:
        with path.open("rb") as f:
            head = f.readline(MAX_FIRST_LINE)
    except OSError:
        return None
    if head_problem(head) is not None:
        return None
    payload: dict[str, Any] = json.loads(head)["payload"]
    return payload


def stored_from_file(path: Path, archived: bool) -> StoredThread | None:
    """A thread summarised from its whole file (archived threads are not in the index)."""
    summary = RolloutSummary()
    try:
        with path.open("rb") as f:
            for raw in f:
                summary.fold_raw(raw)
        updated = path.stat().st_mtime
    except OSError:
        return None
    meta = read_meta(path)
    if meta is None:
        return None
    return StoredThread(path, meta, summary.first_user_message or "", updated, summary.model,
                        summary.provider, archived)


def all_threads(home: Path, archived: bool, search: str | None) -> list[StoredThread]:
    """Every stored thread (active ones from the index, archived ones from their files)."""
    if archived:
        found = (stored_from_file(p, True) for p in archived_rollouts(home))
        threads = [t for t in found if t is not None]
        if search:
            words = search.lower().split()
            threads = [t for t in threads if all(wd in t.preview.lower() for wd in words)]
        return threads
    store = SessionStore(home)
    try:
        rows = store.list(search=search, limit=1_000_000).items
    finally:
        store.close()
    out = []
    for r in rows:
        meta = read_meta(Path(r.path))
        if meta is not None:
            out.append(StoredThread(Path(r.path), meta, r.first_user_message or "", r.updated, r.model,
                                    r.provider))
    return out


def list_threads(home: Path, p: ThreadListParams) -> tuple[list[w.Thread], str | None]:
    """One page of thread/list: filtered, sorted, after the cursor."""
    threads = all_threads(home, bool(p.archived), p.search_term)
    cwds = {p.cwd} if isinstance(p.cwd, str) else set(p.cwd or [])
    excluded = set(p.excluded_thread_ids or [])
    threads = [
        t for t in threads
        if (not cwds or str(t.meta.get("cwd")) in cwds)
        and (not p.model_providers or t.provider in p.model_providers)
        and (not p.originators or t.meta.get("originator") in p.originators)
        and (not p.source_kinds or t.source() in p.source_kinds)
        and t.id not in excluded
    ]
    by_created = p.sort_key == "created_at"
    desc = p.sort_direction != "asc"

    def key(t: StoredThread) -> tuple[float, str]:
        return (t.created() if by_created else t.updated, t.id)

    threads.sort(key=key, reverse=desc)
    if p.cursor:
        after = _decode_cursor(p.cursor)
        threads = [t for t in threads if (key(t) < after if desc else key(t) > after)]
    limit = p.limit if p.limit else DEFAULT_PAGE
    page, more = threads[:limit], len(threads) > limit
    names = thread_names(home)
    return [t.thread(names.get(t.id)) for t in page], _encode_cursor(key(page[-1])) if more and page else None


def find_stored(home: Path, thread_id: str) -> StoredThread | None:
    """A thread on disk by id, archived or not."""
    from pycodex.rollout.lookup import find_rollout_by_id

    path = find_rollout_by_id(home, thread_id)
    archived = False
    if path is None:
        path, archived = find_archived(home, thread_id), True
    if path is None:
        return None
    stored = stored_from_file(path, archived)
    return stored if stored is not None and stored.id == thread_id else None


def read_stored(home: Path, stored: StoredThread, include_turns: bool) -> w.Thread:
    """A stored thread, with its turns rebuilt from the rollout if asked."""
    turns = None
    if include_turns:
        from pycodex.rollout.reader import load_rollout

        loaded = load_rollout(stored.path)
        turns = rebuild_turns(stored.id, str(stored.meta.get("cwd") or ""), loaded.items)
    return stored.thread(thread_names(home).get(stored.id), turns)


def _encode_cursor(key: tuple[float, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps([key[0], key[1]]).encode()).decode()


def _decode_cursor(cursor: str) -> tuple[float, str]:
    from pycodex.app_server.settings import invalid

    try:
        value, tid = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return float(value), str(tid)
    except (ValueError, TypeError, UnicodeDecodeError) as e:
        raise invalid("cursor", f"{cursor!r} is not a cursor this server gave") from e


def _epoch(ts: Any) -> int | None:
    if not isinstance(ts, str):
        return None
    try:
        return int(dt.datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


def _opt(value: Any) -> str | None:
    return value if isinstance(value, str) else None
