"""Session store at 10,000 sessions: index build, newest-50 listing, full-text search.

    .venv/bin/python bench/bench_store.py [--sessions 10000]
Targets: listing the newest 50 < 100 ms; a full-text search < 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

WORDS = ["parser", "tokenizer", "cache", "index", "rollout", "sandbox", "patch", "shell", "plan", "review", "compact", "resume"]


def make(home: Path, n: int) -> None:
    for i in range(n):
        tid = f"{i:08x}-0000-7000-8000-000000000000"
        day = home / "sessions" / "2026" / f"{1 + i // 3000:02d}" / f"{1 + (i // 100) % 28:02d}"
        day.mkdir(parents=True, exist_ok=True)
        p = day / f"rollout-2026-01-01T00-00-00-{tid}.jsonl"
        meta = {"id": tid, "timestamp": "2026-01-01T00:00:00Z", "cwd": f"/repo{i % 7}", "model": "gpt-5.5"}
        text = f"please fix the {WORDS[i % len(WORDS)]} in module {i}"
        lines = [{"timestamp": "t", "type": "session_meta", "payload": meta},
                 {"timestamp": "t", "type": "response_item", "payload": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}},
                 {"timestamp": "t", "type": "response_item", "payload": {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": f"done with {i}"}]}}]
        p.write_text("".join(json.dumps(x) + "\n" for x in lines))
        os.utime(p, (1_700_000_000 + i, 1_700_000_000 + i))


def timed(fn: object, runs: int = 7) -> float:
    xs = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        xs.append(time.perf_counter() - t)
    return statistics.median(xs)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=10_000)
    args = ap.parse_args()
    from pycodex.rollout.store import SessionStore

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        make(home, args.sessions)
        t = time.perf_counter()
        store = SessionStore(home)
        store.refresh()
        build = time.perf_counter() - t
        list_cached = timed(lambda: store.list(limit=50, refresh=False))
        list_fresh = timed(lambda: store.list(limit=50, refresh=True))
        search = timed(lambda: store.list(limit=50, search="tokenizer module", refresh=False))
        assert len(store.list(limit=50, refresh=False).items) == 50
    print(f"sessions: {args.sessions}")
    print(f"index build from files: {build:.2f} s")
    print(f"list newest 50 (index only): {list_cached * 1000:.1f} ms (target < 100 ms)")
    print(f"list newest 50 (with refresh: a stat per file): {list_fresh * 1000:.1f} ms")
    print(f"full-text search: {search * 1000:.1f} ms (target < 1000 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
