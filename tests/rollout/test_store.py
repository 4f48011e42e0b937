"""The SQLite session index: listing, search, pagination, rebuilds, concurrent writers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pycodex.rollout.store import SessionStore

LINE = '{{"timestamp": "2026-01-01T00:00:00.000Z", "type": "{t}", "payload": {p}}}\n'


def make_rollout(home: Path, n: int, text: str = "hello", cwd: str = "/w", mtime: float | None = None) -> Path:
    tid = f"0199{n:04d}-0000-7000-8000-000000000000"
    day = home / "sessions" / "2026" / "01" / "01"
    day.mkdir(parents=True, exist_ok=True)
    p = day / f"rollout-2026-01-01T00-00-{n % 60:02d}-{tid}.jsonl"
    meta = json.dumps({"id": tid, "timestamp": "2026-01-01T00:00:00Z", "cwd": cwd, "model": "gpt-5.5"})
    msg = json.dumps({"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]})
    p.write_text(LINE.format(t="session_meta", p=meta) + LINE.format(t="response_item", p=msg))
    if mtime is not None:
        import os

        os.utime(p, (mtime, mtime))
    return p


def test_list_newest_first_with_cursor_pagination(tmp_path: Path) -> None:
    for i in range(7):
        make_rollout(tmp_path, i, mtime=1_000_000 + i)
    store = SessionStore(tmp_path)
    page = store.list(limit=3)
    assert [r.thread_id[:8] for r in page.items] == ["01990006", "01990005", "01990004"]
    make_rollout(tmp_path, 50, mtime=2_000_000)  # a new session arrives between pages
    page2 = store.list(limit=3, cursor=page.next_cursor)
    assert [r.thread_id[:8] for r in page2.items] == ["01990003", "01990002", "01990001"]
    page3 = store.list(limit=3, cursor=page2.next_cursor)
    assert [r.thread_id[:8] for r in page3.items] == ["01990000"] and page3.next_cursor is None


def test_search_and_cwd_filter(tmp_path: Path) -> None:
    make_rollout(tmp_path, 1, text="fix the tokenizer bug", cwd="/a")
    make_rollout(tmp_path, 2, text="write docs", cwd="/b")
    store = SessionStore(tmp_path)
    assert [r.first_user_message for r in store.list(search="tokenizer").items] == ["fix the tokenizer bug"]
    assert store.list(search='weird "quotes" AND OR').items == []  # FTS syntax is taken literally
    assert [r.cwd for r in store.list(cwd=Path("/b")).items] == ["/b"]


def test_index_rebuilt_after_deletion_and_corruption(tmp_path: Path) -> None:
    """Bad input tried: the index file deleted, then overwritten with garbage."""
    make_rollout(tmp_path, 1)
    store = SessionStore(tmp_path)
    assert len(store.list().items) == 1
    store.close()
    store.path.unlink()
    assert len(SessionStore(tmp_path).list().items) == 1
    store2 = SessionStore(tmp_path)
    store2.list()
    store2.close()
    store2.path.write_bytes(b"this is not a sqlite database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(str(store2.path) + suffix).unlink(missing_ok=True)
    assert len(SessionStore(tmp_path).list().items) == 1


def test_two_processes_writing_sessions_at_once(tmp_path: Path) -> None:
    code = ("import sys; from pathlib import Path\n"
            "from tests.rollout.test_store import make_rollout\n"
            "from pycodex.rollout.store import SessionStore\n"
            "home = Path(sys.argv[1]); base = int(sys.argv[2])\n"
            "s = SessionStore(home)\n"
            "for i in range(25): s.upsert_from_rollout(make_rollout(home, base + i))\n")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path), str(b)], cwd=Path(__file__).parents[2])
             for b in (0, 100)]
    assert all(p.wait(60) == 0 for p in procs)
    assert len(SessionStore(tmp_path).list(limit=100, refresh=False).items) == 50


def test_sessions_cli_list_and_show(tmp_path: Path) -> None:
    make_rollout(tmp_path, 3, text="show me this")
    env = {"PYCODEX_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "pycodex.cli.main", "sessions", "list", "--json"],
                         capture_output=True, text=True, env=env, check=True).stdout
    row = json.loads(out.splitlines()[0])
    assert row["first_user_message"] == "show me this"
    shown = subprocess.run([sys.executable, "-m", "pycodex.cli.main", "sessions", "show", row["thread_id"][:13]],
                           capture_output=True, text=True, env=env, check=True).stdout
    assert "user:\n    show me this" in shown


def test_the_index_holding_conversation_text_is_private_like_the_rollouts(tmp_path: Path) -> None:
    """A real `pycodex exec` run: the index (which keeps every user message for search) is
    readable by its owner only, as the rollout is; an index an older run left readable by
    everyone (bad input: mode 0644) is tightened the next time it is opened."""
    import os

    from pycodex.testing import scenario as sc
    from pycodex.testing.server import ScriptedModelServer
    from tests.e2e.helpers import run_exec, write_config

    home, ws = tmp_path / "home", tmp_path / "ws"
    ws.mkdir()
    with ScriptedModelServer([sc.turn(sc.message("hi"), sc.completed())] * 2) as srv:
        write_config(home, srv.base_url)
        assert run_exec(home, ws, "my secret plan").code == 0
        index = home / "sessions" / "index.sqlite"
        assert b"secret plan" in b"".join(p.read_bytes() for p in index.parent.glob("index.sqlite*"))
        modes = {p.name: oct(p.stat().st_mode & 0o777) for p in home.rglob("*")
                 if p.is_file() and (p.name.startswith("index.sqlite") or p.suffix == ".jsonl")}
        assert modes and set(modes.values()) == {"0o600"}, modes
        os.chmod(index, 0o644)
        assert run_exec(home, ws, "again").code == 0
    assert oct(index.stat().st_mode & 0o777) == "0o600"
