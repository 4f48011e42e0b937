"""Driving `pycodex batch` for real: a git repository, TASKS files, one scripted server for all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from pycodex.testing import scenario as sc
from pycodex.testing.scenario import Turn
from pycodex.testing.server import RecordedRequest, Responder
from tests.e2e.helpers import write_config

GIT_ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` (the test's own, with no user config)."""
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}, check=True)
    return proc.stdout


def make_repo(path: Path, files: dict[str, str] | None = None) -> Path:
    """A git repository with one commit of `files`."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    for name, text in (files or {"README.md": "hello\n"}).items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "init")
    return path


def tag(task_id: str) -> str:
    """The marker a task's prompt carries, so the server knows whose request it is."""
    return f"<task {task_id}>"


def _texts(body: dict[str, Any]) -> list[str]:
    out = []
    for item in body.get("input", []):
        if item.get("type") == "message" and item.get("role") == "user":
            out.extend(c.get("text", "") for c in item.get("content", []) if isinstance(c, dict))
    return out


def responder(scripts: dict[str, list[Turn]]) -> Responder:
    """Answer each task's N-th request with its script's N-th turn (N: tool outputs so far).

    Stateless, so tasks may run in any order, be retried, or be run again by a rerun.
    """
    def pick(req: RecordedRequest) -> Turn | None:
        body = req.body
        if not isinstance(body, dict):
            return None
        texts = _texts(body)
        for task_id, turns in scripts.items():
            if any(tag(task_id) in t for t in texts):
                done = sum(1 for i in body.get("input", []) if i.get("type") == "function_call_output")
                return turns[min(done, len(turns) - 1)]
        return sc.http_error(400, '{"error": {"message": "no script for this request"}}')
    return pick


def command_then_answer(cmd: str, answer: str, call_id: str = "c1") -> list[Turn]:
    """One exec_command call, then a final answer."""
    return [sc.turn(sc.function_call("exec_command", {"cmd": cmd}, call_id), sc.completed(input_tokens=100, output_tokens=10)),
            sc.turn(sc.message(answer), sc.completed(input_tokens=120, output_tokens=5))]


def write_tasks(path: Path, tasks: list[dict[str, Any]]) -> Path:
    """A TASKS.jsonl file."""
    path.write_text("".join(json.dumps(t) + "\n" for t in tasks))
    return path


def batch_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a `pycodex batch` subprocess."""
    return {**os.environ, "PYCODEX_HOME": str(home), "MOCK_API_KEY": "test-key", **extra}


def run_batch(home: Path, *args: str | Path, timeout: float = 60,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`pycodex batch ARGS` as a real subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "pycodex.cli.main", "batch", *map(str, args)],
        capture_output=True, text=True, timeout=timeout, env=env or batch_env(home), check=False,
    )


def results(out: Path) -> list[dict[str, Any]]:
    """DIR/results.jsonl."""
    return [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]


__all__ = ["batch_env", "command_then_answer", "git", "make_repo", "responder", "results",
           "run_batch", "tag", "write_config", "write_tasks"]
