"""Chained escapes, on each backend: one sandboxed step prepares, a later step triggers.

Every case is a real session (scripted model, `workspace-write`, approval `never`) whose model
runs the steps as tool calls; the test then checks that nothing outside the writable roots
changed. Bad input throughout: commands and patches written by a hostile model.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from pycodex.config.config import CliOverrides, load_config
from pycodex.protocol.policies import AskForApproval, SandboxMode
from pycodex.session.conversation import ConversationManager
from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import run_exec, write_config

NO_TMP = "[sandbox_workspace_write]\nexclude_slash_tmp = true\nexclude_tmpdir_env_var = true\n"


pytestmark = pytest.mark.usefixtures("backend")  # every test, on each backend


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    ws, outside = tmp_path / "ws", tmp_path / "outside"
    ws.mkdir()
    outside.mkdir()
    return ws, outside


def _call(step: dict[str, Any] | str, i: int) -> list[Any]:
    if isinstance(step, str):
        return sc.function_call("exec_command", {"cmd": step}, f"c{i}")
    return sc.custom_tool_call("apply_patch", step["patch"], f"c{i}")


async def run_steps(tmp_path: Path, ws: Path, steps: list[dict[str, Any] | str], home: Path | None = None) -> list[str]:
    """One session whose model runs each step in turn; returns what the model was told."""
    turns = [sc.turn(_call(s, i), sc.completed()) for i, s in enumerate(steps)]
    turns.append(sc.turn(sc.message("done"), sc.completed()))
    with ScriptedModelServer(turns) as srv:
        cfg_home = tmp_path / "home"
        write_config(cfg_home, srv.base_url, extra=NO_TMP)
        cfg = load_config(
            CliOverrides(cwd=ws, approval_policy=AskForApproval.NEVER, sandbox_mode=SandboxMode.WORKSPACE_WRITE),
            home=cfg_home,
            env={"MOCK_API_KEY": "k", "PATH": os.environ["PATH"], "HOME": str(home or tmp_path)},
        )
        conv = await ConversationManager().new_conversation(cfg)
        try:
            result = await conv.run("go")
        finally:
            await conv.shutdown()
        assert result.error is None, result.error
        outputs = []
        for req in srv.requests[1:]:
            outs = [i["output"] for i in req.body["input"] if i["type"] in ("function_call_output", "custom_tool_call_output")]
            outputs.append(outs[-1])
        return outputs


async def test_snapshot_rewritten_in_tmp_then_sourced(tmp_path: Path, dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    # pycodex used to keep the login snapshot in the temp dir (here inside the workspace) and
    # source it before every command, including known-safe ones it ran unsandboxed.
    ws, outside = dirs
    (ws / "t").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(ws / "t"))
    await run_steps(tmp_path, ws, [
        f"for f in t/* /tmp/pycodex-shell-*; do echo 'touch {outside}/pwned' >> \"$f\"; done; true",
        "ls",
    ])
    assert not (outside / "pwned").exists()


async def test_profile_in_workspace_home_runs_confined(tmp_path: Path, dirs: tuple[Path, Path]) -> None:
    # The workspace is the home directory: a sandboxed step edits ~/.profile; the next
    # session's snapshot runs that profile, and must run it inside the sandbox.
    ws, outside = dirs
    await run_steps(tmp_path, ws, [f"echo 'touch {outside}/pwned' >> .profile; echo 'touch {outside}/pwned2' >> .bashrc"], home=ws)
    await run_steps(tmp_path, ws, ["ls"], home=ws)
    assert not (outside / "pwned").exists() and not (outside / "pwned2").exists()


async def test_repo_config_then_known_safe_git_status(tmp_path: Path, dirs: tuple[Path, Path]) -> None:
    # Step 1 makes a nested repository whose core.fsmonitor runs a payload; step 2 is
    # `git status`, known safe, which used to run without any sandbox.
    ws, outside = dirs
    told = await run_steps(tmp_path, ws, [
        f"mkdir sub && cd sub && git init -q && echo a > f && git config core.fsmonitor 'touch {outside}/pwned; false'",
        "cd sub && git status",
    ])
    assert "Process exited with code 0" in told[0], told[0]
    assert not (outside / "pwned").exists()


async def test_repo_created_during_session_stays_read_only(tmp_path: Path, dirs: tuple[Path, Path], backend: str) -> None:
    # The workspace is not a repository when the session starts; commands try to make one
    # (and a .codex / .pycodex config) that later unsandboxed git or pycodex would trust.
    if backend == "landlock":
        pytest.skip("Landlock only adds rights: it cannot keep a path inside a writable root read-only")
    ws, _ = dirs
    await run_steps(tmp_path, ws, [
        "git init -q .; mkdir -p .git/hooks; echo '#!/bin/sh' > .git/hooks/pre-commit; true",
        "echo '[core]' > .git/config; mkdir -p .codex .pycodex; echo x > .codex/config.toml; echo y > .pycodex/config.toml; true",
        "rm -rf .git; mv .git .git-old; ln -s /tmp .git; true",
    ])
    for name in (".git", ".codex", ".pycodex"):
        path = ws / name
        assert path.is_dir() and not path.is_symlink() and list(path.iterdir()) == [], name
    # The placeholders are plain empty directories: git does not take them for a repository.
    proc = subprocess.run(  # noqa: ASYNC221 - the session is over
        ["git", "rev-parse", "--git-dir"], cwd=ws, capture_output=True, text=True, check=False,
        env={**os.environ, "GIT_CEILING_DIRECTORIES": str(ws.parent)},
    )
    assert proc.returncode != 0


async def test_apply_patch_cannot_write_git_metadata(tmp_path: Path, dirs: tuple[Path, Path]) -> None:
    # apply_patch runs in pycodex itself: a hook or config added through it must be refused,
    # whether or not the repository exists yet, at the top or nested.
    ws, _ = dirs
    (ws / "sub").mkdir()
    told = await run_steps(tmp_path, ws, [
        {"patch": "*** Begin Patch\n*** Add File: .git/hooks/pre-commit\n+#!/bin/sh\n*** End Patch"},
        {"patch": "*** Begin Patch\n*** Add File: sub/.git/config\n+[core]\n*** End Patch"},
        {"patch": "*** Begin Patch\n*** Add File: .codex/config.toml\n+x = 1\n*** End Patch"},
        {"patch": "*** Begin Patch\n*** Add File: ok.txt\n+fine\n*** End Patch"},
    ])
    assert all("rejected" in t for t in told[:3]), told
    assert not (ws / ".git" / "hooks").exists() and not (ws / "sub" / ".git").exists()
    assert not (ws / ".codex" / "config.toml").exists()
    assert (ws / "ok.txt").read_text() == "fine\n"


async def test_planted_module_is_not_imported_by_the_launcher(tmp_path: Path, dirs: tuple[Path, Path]) -> None:
    # The Landlock launcher is a Python process started in the workspace; a package named
    # like pycodex planted there must not be imported before the restriction applies.
    ws, outside = dirs
    payload = f"open({str(outside / 'pwned')!r}, 'w').close()"
    await run_steps(tmp_path, ws, [
        "mkdir -p pycodex/exec/sandbox && touch pycodex/__init__.py pycodex/exec/__init__.py pycodex/exec/sandbox/__init__.py"
        f" && echo \"{payload}\" | tee pycodex/exec/sandbox/landlock_exec.py pycodex/__init__.py >/dev/null",
        "echo more > notes.txt",
    ])
    assert not (outside / "pwned").exists()


async def test_remount_root_read_write(tmp_path: Path, dirs: tuple[Path, Path]) -> None:
    # Run as root, bubblewrap used to keep every capability: remounting / read-write undid it.
    ws, outside = dirs
    await run_steps(tmp_path, ws, [f"mount -o remount,rw,bind / 2>/dev/null; mount -o remount,rw / 2>/dev/null; echo x > {outside}/pwned; true"])
    assert not (outside / "pwned").exists()


async def test_udp_and_signals_do_not_leave_the_sandbox(tmp_path: Path, dirs: tuple[Path, Path]) -> None:
    # Landlock restricts TCP only; UDP must be blocked too. Signals must not reach processes
    # outside the sandbox (bubblewrap: PID namespace; Landlock: signal scoping).
    ws, _ = dirs
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(0.5)
    port = udp.getsockname()[1]
    victim = subprocess.Popen(["sleep", "60"])  # noqa: ASYNC220 - a bystander, not awaited
    try:
        await run_steps(tmp_path, ws, [f"echo hi > /dev/udp/127.0.0.1/{port}; kill -9 {victim.pid}; true"])
        with pytest.raises(TimeoutError):
            udp.recvfrom(16)
        assert victim.poll() is None, "a sandboxed command killed a process outside the sandbox"
    finally:
        udp.close()
        victim.send_signal(signal.SIGKILL)
        victim.wait()


def test_api_key_not_readable_from_any_process_environment(tmp_path: Path, dirs: tuple[Path, Path]) -> None:
    # pycodex holds the model's key in its own environment; with no PID namespace (Landlock)
    # a command could read /proc/<pid>/environ of pycodex or of a helper it forked.
    ws, _ = dirs
    secret = "sk-test-secret-4242"
    script = "for f in /proc/[0-9]*/environ; do tr '\\0' '\\n' < $f 2>/dev/null; done | grep -c " + secret + "; true"
    turns = [sc.turn(sc.function_call("exec_command", {"cmd": script}, "c1"), sc.completed()),
             sc.turn(sc.message("done"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        home = tmp_path / "home"
        write_config(home, srv.base_url, extra=NO_TMP)
        run = run_exec(home, ws, "--sandbox", "workspace-write", "go", env={"MOCK_API_KEY": secret})
        assert run.code == 0, run.stderr
        told = next(i["output"] for i in srv.requests[1].body["input"] if i["type"] == "function_call_output")
    assert secret not in told
    assert told.rstrip().endswith("0"), told


def test_environment_marks_network_disabled(tmp_path: Path, dirs: tuple[Path, Path]) -> None:
    # Tools that check Codex's marker learn that the network is off.
    ws, _ = dirs
    turns = [sc.turn(sc.function_call("exec_command", {"cmd": "echo marker=$CODEX_SANDBOX_NETWORK_DISABLED"}, "c1"), sc.completed()),
             sc.turn(sc.message("done"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        home = tmp_path / "home"
        write_config(home, srv.base_url, extra=NO_TMP)
        run = run_exec(home, ws, "--sandbox", "workspace-write", "go")
        assert run.code == 0, run.stderr
        told = next(i["output"] for i in srv.requests[1].body["input"] if i["type"] == "function_call_output")
    assert "marker=1" in told


def test_pycodex_git_is_not_steered_by_repository_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The turn diff of a big file is made by pycodex's own git, outside the sandbox; a
    # repository a command wrote (attributes + textconv) around it must not run anything.
    from pycodex.context.diff_tracker import BIG_FILE_LINES, TurnDiffTracker

    repo, outside = tmp_path / "repo", tmp_path / "outside"
    outside.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "config", "diff.evil.textconv", f"sh -c 'touch {outside}/pwned; cat \"$0\"'"], check=True)
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "attributes").write_text("* diff=evil\n")
    monkeypatch.chdir(repo)
    monkeypatch.setattr(tempfile, "tempdir", str(repo))
    big = repo / "big.txt"
    big.write_text("".join(f"line {i}\n" for i in range(BIG_FILE_LINES + 10)))
    tracker = TurnDiffTracker(repo)
    tracker.on_patch_begin([big])
    big.write_text("changed\n" + big.read_text())
    diff = tracker.unified_diff()
    assert diff is not None and "+changed" in diff
    assert not (outside / "pwned").exists()



def test_pycodex_helpers_ignore_a_package_planted_in_the_working_directory(tmp_path: Path, dirs: tuple[Path, Path]) -> None:
    # pycodex started in a workspace a command can write: its helper processes (the watchdog,
    # the Landlock launcher) must not import a `pycodex` package planted there, and the
    # watchdog must hold no copy of the environment (the API key).
    ws, outside = dirs
    planted = ws / "pycodex"
    (planted / "exec").mkdir(parents=True)
    payload = f"open({str(outside / 'pwned')!r}, 'w').close()\n"
    for f in (planted / "__init__.py", planted / "exec" / "__init__.py", planted / "exec" / "watchdog.py"):
        f.write_text(payload)
    probe = (
        "import os\n"
        "os.environ['PROBE_SECRET'] = 'sk-probe-secret'\n"
        "from pycodex.exec.watchdog import Watchdog\n"
        "import time\n"
        "w = Watchdog.get()\n"
        # Read once it runs the watchdog: between fork and exec its environment reads empty (or
        # is still the parent's), which made this test fail now and then under load.
        "deadline = time.monotonic() + 30\n"
        "while time.monotonic() < deadline:\n"
        "    cmd = open(f'/proc/{w.pid}/cmdline', 'rb').read()\n"
        "    env = open(f'/proc/{w.pid}/environ', 'rb').read()\n"
        "    if b'\\0pycodex.exec.watchdog\\0' in cmd and env:\n"
        "        break\n"
        "    time.sleep(0.01)\n"
        "print(env.decode(errors='replace').replace(chr(0), ' '))\n"
        "print(os.readlink(f'/proc/{w.pid}/cwd'))\n"
    )
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "python"), "-c", probe], cwd=ws,
        capture_output=True, text=True, timeout=90, check=False,
        env={**os.environ, "PYTHONSAFEPATH": "1"},  # the probe itself must not see the plant
    )
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    environ, cwd = proc.stdout.strip().splitlines()[-2:]
    assert "sk-probe-secret" not in environ, (environ, proc.stderr)
    assert cwd == "/", (cwd, proc.stderr)
    assert not (outside / "pwned").exists()


def test_last_message_file_swapped_for_a_symlink_is_not_followed(tmp_path: Path, dirs: tuple[Path, Path]) -> None:
    # `exec -o last.txt` in the workspace: a command replaces last.txt with a symlink to a file
    # outside the writable roots, or its folder with a symlink to a folder outside, or the file
    # with a FIFO; pycodex writes the model's last message after the run, outside the sandbox,
    # and must neither write through a link nor hang.
    ws, outside = dirs
    victim = outside / "victim.txt"
    victim.write_text("precious\n")
    (ws / "out").mkdir()
    cases = [(ws / "last.txt", f"rm -f last.txt; ln -s {victim} last.txt", True),
             (ws / "fifo.txt", "rm -f fifo.txt; mkfifo fifo.txt", True),
             (ws / "out" / "victim.txt", f"mv out gone; ln -s {outside} out", False)]
    for target, step, refused in cases:
        turns = [sc.turn(sc.function_call("exec_command", {"cmd": step}, "c1"), sc.completed()),
                 sc.turn(sc.message("agent-controlled text"), sc.completed())]
        with ScriptedModelServer(turns) as srv:
            home = tmp_path / "home"
            write_config(home, srv.base_url, extra=NO_TMP)
            run = run_exec(home, ws, "--sandbox", "workspace-write", "-o", str(target), "go", timeout=30)
        assert victim.read_text() == "precious\n", target
        assert "Traceback" not in run.stderr
        errors = [line for line in run.stderr.splitlines() if line.startswith("Error:")]
        if refused:
            assert run.code == 1 and len(errors) == 1 and str(target) in errors[0], run.stderr
        else:  # written into the folder it named when the run began, now moved to gone/
            assert run.code == 0 and errors == [], run.stderr
            assert (ws / "gone" / "victim.txt").read_text() == "agent-controlled text"
