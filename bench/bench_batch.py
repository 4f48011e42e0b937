"""`pycodex batch` throughput: N tasks of one command and one answer each, against shell loops.

Three ways to get the same N tasks done against the same scripted server (its own process,
bench/one_command_server.py, answering each request from the request alone):
  - `pycodex batch --jobs J` (local engine: J sessions at once in one process; each task in its
    own detached git worktree, with events.jsonl, changes.diff and result.json written);
  - a shell loop of `pycodex exec --json`, one task after another, all in one directory;
  - a shell loop of the real `codex exec --json` (0.169), the same way.
No sandbox anywhere (`--yolo`), so the numbers are the runtimes', not bubblewrap's. Reports
tasks per second and the peak RSS of the largest process. Usage:

    .venv/bin/python bench/bench_batch.py [--tasks 100] [--jobs 8] [--runs 1] [--no-codex]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from common import (
    codex_binary,
    codex_exec_argv,
    pycodex_config,
    pycodex_exec_argv,
    ratio,
    run_timed,
)

HERE = Path(__file__).resolve().parent
PROMPT = "run the command"


class Server:
    """bench/one_command_server.py in its own process (so our own RSS stays out of it)."""

    def __enter__(self) -> Server:
        self.proc = subprocess.Popen([sys.executable, str(HERE / "one_command_server.py")],
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.base_url: str = json.loads(self.proc.stdout.readline())["base_url"]
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def _repo(path: Path) -> Path:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_AUTHOR_NAME": "b",
           "GIT_AUTHOR_EMAIL": "b@example.com", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@example.com"}
    path.mkdir(parents=True)
    for i in range(20):
        (path / f"file{i}.txt").write_text(f"line {i}\n" * 50)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "init"]):
        subprocess.run(["git", "-C", str(path), *args], env=env, check=True)
    return path


def _loop(argv: list[str], n: int) -> list[str]:
    """`bash -c` running argv n times in a row, stopping at the first failure."""
    one = shlex.join(argv)
    return ["bash", "-c", f"for i in $(seq {n}); do {one} > /dev/null || exit 1; done"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=8)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--no-codex", action="store_true")
    args = ap.parse_args()
    codex = None if args.no_codex else codex_binary()
    n = args.tasks
    samples: dict[str, list[tuple[float, float]]] = {"batch": [], "pycodex loop": [], "codex loop": []}
    with tempfile.TemporaryDirectory() as tmp_name, Server() as srv:
        tmp = Path(tmp_name)
        repo = _repo(tmp / "repo")
        home, codex_home = tmp / "home", tmp / "codex-home"
        pycodex_config(home, srv.base_url)
        codex_home.mkdir()
        env = {**os.environ, "PYCODEX_HOME": str(home), "CODEX_HOME": str(codex_home),
               "MOCK_API_KEY": "k"}
        tasks = tmp / "tasks.jsonl"
        tasks.write_text("".join(json.dumps({"id": f"t{i:04d}", "prompt": PROMPT,
                                             "workspace": str(repo)}) + "\n" for i in range(n)))
        py_exec = pycodex_exec_argv(repo, PROMPT)
        cx_exec = codex_exec_argv(codex, repo, srv.base_url, PROMPT) if codex else None
        run_timed(py_exec, env)  # warm the disk cache once for each tool
        if cx_exec:
            run_timed(cx_exec, env)
        for r in range(args.runs):
            out = tmp / f"out{r}"
            batch = [sys.executable, "-m", "pycodex.cli.main", "batch", str(tasks), "--out", str(out),
                     "--jobs", str(args.jobs), "--yolo", "--plain"]
            try:
                samples["batch"].append(run_timed(batch, env))
            except RuntimeError:  # the batch says why in its results, not on stderr
                results = out / "results.jsonl"
                lines = results.read_text().splitlines() if results.exists() else []
                bad = [x for x in map(json.loads, lines) if x["status"] != "completed"]
                print(f"batch failed: {len(bad)} of {len(lines)} tasks not completed: {bad[:2]}", file=sys.stderr)
                raise
            got = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
            assert len(got) == n and all(x["status"] == "completed" for x in got), got[:3]
            samples["pycodex loop"].append(run_timed(_loop(py_exec, n), env))
            if cx_exec:
                samples["codex loop"].append(run_timed(_loop(cx_exec, n), env))
    report(samples, n, args.jobs)
    return 0


def report(samples: dict[str, list[tuple[float, float]]], n: int, jobs: int) -> None:
    """A table of tasks/s and peak RSS, and the ratios."""
    print(f"{n} tasks, one `echo hi` command and one answer each; batch --jobs {jobs}; no sandbox")
    print()
    print("| way | wall s (median) | tasks/s | peak RSS of the largest process, MB |")
    print("|---|---|---|---|")
    rate: dict[str, float] = {}
    rss: dict[str, float] = {}
    for label, xs in samples.items():
        if not xs:
            continue
        wall = statistics.median(w for w, _ in xs)
        rate[label] = n / wall
        rss[label] = statistics.median(m for _, m in xs)
        label_md = f"`pycodex batch --jobs {jobs}`" if label == "batch" else f"shell loop of `{label.split()[0]} exec`"
        print(f"| {label_md} | {wall:.1f} | {rate[label]:.2f} | {rss[label]:.0f} |")
    print()
    # RATIO lines are pycodex / other, smaller is better (run_all.py's chart): wall time.
    line = f"batch vs pycodex exec loop: {rate['batch'] / rate['pycodex loop']:.2f}x the tasks/s"
    ratio("batch_wall_vs_pycodex_exec_loop", rate["pycodex loop"] / rate["batch"])
    if "codex loop" in rate:
        line += f"; vs codex exec loop: {rate['batch'] / rate['codex loop']:.2f}x"
        ratio("batch_wall_vs_codex_exec_loop", rate["codex loop"] / rate["batch"])
        ratio("batch_rss_vs_one_codex_exec", rss["batch"] / rss["codex loop"])
    print(line)


if __name__ == "__main__":
    sys.exit(main())
