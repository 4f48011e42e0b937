"""`pycodex batch --engine ray` on a real Ray head started on 127.0.0.1 for the test."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pycodex.batch.ray_engine import _collect
from pycodex.batch.results import Status
from pycodex.batch.tasks import parse_tasks
from pycodex.testing.server import ScriptedModelServer
from tests.batch.helpers import (
    batch_env,
    command_then_answer,
    git,
    make_repo,
    responder,
    results,
    run_batch,
    tag,
    write_config,
    write_tasks,
)

# Ray binds every service to the node's address; this keeps that address the loopback one.
# No token auth either: a token left in ~/.ray by some earlier local Ray would turn it on for
# the head but not for a driver that connects to it.
LOOPBACK = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_AUTH_MODE": "disabled"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGTERM, 1), (signal.SIGKILL, 5)):  # some Ray parts ignore TERM
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            proc.poll()  # reap our own child, or the group never looks empty
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


@pytest.fixture(scope="module")
def ray_head() -> Iterator[str]:
    """`ray start --head` on 127.0.0.1 (its own process group, stopped after); its address."""
    ray_bin = Path(sys.executable).with_name("ray")
    if not ray_bin.exists():
        pytest.skip("Ray is not installed here (pip install -e '.[dev]' brings it)")
    temp = Path(tempfile.mkdtemp(prefix="pcr", dir="/tmp"))  # Ray's socket paths must be short
    port = _free_port()
    log = temp / "head.log"
    with log.open("wb") as f:
        proc = subprocess.Popen(
            [str(ray_bin), "start", "--head", "--block", "--port", str(port),
             "--node-ip-address", "127.0.0.1", "--num-cpus", "2", "--include-dashboard=false",
             "--disable-usage-stats", "--temp-dir", str(temp)],
            stdout=f, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, **LOOPBACK},
        )
    try:
        deadline = time.monotonic() + 60
        while b"Ray runtime started" not in log.read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace").strip().splitlines()[-3:]
                pytest.skip(f"Ray cannot start here: {' | '.join(tail) or 'no output'}")
            time.sleep(0.2)
        yield f"127.0.0.1:{port}"
    finally:
        _kill_group(proc)
        shutil.rmtree(temp, ignore_errors=True)


def _kill_worker_once(flag: Path) -> str:
    """A command that SIGKILLs the Ray worker running it, the first time only."""
    return (f"if [ ! -e {flag} ]; then touch {flag}; p=$$; while [ \"$p\" -gt 1 ]; do "
            "p=$(awk '{print $4}' /proc/$p/stat); "
            "case \"$(tr '\\0' ' ' < /proc/$p/cmdline)\" in ray::*) kill -9 $p; sleep 5;; esac; "
            "done; fi; echo survived")


def test_the_same_batch_on_a_ray_head(ray_head: str, tmp_path: Path) -> None:
    """Three tasks on a local repository, one on a git URL cloned on the worker, and one whose
    worker dies mid-task (bad input: a worker SIGKILLed; Ray runs the task again)."""
    repo = make_repo(tmp_path / "repo", {"README.md": "hello\n"})
    origin = make_repo(tmp_path / "origin", {"lib.txt": "v1\n"})
    head = git(repo, "rev-parse", "HEAD")
    flag = tmp_path / "killed-once"
    scripts = {f"r{i}": command_then_answer(f"echo ray-{i} >> README.md", f"ray {i}") for i in range(3)}
    scripts["url"] = command_then_answer("echo v2 > lib.txt", "cloned and changed")
    scripts["crash"] = command_then_answer(_kill_worker_once(flag), "after the crash")
    lines = [{"id": f"r{i}", "prompt": f"{tag(f'r{i}')} go", "workspace": "repo"} for i in range(3)]
    lines.append({"id": "url", "prompt": f"{tag('url')} go", "workspace": f"file://{origin}"})
    lines.append({"id": "crash", "prompt": f"{tag('crash')} go", "workspace": "repo",
                  "config": {"sandbox_mode": "danger-full-access"}})
    tasks = write_tasks(tmp_path / "tasks.jsonl", lines)
    out, home = tmp_path / "out", tmp_path / "home"
    with ScriptedModelServer(responder=responder(scripts)) as srv:
        write_config(home, srv.base_url)
        proc = run_batch(
            home, tasks, "--out", out, "--engine", "ray", "--ray-address", ray_head,
            "--ray-num-cpus", "1", "--ray-max-retries", "1", "--full-auto",
            # The head was started without these: the driver hands them to its workers.
            "--ray-env", "PYCODEX_HOME", "--ray-env", "MOCK_API_KEY",
            timeout=120, env=batch_env(home, **LOOPBACK),
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr
        got = {r["id"]: r for r in results(out)}
        assert [r["id"] for r in results(out)] == ["r0", "r1", "r2", "url", "crash"]
        for i in range(3):
            assert got[f"r{i}"]["status"] == "completed" and got[f"r{i}"]["final_message"] == f"ray {i}"
            assert f"+ray-{i}" in (out / f"r{i}" / "changes.diff").read_text()
            events = (out / f"r{i}" / "events.jsonl").read_text().splitlines()
            assert json.loads(events[-1])["type"] == "turn.completed"
        assert got["url"]["status"] == "completed"
        assert "+v2" in (out / "url" / "changes.diff").read_text()
        assert got["crash"]["status"] == "completed" and got["crash"]["final_message"] == "after the crash"
        assert flag.exists()  # the first attempt's worker really died
        assert git(repo, "rev-parse", "HEAD") == head and git(repo, "status", "--porcelain") == ""
        assert (origin / "lib.txt").read_text() == "v1\n"

        requests = len(srv.requests)
        again = run_batch(home, tasks, "--out", out, "--engine", "ray", "--ray-address", ray_head,
                          "--full-auto", timeout=60, env=batch_env(home, **LOOPBACK))
        assert again.returncode == 0, again.stdout + again.stderr
        assert len(srv.requests) == requests  # all completed: Ray is not even asked
        assert "0 to run, 5 already completed" in again.stdout


def test_a_worker_without_the_drivers_folder_sends_its_artifacts_back(tmp_path: Path) -> None:
    """A multi-node worker cannot see --out: the driver writes what the worker returned."""
    task = parse_tasks(json.dumps({"id": "far", "prompt": "p", "workspace": "w"})).tasks[0]
    payload = {"result": {"id": "far", "status": "completed", "final_message": "hi"},
               "shared": False, "events.jsonl": b'{"type":"turn.started"}\n', "changes.diff": b"diff\n"}
    result = _collect(payload, task, 1, tmp_path)
    assert result.status is Status.COMPLETED and result.final_message == "hi"
    assert (tmp_path / "far" / "events.jsonl").read_bytes() == b'{"type":"turn.started"}\n'
    assert (tmp_path / "far" / "changes.diff").read_bytes() == b"diff\n"
    assert json.loads((tmp_path / "far" / "result.json").read_text())["final_message"] == "hi"
    # A task Ray gave up on (its worker died past the retries) is a failed result, one line.
    crashed = _collect(RuntimeError("worker died\nThe actor or task crashed"), task, 1, tmp_path)
    assert crashed.status is Status.FAILED
    assert crashed.error == "ray: RuntimeError: The actor or task crashed"


def test_an_unreachable_cluster_or_no_ray_is_one_line_at_once(tmp_path: Path) -> None:
    """Bad input: a --ray-address nothing listens on (Ray itself would retry for minutes), and
    a Python without Ray (a `ray` package that fails to import stands in for it)."""
    make_repo(tmp_path / "repo")
    tasks = write_tasks(tmp_path / "tasks.jsonl", [{"id": "t", "prompt": "p", "workspace": "repo"}])
    home = tmp_path / "home"
    write_config(home, "http://127.0.0.1:9/v1")
    t0 = time.monotonic()
    proc = run_batch(home, tasks, "--out", tmp_path / "out", "--engine", "ray",
                     "--ray-address", f"127.0.0.1:{_free_port()}", env=batch_env(home, **LOOPBACK))
    assert proc.returncode == 2 and time.monotonic() - t0 < 15
    assert proc.stderr.strip().splitlines()[-1].startswith("Error: cannot reach the Ray cluster at 127.0.0.1:")
    assert "Traceback" not in proc.stderr

    fake = tmp_path / "no-ray" / "ray"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('No module named ray')\n")
    env = batch_env(home, PYTHONPATH=os.pathsep.join([str(fake.parent), os.environ.get("PYTHONPATH", "")]))
    proc = run_batch(home, tasks, "--out", tmp_path / "out", "--engine", "ray", env=env)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "Error: the ray engine needs Ray: pip install 'pycodex[ray]'"
