"""Prompt history under contention: appenders in many processes, trims, and readers at once."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from pycodex.rollout.history import PromptHistory, kept_tail

ROOT = Path(__file__).parents[2]
MAX_BYTES = 16 * 1024
ENTRIES = 300
# An entry's text is `<writer>-<i>-<pad>`: a reader can tell a whole entry from a spliced one.
_PAD = "'x' * ((i * 37) % 150)"

_WRITER = f"""
import sys; from pathlib import Path; from pycodex.rollout.history import PromptHistory
h = PromptHistory(Path(sys.argv[1]), max_bytes={MAX_BYTES})
w = sys.argv[2]
for i in range({ENTRIES}):
    h.append_sync(w, f'{{w}}-{{i}}-' + {_PAD})
"""

_READER = f"""
import json, os, sys, time; from pathlib import Path; from pycodex.rollout.history import PromptHistory
home, stop = Path(sys.argv[1]), Path(sys.argv[2])
h, path = PromptHistory(home), home / 'history.jsonl'
problems, reads, inodes, biggest = [], 0, set(), 0

def check(raw, where):
    try:
        d = json.loads(raw)
        w, n, pad = d['text'].split('-')
        i = int(n)
        ok = d['session_id'] == w and pad == {_PAD}
    except (ValueError, KeyError, TypeError):
        ok = False
    if not ok:
        problems.append(where + ': ' + repr(raw[:100]))

while not stop.exists():
    # A streaming reader that takes no lock (like `tail` or an older client): 4 KiB at a time.
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        continue
    inodes.add(os.fstat(fd).st_ino)
    chunks = []
    while chunk := os.read(fd, 4096):
        chunks.append(chunk)
        time.sleep(0.0005)
    os.close(fd)
    data = b''.join(chunks)
    reads += 1
    biggest = max(biggest, len(data))
    for raw in data.split(b'\\n')[:-1]:  # the unterminated rest may still be being appended
        check(raw, 'read')
    # The API, which takes the shared lock.
    log_id, count = h.metadata_sync()
    entry = h.lookup_sync(log_id, count - 1) if count else None
    if entry is not None:
        check(json.dumps({{'session_id': entry.conversation_id, 'text': entry.text}}), 'lookup')
print(json.dumps({{'reads': reads, 'problems': problems[:10], 'inodes': len(inodes), 'biggest': biggest}}))
"""


def test_concurrent_appenders_trims_and_readers(tmp_path: Path) -> None:
    """Bad input tried: readers reading (unlocked, slowly, and through the API) while four processes
    append with a small max_bytes, so the file is trimmed dozens of times under their feet."""
    stop = tmp_path / "stop"
    readers = [subprocess.Popen([sys.executable, "-c", _READER, str(tmp_path), str(stop)],
                                stdout=subprocess.PIPE, text=True, cwd=ROOT) for _ in range(2)]
    time.sleep(0.3)  # the readers are running before the first append
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path), f"w{n}"], cwd=ROOT)
               for n in range(4)]
    assert all(w.wait(120) == 0 for w in writers)
    stop.touch()
    reports = [json.loads(r.communicate(timeout=60)[0]) for r in readers]
    longest_line = len(json.dumps({"session_id": "w0", "ts": int(time.time()), "text": "w0-299-" + "x" * 149})) + 1
    for rep in reports:
        assert rep["problems"] == [], rep["problems"]
        assert rep["reads"] >= 10 and rep["inodes"] > 1  # they read while trims replaced the file
        assert rep["biggest"] <= MAX_BYTES + longest_line  # over max_bytes by one entry at most
    data = (tmp_path / "history.jsonl").read_bytes()
    assert len(data) <= MAX_BYTES
    kept: dict[str, list[int]] = {}
    for raw in data.splitlines():
        entry = json.loads(raw)
        w, n, _pad = entry["text"].split("-")
        kept.setdefault(w, []).append(int(n))
    # Only the oldest entries were dropped: each writer's survivors run without a gap to its last.
    assert kept and all(ns == list(range(ns[0], ENTRIES)) for ns in kept.values()), kept
    assert not list(tmp_path.glob(".history-*"))  # no temp file left behind


def test_kept_tail_cuts_at_line_starts_and_keeps_the_newest_line() -> None:
    data = b"aaaa\nbbbb\ncccc\n"
    assert kept_tail(data, 100) == data
    assert kept_tail(data, 10) == b"bbbb\ncccc\n"
    assert kept_tail(data, 9) == b"cccc\n"
    assert kept_tail(data, 2) == b"cccc\n"  # one entry bigger than the cap is still kept
    assert kept_tail(b"a\n" + b"x" * 50 + b"\n", 10) == b"x" * 50 + b"\n"


def test_trim_replaces_the_file_and_lookup_follows_the_new_log_id(tmp_path: Path) -> None:
    h = PromptHistory(tmp_path, max_bytes=400)
    h.append_sync("s", "first")
    old_id, _ = h.metadata_sync()
    for i in range(20):
        h.append_sync("s", f"entry {i}")
        if h.metadata_sync()[0] != old_id:
            break  # the first trim: a new file (the old one was still linked when it was made)
    new_id, count = h.metadata_sync()
    assert new_id != old_id and h.lookup_sync(old_id, 0) is None  # a trim starts a new log
    last = h.lookup_sync(new_id, count - 1)
    assert last is not None and last.text == f"entry {i}"
    assert len((tmp_path / "history.jsonl").read_bytes()) <= 400 * 0.8
    assert (tmp_path / "history.jsonl.lock").exists()
