"""`exec --json` start-up and 20k-delta streaming: pycodex vs the real Codex CLI vs the Python floor.

Runs are paired and alternating (pycodex, codex, floor, bare, pycodex, ...) against the same
scripted server on 127.0.0.1; prints medians, min–max and ratios. The floor is a stdlib-only
client sending the same request and parsing the same stream; bare is `python -c pass`. Usage:

    .venv/bin/python bench/bench_exec_cli.py [--runs 9] [--no-codex]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from common import BARE, PYCODEX, ServerProcess, codex_binary, ratio, run_timed, stdlib_client_argv


def pycodex_cmd(ws: Path) -> list[str]:
    return [*PYCODEX, "exec", "--json", "--skip-git-repo-check",
            "--dangerously-bypass-approvals-and-sandbox", "-C", str(ws), "say hello"]


def codex_cmd(binary: Path, ws: Path, base_url: str) -> list[str]:
    cfg = [
        "analytics.enabled=false", "features.plugins=false", "check_for_update_on_startup=false",
        'model_provider="mock"', 'model_providers.mock.name="mock"',
        f'model_providers.mock.base_url="{base_url}"', 'model_providers.mock.wire_api="responses"',
        'model_providers.mock.env_key="MOCK_API_KEY"', "model_providers.mock.request_max_retries=0",
        "model_providers.mock.stream_max_retries=0", "model_providers.mock.supports_websockets=false",
    ]
    argv = [str(binary), "exec", "--json", "--skip-git-repo-check", "--model", "gpt-5.5",
            "--dangerously-bypass-approvals-and-sandbox", "-C", str(ws)]
    for c in cfg:
        argv += ["--config", c]
    return [*argv, "say hello"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--no-codex", action="store_true")
    args = ap.parse_args()
    codex = None if args.no_codex else codex_binary()
    scenarios = {"one answer": "answer", "20k deltas": "deltas:20000"}
    results: dict[str, dict[str, list[tuple[float, float]]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        ws.mkdir()
        for name, spec in scenarios.items():
            per: dict[str, list[tuple[float, float]]] = {"pycodex": [], "codex": [], "floor": [], "bare": []}
            # The server runs in its own process so this one stays small: a forked child's
            # peak RSS would otherwise include ours.
            with ServerProcess(spec) as srv:
                home = Path(tmp) / "home"
                home.mkdir(exist_ok=True)
                (home / "config.toml").write_text(
                    'model = "gpt-5.5"\nmodel_provider = "mock"\n[model_providers.mock]\nname = "mock"\n'
                    f'base_url = "{srv.base_url}"\nwire_api = "responses"\nenv_key = "MOCK_API_KEY"\n'
                    "request_max_retries = 0\nstream_max_retries = 0\n"
                )
                env = {**os.environ, "PYCODEX_HOME": str(home), "CODEX_HOME": str(Path(tmp) / "codex-home"),
                       "MOCK_API_KEY": "k"}
                (Path(tmp) / "codex-home").mkdir(exist_ok=True)
                for i in range(args.runs + 1):
                    warmup = i == 0
                    runs = [("pycodex", pycodex_cmd(ws))]
                    if codex:
                        runs.append(("codex", codex_cmd(codex, ws, srv.base_url)))
                    runs.append(("floor", stdlib_client_argv(srv.base_url)))
                    runs.append(("bare", BARE))
                    for label, argv in runs:
                        res = run_timed(argv, env)
                        if not warmup:
                            per[label].append(res)
            results[name] = per
    report(results)
    return 0


def _stats(xs: list[float]) -> str:
    return f"{statistics.median(xs):.3f} [{min(xs):.3f}–{max(xs):.3f}]"


def report(results: dict[str, dict[str, list[tuple[float, float]]]]) -> None:
    print("| scenario | tool | wall s median [min–max] | peak RSS MB median |")
    print("|---|---|---|---|")
    for name, per in results.items():
        for label, xs in per.items():
            if xs:
                print(f"| {name} | {label} | {_stats([w for w, _ in xs])} | {statistics.median(r for _, r in xs):.1f} |")
    print()
    for name, per in results.items():
        py = statistics.median(w for w, _ in per["pycodex"])
        fl = statistics.median(w for w, _ in per["floor"])
        line = f"{name}: pycodex/floor wall = {py / fl:.2f}x"
        if per["codex"]:
            cx = statistics.median(w for w, _ in per["codex"])
            rss_py = statistics.median(r for _, r in per["pycodex"])
            rss_cx = statistics.median(r for _, r in per["codex"])
            line += f"; pycodex/codex wall = {py / cx:.2f}x; RSS = {rss_py / rss_cx:.2f}x"
            key = name.replace(" ", "_").replace("20k", "twenty_k")
            ratio(f"{key}_wall_pycodex_vs_codex", py / cx)
            ratio(f"{key}_rss_pycodex_vs_codex", rss_py / rss_cx)
            ratio(f"{key}_wall_floor_vs_codex", fl / cx)  # how close Python itself can get
            line += f"; floor/codex wall = {fl / cx:.2f}x"
        ratio(f"{name.replace(' ', '_').replace('20k', 'twenty_k')}_wall_pycodex_vs_floor", py / fl)
        print(line)


if __name__ == "__main__":
    sys.exit(main())
