"""Real sandboxed runs under workspace-write, on each backend (bubblewrap, Landlock):
every escape attempt named, none succeeds."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from pycodex.exec.env import ShellEnvironmentPolicy, build_env
from pycodex.exec.sandbox.select import wrap_command
from pycodex.protocol.policies import ReadOnly, WorkspaceWrite

pytestmark = pytest.mark.usefixtures("backend")  # every test, on each backend


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    w = tmp_path / "ws"
    (w / ".git").mkdir(parents=True)
    (w / ".git" / "config").write_text("[core]\n")
    return w


def run(ws: Path, script: str, policy: object = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    argv = wrap_command(["bash", "-c", script], policy or WorkspaceWrite(exclude_slash_tmp=True), ws)  # type: ignore[arg-type]
    return subprocess.run(argv, capture_output=True, text=True, env=env or {"PATH": os.environ["PATH"]}, timeout=30, check=False)


def test_write_inside_workspace_works(ws: Path) -> None:
    assert run(ws, "echo ok > inside.txt").returncode == 0
    assert (ws / "inside.txt").read_text() == "ok\n"


def test_escape_write_to_home(ws: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    assert run(ws, f"echo x > {home}/pwned").returncode != 0
    assert not (home / "pwned").exists()


def test_escape_write_outside_workspace(ws: Path, tmp_path: Path) -> None:
    assert run(ws, f"echo x > {tmp_path}/outside.txt").returncode != 0
    assert not (tmp_path / "outside.txt").exists()


def test_escape_through_symlink_pointing_outside(ws: Path, tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    (ws / "link").symlink_to(target)
    assert run(ws, "echo x > link/pwned").returncode != 0
    assert not (target / "pwned").exists()


def test_escape_via_proc_self_root(ws: Path, tmp_path: Path) -> None:
    assert run(ws, f"echo x > /proc/self/root{tmp_path}/viaproc").returncode != 0
    assert not (tmp_path / "viaproc").exists()


def test_escape_modify_git_config(ws: Path, backend: str) -> None:
    if backend == "landlock":
        pytest.skip("Landlock only adds rights: .git inside a writable root cannot be made read-only")
    assert run(ws, "echo '[evil]' >> .git/config").returncode != 0
    assert (ws / ".git" / "config").read_text() == "[core]\n"


def _listener() -> tuple[socket.socket, int, list[bool]]:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(5)
    hit: list[bool] = []

    def accept() -> None:
        try:
            conn, _ = srv.accept()
            hit.append(True)
            conn.close()
        except OSError:
            pass

    threading.Thread(target=accept, daemon=True).start()
    return srv, srv.getsockname()[1], hit


def test_escape_connect_to_loopback_listener(ws: Path) -> None:
    srv, port, hit = _listener()
    try:
        r = run(ws, f"exec 3<>/dev/tcp/127.0.0.1/{port} && echo connected")
        assert r.returncode != 0 and "connected" not in r.stdout and not hit
    finally:
        srv.close()


def test_network_access_true_allows_loopback(ws: Path) -> None:
    srv, port, _ = _listener()
    try:
        r = run(ws, f"exec 3<>/dev/tcp/127.0.0.1/{port} && echo connected", WorkspaceWrite(network_access=True))
        assert "connected" in r.stdout
    finally:
        srv.close()


def test_escape_read_api_key_from_environment(ws: Path) -> None:
    env = build_env(ShellEnvironmentPolicy(), {"PATH": os.environ["PATH"], "OPENAI_API_KEY": "sk-secret"}, ["OPENAI_API_KEY"])
    r = run(ws, "echo key=$OPENAI_API_KEY", env=env)
    assert "sk-secret" not in r.stdout


def test_read_only_blocks_all_writes(ws: Path) -> None:
    assert run(ws, "echo x > inside.txt", ReadOnly()).returncode != 0
    assert not (ws / "inside.txt").exists()
