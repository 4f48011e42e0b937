"""A 20,000-delta answer rendered in the interactive UI under tmux: pycodex vs the real Codex TUI.

Both run in an 80×24 tmux pane against the same scripted server (a separate process) and get
the prompt on the command line. The server runs in this process, so the time runs from the
model request's arrival (the first delta goes out at once) to the last delta's word
(`w19999`) being on screen, polled with capture-pane every 5 ms. (Codex shows an answer without
line breaks only when it completes, so "first delta on screen" would read 0 for it.) Peak RSS is the sum of
VmHWM over the UI's process tree, read before quitting. Runs alternate (pycodex, codex, ...).

    .venv/bin/python bench/bench_tui.py [--runs 5] [--no-codex]
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, codex_binary, ratio

from pycodex.testing.scenario_json import load_scenario
from pycodex.testing.server import ScriptedModelServer

N = 20_000
LAST = f"w{N - 1}"


def tmux(sock: str, *args: str) -> str:
    return subprocess.run(["tmux", "-S", sock, *args], capture_output=True, text=True,
                          check=False).stdout


def tree_hwm_mb(pid: int) -> float:
    """Sum of peak RSS over a process and its descendants."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        todo += [int(c) for c in children]
    return total / 1024


def run_once(argv: list[str], env: dict[str, str], cwd: Path, tmp: Path,
             srv: ScriptedModelServer) -> tuple[float, float]:
    """(seconds from first to last delta on screen, peak RSS MB of the UI's processes)."""
    sock = str(tmp / f"bench-{time.monotonic_ns()}.sock")
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    cmd = f"cd {shlex.quote(str(cwd))} && exec env {exports} {shlex.join(argv)}"
    subprocess.run(["tmux", "-S", sock, "-f", "/dev/null", "new-session", "-d", "-x", "80", "-y",
                    "24", "sh", "-c", cmd], check=True)
    seen = len(srv.requests)
    try:
        pid = int(tmux(sock, "display-message", "-p", "-t", "0", "#{pane_pid}").strip())
        first = last = None
        deadline = time.monotonic() + 120
        while last is None:
            screen = tmux(sock, "capture-pane", "-p", "-t", "0")
            now = time.monotonic()
            if first is None and len(srv.requests) > seen:
                first = now
            if "Use existing model" in screen:  # Codex's new-model notice: keep gpt-5.5
                tmux(sock, "send-keys", "-t", "0", "2")
                tmux(sock, "send-keys", "-t", "0", "Enter")
                time.sleep(0.2)
            if LAST in screen:
                last = now
            if now > deadline:
                raise RuntimeError(f"{argv[0]}: the answer never finished; screen:\n{screen}")
            time.sleep(0.005)
        assert first is not None
        rss = tree_hwm_mb(pid)
        return last - first, rss
    finally:
        tmux(sock, "kill-server")


def pycodex_argv() -> list[str]:
    return [sys.executable, "-m", "pycodex.cli.main", "--yolo", "long answer please"]


def codex_argv(binary: Path, base_url: str) -> list[str]:
    cfg = ["analytics.enabled=false", "features.plugins=false", "check_for_update_on_startup=false",
           'model_provider="mock"', 'model_providers.mock.name="mock"',
           f'model_providers.mock.base_url="{base_url}"', 'model_providers.mock.wire_api="responses"',
           'model_providers.mock.env_key="MOCK_API_KEY"', "model_providers.mock.request_max_retries=0",
           "model_providers.mock.stream_max_retries=0", "model_providers.mock.supports_websockets=false"]
    argv = [str(binary), "--model", "gpt-5.5", "--dangerously-bypass-approvals-and-sandbox"]
    for c in cfg:
        argv += ["--config", c]
    return [*argv, "long answer please"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-codex", action="store_true")
    args = ap.parse_args()
    codex = None if args.no_codex else codex_binary()
    results: dict[str, list[tuple[float, float]]] = {"pycodex": [], "codex": []}
    srv = ScriptedModelServer(load_scenario(f"deltas:{N}"), repeat=True).start()
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        ws = tmp / "ws"
        ws.mkdir()
        subprocess.run(["git", "init", "-q", str(ws)], check=True)
        home, codex_home = tmp / "home", tmp / "codex-home"
        home.mkdir()
        codex_home.mkdir()
        (home / "config.toml").write_text(
            f'model = "gpt-5.5"\nmodel_provider = "mock"\n[model_providers.mock]\nname = "mock"\n'
            f'base_url = "{srv.base_url}"\nwire_api = "responses"\nenv_key = "MOCK_API_KEY"\n'
            "request_max_retries = 0\nstream_max_retries = 0\n")
        (codex_home / "config.toml").write_text(
            f'[projects."{ws}"]\ntrust_level = "trusted"\n[notice]\nhide_full_access_warning = true\n')
        env = {"PYCODEX_HOME": str(home), "CODEX_HOME": str(codex_home), "MOCK_API_KEY": "k",
               "TERM": "xterm-256color", "PATH": os.environ.get("PATH", ""), "HOME": str(tmp),
               "PYTHONPATH": str(ROOT / "src")}
        for _ in range(args.runs):
            results["pycodex"].append(run_once(pycodex_argv(), env, ws, tmp, srv))
            if codex:
                results["codex"].append(run_once(codex_argv(codex, srv.base_url), env, ws, tmp, srv))
    srv.stop()
    for name, runs in results.items():
        if runs:
            walls = [w for w, _ in runs]
            rss = [r for _, r in runs]
            print(f"{name}: request → last delta on screen {statistics.median(walls):.2f} s "
                  f"[{min(walls):.2f}–{max(walls):.2f}], peak RSS {statistics.median(rss):.0f} MB")
    if results["codex"]:
        py = statistics.median(w for w, _ in results["pycodex"])
        cx = statistics.median(w for w, _ in results["codex"])
        rp = statistics.median(r for _, r in results["pycodex"])
        rc = statistics.median(r for _, r in results["codex"])
        print(f"pycodex/codex: time {py / cx:.2f}x (target <= 1.0x), RSS {rp / rc:.2f}x")
        ratio("tui_twenty_k_deltas_pycodex_vs_codex", py / cx)
        ratio("tui_twenty_k_deltas_rss_pycodex_vs_codex", rp / rc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
