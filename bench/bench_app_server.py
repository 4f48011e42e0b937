"""app-server: thread start → first turn completed, and a 20,000-delta turn; pycodex vs the real
`codex app-server` on the same scripted server, paired and alternating.

Each run starts a server, sends initialize / thread/start / turn/start (one answer) and measures
from the process spawn to that turn's `turn/completed` (and, as issue #11 words it, from
thread/start to that `turn/completed`); then it starts a second turn whose answer
streams 20,000 deltas and measures turn/start → turn/completed (checking every delta arrived as an
`item/agentMessage/delta`). The client is a minimal line reader, the same for both servers. Usage:

    .venv/bin/python bench/bench_app_server.py [--runs 9] [--no-codex]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import (
    PYCODEX,
    ServerProcess,
    codex_binary,
    codex_config_args,
    print_floor,
    pycodex_config,
    python_floor,
    ratio,
)

DELTAS = 20_000


def scenario_file(path: Path) -> Path:
    """Turn 1: one short answer. Turn 2: one answer streamed as DELTAS deltas (with the item
    announced first, as the Responses API does, so both servers stream it)."""
    answer = {"events": [
        {"type": "response.output_item.done", "output_index": 0, "item": {
            "type": "message", "id": "msg_a", "role": "assistant",
            "content": [{"type": "output_text", "text": "hello"}]}},
        {"type": "response.completed", "response": {"id": "resp_a", "usage": {
            "input_tokens": 10, "output_tokens": 2, "total_tokens": 12}}},
    ]}
    item = {"type": "message", "id": "msg_d", "role": "assistant", "content": []}
    events: list[dict[str, Any]] = [{"type": "response.output_item.added", "output_index": 0, "item": item}]
    events += [{"type": "response.output_text.delta", "item_id": "msg_d", "output_index": 0,
                "content_index": 0, "delta": "x "} for _ in range(DELTAS)]
    events += [
        {"type": "response.output_item.done", "output_index": 0, "item": {
            **item, "content": [{"type": "output_text", "text": "x " * DELTAS}]}},
        {"type": "response.completed", "response": {"id": "resp_d", "usage": {
            "input_tokens": 10, "output_tokens": DELTAS, "total_tokens": 10 + DELTAS}}},
    ]
    path.write_text(json.dumps([answer, {"events": events}]))
    return path


class Client:
    """The server as a child process; one JSON message per line."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=env, cwd=cwd)
        self.n = 0

    def send(self, method: str, params: Any = None, notify: bool = False) -> str:
        msg: dict[str, Any] = {"method": method}
        if params is not None:
            msg["params"] = params
        rid = ""
        if not notify:
            self.n += 1
            rid = msg["id"] = f"b{self.n}"
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(msg) + "\n").encode())
        self.proc.stdin.flush()
        return rid

    def until(self, pred: Any) -> tuple[dict[str, Any], int]:
        """Read until a message matches; also counts agent-message deltas seen on the way."""
        assert self.proc.stdout is not None
        deltas = 0
        for raw in self.proc.stdout:
            msg = json.loads(raw)
            if msg.get("method") == "item/agentMessage/delta":
                deltas += 1
            elif "error" in msg:
                raise RuntimeError(f"server error: {msg['error']}")
            elif pred(msg):
                return msg, deltas
        raise RuntimeError("server closed stdout")

    def request(self, method: str, params: Any = None) -> dict[str, Any]:
        rid = self.send(method, params)
        msg, _ = self.until(lambda m: m.get("id") == rid)
        result: dict[str, Any] = msg["result"]
        return result

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def one_run(argv: list[str], env: dict[str, str], ws: Path) -> tuple[float, float, float]:
    """(spawn → first turn completed, 20k-delta turn/start → turn/completed, thread/start →
    first turn completed) in seconds."""
    t0 = time.perf_counter()
    c = Client(argv, env, ws)
    try:
        c.request("initialize", {"clientInfo": {"name": "bench", "version": "1"}})
        c.send("initialized", notify=True)
        t_thread = time.perf_counter()
        thread = c.request("thread/start", {"cwd": str(ws), "approvalPolicy": "never",
                                            "sandbox": "danger-full-access"})["thread"]
        done = _turn(c, thread["id"], "say hello")
        first = time.perf_counter() - t0
        from_thread = time.perf_counter() - t_thread
        t1 = time.perf_counter()
        deltas = _turn(c, thread["id"], "stream a lot")
        stream = time.perf_counter() - t1
    finally:
        c.close()
    if done != 0 or deltas != DELTAS:
        raise RuntimeError(f"expected 0 and {DELTAS} deltas, got {done} and {deltas}")
    return first, stream, from_thread


def _turn(c: Client, thread_id: str, text: str) -> int:
    turn = c.request("turn/start", {"threadId": thread_id, "input": [{"type": "text", "text": text}]})["turn"]
    _, deltas = c.until(lambda m: m.get("method") == "turn/completed" and m["params"]["turn"]["id"] == turn["id"])
    return deltas


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--no-codex", action="store_true")
    args = ap.parse_args()
    codex = None if args.no_codex else codex_binary()
    results: dict[str, list[tuple[float, float, float]]] = {"pycodex": [], "codex": []}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ws = root / "ws"
        ws.mkdir()
        with ServerProcess(str(scenario_file(root / "scenario.json"))) as srv:
            home, codex_home = root / "home", root / "codex-home"
            pycodex_config(home, srv.base_url)
            codex_home.mkdir()
            env = {**os.environ, "PYCODEX_HOME": str(home), "CODEX_HOME": str(codex_home), "MOCK_API_KEY": "k"}
            tools = [("pycodex", [*PYCODEX, "app-server", "--listen", "stdio://"])]
            if codex:
                tools.append(("codex", [str(codex), *codex_config_args(srv.base_url), "app-server",
                                        "--listen", "stdio://"]))
            for i in range(args.runs + 1):
                for label, argv in tools:
                    res = one_run(argv, env, ws)
                    if i > 0:  # the first round warms caches
                        results[label].append(res)
    report(results)
    print()
    print_floor(python_floor("answer"), "one answer's request and stream")
    print(f"Python floor, stdlib client ({DELTAS:,} deltas): "
          f"{python_floor(f'deltas:{DELTAS}')['stdlib client']:.3f} s")
    return 0


def _stats(xs: list[float]) -> str:
    return f"{statistics.median(xs):.3f} [{min(xs):.3f}–{max(xs):.3f}]"


def report(results: dict[str, list[tuple[float, float, float]]]) -> None:
    print("| measure | tool | wall s median [min–max] |")
    print("|---|---|---|")
    names = ("start → first turn completed", f"{DELTAS:,}-delta turn", "thread/start → first turn completed")
    for idx, name in enumerate(names):
        for label, xs in results.items():
            if xs:
                print(f"| {name} | {label} | {_stats([x[idx] for x in xs])} |")
    if results["codex"]:
        print()
        for idx, key in enumerate(("app_server_first_turn", "app_server_twenty_k_deltas",
                                   "app_server_thread_start_to_first_turn")):
            py = statistics.median(x[idx] for x in results["pycodex"])
            cx = statistics.median(x[idx] for x in results["codex"])
            print(f"{key}: pycodex/codex wall = {py / cx:.2f}x")
            ratio(f"{key}_wall_pycodex_vs_codex", py / cx)


if __name__ == "__main__":
    sys.exit(main())
