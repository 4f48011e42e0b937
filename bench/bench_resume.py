"""Resume of a 50,000-item rollout: `exec resume <id>` in pycodex vs the real Codex, and the raw read."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import (
    ServerProcess,
    codex_binary,
    codex_exec_argv,
    print_floor,
    pycodex_config,
    pycodex_exec_argv,
    python_floor,
    ratio,
    run_timed,
    summary,
)

ITEMS = 50_000
TID = "01a20b60-0000-7000-8000-0000000c0ffe"


def make_rollout(path: Path, ws: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ts = "2026-11-24T00:00:00.000Z"
    lines = [{"timestamp": ts, "type": "session_meta",
              "payload": {"id": TID, "timestamp": ts, "cwd": str(ws), "originator": "pycodex_exec", "cli_version": "0.1.0"}}]
    for i in range(ITEMS // 4):
        lines.append({"timestamp": ts, "type": "response_item", "payload": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": f"question {i}"}]}})
        lines.append({"timestamp": ts, "type": "response_item", "payload": {"type": "function_call", "name": "exec_command", "arguments": json.dumps({"cmd": f"echo {i}"}), "call_id": f"c{i}"}})
        lines.append({"timestamp": ts, "type": "response_item", "payload": {"type": "function_call_output", "call_id": f"c{i}", "output": f"{i}\n"}})
        lines.append({"timestamp": ts, "type": "response_item", "payload": {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": f"answer {i}"}]}})
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    from pycodex.rollout.reader import load_rollout, reconstruct_history

    codex = codex_binary()
    py: list[float] = []
    cx: list[float] = []
    raw: list[float] = []
    parse: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, ServerProcess("answer") as srv:
        ws, home, ch = Path(tmp) / "ws", Path(tmp) / "home", Path(tmp) / "ch"
        ws.mkdir()
        rel = Path("sessions/2026/11/24") / f"rollout-2026-11-24T00-00-00-{TID}.jsonl"
        master = Path(tmp) / "master.jsonl"
        make_rollout(master, ws)
        pycodex_config(home, srv.base_url)
        env = {**os.environ, "PYCODEX_HOME": str(home), "CODEX_HOME": str(ch), "MOCK_API_KEY": "k"}
        for i in range(args.runs + 1):
            for h in (home, ch):
                (h / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(master, h / rel)
            t = time.perf_counter()
            reconstruct_history(load_rollout(master).items, [])
            w_raw = time.perf_counter() - t
            t = time.perf_counter()
            with master.open("rb") as f:  # the floor: every line decoded by json, nothing else
                for line in f:
                    json.loads(line)
            parse.append(time.perf_counter() - t)
            w_py, _ = run_timed(pycodex_exec_argv(ws, "resume", TID, "next"), env)
            if codex:
                w_cx, _ = run_timed(codex_exec_argv(codex, ws, srv.base_url, "resume", TID, "next"), env)
            if i:
                py.append(w_py)
                raw.append(w_raw)
                if codex:
                    cx.append(w_cx)
    print(f"resume of a {ITEMS}-item rollout, then one answer")
    print(summary("pycodex exec resume", py))
    if cx:
        print(summary("codex exec resume", cx))
        ratio("resume_50k_pycodex_vs_codex", statistics.median(py) / statistics.median(cx))
    print(summary("pycodex load + rebuild history in-process", raw))
    print(summary("Python floor, json.loads of every line in-process", parse))
    print_floor(python_floor("answer"), "the one answer's request and stream")
    return 0


if __name__ == "__main__":
    sys.exit(main())
