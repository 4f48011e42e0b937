"""Running pycodex for real against the scripted model server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from pycodex.protocol.schema import generate_schemas

_EXEC_SCHEMA = generate_schemas()["exec-events.schema.json"]


def write_config(home: Path, base_url: str, *, wire_api: str = "responses", model: str = "gpt-5.5",
                 stream_max_retries: int = 0, extra: str = "") -> None:
    """A config that points pycodex at the scripted server."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f'model = "{model}"\nmodel_provider = "mock"\n{extra}\n'
        "[model_providers.mock]\n"
        'name = "mock"\n'
        f'base_url = "{base_url}"\n'
        f'wire_api = "{wire_api}"\n'
        'env_key = "MOCK_API_KEY"\n'
        "request_max_retries = 0\n"
        f"stream_max_retries = {stream_max_retries}\n"
    )


@dataclass
class ExecRun:
    code: int
    stdout: str
    stderr: str

    def events(self) -> list[dict[str, Any]]:
        """The JSONL lines, each validated against the published schema."""
        out = []
        for line in self.stdout.splitlines():
            obj = json.loads(line)
            jsonschema.validate(obj, _EXEC_SCHEMA)
            out.append(obj)
        return out

    def items(self, kind: str) -> list[dict[str, Any]]:
        """Completed items of one type."""
        return [e["item"] for e in self.events() if e["type"] == "item.completed" and e["item"]["type"] == kind]


def run_exec(home: Path, ws: Path, *args: str, stdin: str | None = None, timeout: float = 60,
             env: dict[str, str] | None = None) -> ExecRun:
    """`pycodex exec --json --skip-git-repo-check -C ws ARGS` as a real subprocess."""
    full_env = {**os.environ, "PYCODEX_HOME": str(home), "MOCK_API_KEY": "test-key"}
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "pycodex.cli.main", "exec", "--json", "--skip-git-repo-check",
         "-C", str(ws), *args],
        input=stdin, capture_output=True, text=True, timeout=timeout, env=full_env, check=False,
        # Without input, stdin is empty rather than the test runner's: exec appends piped stdin.
        **({"stdin": subprocess.DEVNULL} if stdin is None else {}),
    )
    return ExecRun(proc.returncode, proc.stdout, proc.stderr)


def input_texts(body: dict[str, Any]) -> list[str]:
    """Every text in a Responses request's input, in order."""
    out = []
    for item in body.get("input", []):
        if item.get("type") == "message":
            out.extend(c.get("text", "") for c in item["content"] if "text" in c)
        elif item.get("type") in ("function_call_output", "custom_tool_call_output"):
            out.append(item["output"])
    return out
