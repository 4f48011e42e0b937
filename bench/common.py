"""Shared benchmark helpers: the real Codex from npm, a scripted server process, paired timing."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
CACHE = ROOT / ".cache" / "npm"
CODEX_VERSION = "0.169.0"

# Bytecode caches, as an installed pycodex has them: with PYTHONDONTWRITEBYTECODE (set in some
# sandboxes) a checkout compiles its ~100 modules from source at every start, ~85 ms of a
# 0.4 s app-server start here, which no installed copy pays. Every child process inherits this.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src" / "pycodex")],
               check=False, stdout=subprocess.DEVNULL)


# How a user's `pycodex` starts: the console script's entry module (`pycodex.cli.entry`), which
# runs `apply-patch` without click and hands everything else to the click group.
PYCODEX = [sys.executable, "-m", "pycodex.cli.entry"]


# The Python floor every benchmark reports beside Codex: how far a path is from what Python
# itself allows. BARE is the interpreter starting and stopping; STDLIB_CLIENT is a client using
# only the standard library that sends the same request and parses the same SSE stream
# (each event's JSON decoded), with nothing else.
BARE = [sys.executable, "-c", "pass"]
STDLIB_CLIENT = r"""
import http.client, json, sys, urllib.parse
url = urllib.parse.urlsplit(sys.argv[1] + "/responses")
conn = http.client.HTTPConnection(url.hostname, url.port)
conn.request("POST", url.path, body=b'{"input": []}', headers={"content-type": "application/json"})
n = 0
for line in conn.getresponse():  # the stream ends when the server closes it
    if line.startswith(b"data:"):
        json.loads(line[5:])
        n += 1
"""


def stdlib_client_argv(base_url: str) -> list[str]:
    """The stdlib-only floor client against `base_url`."""
    return [sys.executable, "-c", STDLIB_CLIENT, base_url]


def python_floor(spec: str, runs: int = 5) -> dict[str, float]:
    """Median seconds of the bare interpreter and of the stdlib-only client against a server of
    its own playing `spec` (so the benchmark's own scripted turns are not consumed)."""
    with ServerProcess(spec) as srv:
        bare = [run_timed(BARE)[0] for _ in range(runs)]
        client = [run_timed(stdlib_client_argv(srv.base_url))[0] for _ in range(runs)]
    return {"bare interpreter": statistics.median(bare), "stdlib client": statistics.median(client)}


def print_floor(floor: dict[str, float], what: str) -> None:
    """The floor lines of a report."""
    for name, seconds in floor.items():
        print(f"Python floor, {name}{' (' + what + ')' if name == 'stdlib client' else ''}: {seconds:.3f} s")


def codex_binary() -> Path | None:
    """The real Codex CLI (installed into .cache/npm by scripts/setup-tests.sh), or None."""
    p = CACHE / "node_modules" / ".bin" / "codex"
    if not p.exists() and subprocess.run(["which", "npm"], capture_output=True).returncode == 0:
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent", f"@openai/codex@{CODEX_VERSION}"],
                       cwd=CACHE, capture_output=True, check=False)
    return p if p.exists() else None


def codex_native() -> Path | None:
    """The native codex executable inside the npm package (for arg0 tools like apply_patch)."""
    hits = list((CACHE / "node_modules" / "@openai").glob("codex-linux-*/vendor/*/bin/codex"))
    return hits[0] if hits else None


class ServerProcess:
    """`python -m pycodex.testing.server --scenario SPEC --repeat` in its own process."""

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.base_url = ""
        self.proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> ServerProcess:
        self.proc = subprocess.Popen([sys.executable, "-m", "pycodex.testing.server", "--scenario", self.spec, "--repeat"],
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.base_url = json.loads(self.proc.stdout.readline())["base_url"]
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()


def run_timed(argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None,
              stdin: bytes | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process; raises on failure."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    assert proc.stdin is not None and proc.stderr is not None
    if stdin:
        proc.stdin.write(stdin)
    proc.stdin.close()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{argv[:4]} failed: {err.decode(errors='replace')[-500:]}")
    return wall, usage.ru_maxrss / 1024


def codex_config_args(base_url: str) -> list[str]:
    """Codex `--config` flags for an offline run against the scripted server."""
    out: list[str] = []
    for c in ["analytics.enabled=false", "features.plugins=false", "check_for_update_on_startup=false",
              'model_provider="mock"', 'model_providers.mock.name="mock"', f'model_providers.mock.base_url="{base_url}"',
              'model_providers.mock.wire_api="responses"', 'model_providers.mock.env_key="MOCK_API_KEY"',
              "model_providers.mock.request_max_retries=0", "model_providers.mock.stream_max_retries=0",
              "model_providers.mock.supports_websockets=false"]:
        out += ["--config", c]
    return out


def pycodex_exec_argv(ws: Path, *args: str) -> list[str]:
    """`pycodex exec --json` with no sandbox, in `ws`."""
    return [*PYCODEX, "exec", "--json", "--skip-git-repo-check",
            "--dangerously-bypass-approvals-and-sandbox", "-C", str(ws), *args]


def codex_exec_argv(codex: Path, ws: Path, base_url: str, *args: str) -> list[str]:
    """The real `codex exec --json` against the scripted server, with no sandbox, in `ws`."""
    return [str(codex), "exec", "--json", "--skip-git-repo-check", "--model", "gpt-5.5",
            "--dangerously-bypass-approvals-and-sandbox", "-C", str(ws), *codex_config_args(base_url), *args]


def pycodex_config(home: Path, base_url: str) -> None:
    """A PYCODEX_HOME pointing at the scripted server."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        'model = "gpt-5.5"\nmodel_provider = "mock"\n[model_providers.mock]\nname = "mock"\n'
        f'base_url = "{base_url}"\nwire_api = "responses"\nenv_key = "MOCK_API_KEY"\n'
        "request_max_retries = 0\nstream_max_retries = 0\n")


def summary(label: str, xs: list[float]) -> str:
    """`label: median [min–max]`."""
    return f"{label}: {statistics.median(xs):.3f} s [{min(xs):.3f}–{max(xs):.3f}]"


def ratio(name: str, value: float) -> None:
    """A machine-readable ratio line (collected by run_all.py)."""
    print(f"RATIO {name} {value:.3f}")
