"""Thread names: appended to `$PYCODEX_HOME/session_index.jsonl`, the last line for an id wins,
as Codex keeps them."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from pycodex.protocol.text import encode_utf8

NAMES_FILE = "session_index.jsonl"


def set_thread_name(home: Path, thread_id: str, name: str) -> None:
    """Record a thread's name (one appended line, fsynced)."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    line = json.dumps({"id": thread_id, "thread_name": name, "updated_at": now}, ensure_ascii=False)
    # Private like the rollouts (names say what the sessions were about); never through a link.
    fd = os.open(home / NAMES_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, encode_utf8(line + "\n"))  # one write of one line: appends never interleave
        os.fsync(fd)
    finally:
        os.close(fd)


def thread_names(home: Path) -> dict[str, str]:
    """Every named thread's current name; lines that are not names are passed over."""
    try:
        data = (home / NAMES_FILE).read_bytes()
    except OSError:
        return {}
    names: dict[str, str] = {}
    for raw in data.splitlines():
        try:
            obj = json.loads(raw)
        except ValueError:
            continue
        if isinstance(obj, dict) and isinstance(obj.get("id"), str) and isinstance(obj.get("thread_name"), str):
            names[obj["id"]] = obj["thread_name"]
    return names
