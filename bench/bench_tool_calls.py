"""Per-tool-call overhead: one turn running 50 exec_command calls of `true`.

pycodex vs the real Codex 0.169 on the same scripted server, paired and alternating, and the
raw floor of 50 bare subprocess runs. Target: pycodex ≤ 1.0× Codex.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
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

N = 50


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    codex = codex_binary()
    py: list[float] = []
    cx: list[float] = []
    floor: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, ServerProcess(f"calls:{N}") as srv:
        ws, home, ch = Path(tmp) / "ws", Path(tmp) / "home", Path(tmp) / "ch"
        ws.mkdir()
        ch.mkdir()
        pycodex_config(home, srv.base_url)
        env = {**os.environ, "PYCODEX_HOME": str(home), "CODEX_HOME": str(ch), "MOCK_API_KEY": "k"}
        for i in range(args.runs + 1):
            w_py, _ = run_timed(pycodex_exec_argv(ws, "run them"), env)
            if codex:
                w_cx, _ = run_timed(codex_exec_argv(codex, ws, srv.base_url, "run them"), env)
            t = time.perf_counter()
            for _ in range(N):
                subprocess.run(["/bin/bash", "-c", "true"], check=True)
            w_fl = time.perf_counter() - t
            if i:
                py.append(w_py)
                floor.append(w_fl)
                if codex:
                    cx.append(w_cx)
    print(f"{N} exec_command calls of `true` in one turn")
    print(summary("pycodex", py))
    if cx:
        print(summary("codex 0.169", cx))
        ratio("tool_calls_pycodex_vs_codex", statistics.median(py) / statistics.median(cx))
    print(summary(f"floor ({N} bare `bash -c true` subprocesses)", floor))
    print_floor(python_floor("answer"), "one model request and its stream; the turn makes 51")
    ratio("tool_calls_pycodex_vs_floor", statistics.median(py) / statistics.median(floor))
    return 0


if __name__ == "__main__":
    sys.exit(main())
