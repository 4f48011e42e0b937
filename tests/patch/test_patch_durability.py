"""Committing a patch: directories synced after the renames, and honest rollback failures.

Every test here runs pycodex as a real process: the directory syncs are observed with strace,
and the failures are real ones the kernel raises, even as root (a file size limit, a path
whose parent is a regular file), not simulated errors.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import write_config

B, E = "*** Begin Patch\n", "*** End Patch\n"
PYCODEX = [sys.executable, "-m", "pycodex.cli.main"]
# Big enough that restoring it breaks a 64 KiB file size limit; the patch shrinks it to one line.
BIG_LINES = [f"original line {i:05d} of a file too big to restore" for i in range(2000)]
FSIZE_LIMIT = 64 * 1024


def _fsize_limited(argv: list[str], limit: int) -> list[str]:
    """`argv` run with RLIMIT_FSIZE = limit: writing a file past it fails with EFBIG, root or not.

    (Python ignores SIGXFSZ, so the write raises OSError instead of killing the process.)
    """
    boot = (
        "import os, resource, sys; "
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit})); "
        "os.execv(sys.argv[1], sys.argv[1:])"
    )
    return [sys.executable, "-c", boot, *argv]


def _shrink_and_fail_patch() -> str:
    """Shrinks big.txt to one line (a small write that succeeds), then adds a file under
    `blocker`, a regular file, which fails; restoring big.txt then breaks the size limit."""
    removed = "".join(f"-{line}\n" for line in BIG_LINES)
    return B + "*** Update File: big.txt\n@@\n" + removed + "+short\n*** Add File: blocker/x.txt\n+x\n" + E


def _setup_rollback_case(ws: Path) -> None:
    ws.mkdir(parents=True, exist_ok=True)
    (ws / "big.txt").write_text("".join(line + "\n" for line in BIG_LINES))
    (ws / "blocker").write_text("a regular file where the patch needs a directory\n")


def test_rollback_failure_names_the_file_and_why(tmp_path: Path) -> None:
    """Bad input tried: a patch whose second file cannot be written (its parent is a regular
    file) while the first file, already written, cannot be restored (file size limit)."""
    _setup_rollback_case(tmp_path)
    proc = subprocess.run(
        _fsize_limited([*PYCODEX, "apply-patch"], FSIZE_LIMIT), input=_shrink_and_fail_patch(),
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=60,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines == [
        "failed to write blocker/x.txt: Not a directory; the rollback was incomplete: big.txt could "
        "not be restored and keeps the patch's new content (File too large); every other file was restored"
    ]
    assert (tmp_path / "big.txt").read_text() == "short\n"  # what the message says it holds
    assert not list(tmp_path.rglob("*.pycodex-tmp"))


def test_rollback_failure_reaches_the_model(tmp_path: Path) -> None:
    """Bad input tried: the same unrestorable patch sent by the model as an apply_patch call;
    the tool output the model reads must name big.txt and must not claim nothing changed."""
    ws, home = tmp_path / "ws", tmp_path / "home"
    _setup_rollback_case(ws)
    turns = [sc.turn(sc.custom_tool_call("apply_patch", _shrink_and_fail_patch(), "p1"), sc.completed()),
             sc.turn(sc.message("noted"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        write_config(home, srv.base_url)
        argv = [*PYCODEX, "exec", "--json", "--ephemeral", "--skip-git-repo-check",
                "--dangerously-bypass-approvals-and-sandbox", "-C", str(ws), "go"]
        env = {**os.environ, "PYCODEX_HOME": str(home), "MOCK_API_KEY": "test-key"}
        proc = subprocess.run(_fsize_limited(argv, FSIZE_LIMIT), capture_output=True, text=True,
                              env=env, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    outputs = {i["call_id"]: i["output"] for i in srv.requests[1].body["input"]
               if i["type"] == "custom_tool_call_output"}
    out = outputs["p1"]
    assert out.startswith("Exit code: 1\n")
    assert "big.txt could not be restored and keeps the patch's new content (File too large)" in out
    assert "no file was changed" not in out.lower() and "no files were changed" not in out.lower()
    assert (ws / "big.txt").read_text() == "short\n"


def _strace_works() -> bool:
    if shutil.which("strace") is None:
        return False
    probe = subprocess.run(["strace", "-o", os.devnull, "true"], capture_output=True, check=False)
    return probe.returncode == 0


@pytest.mark.skipif(not _strace_works(), reason="strace is missing or ptrace is not permitted here")
def test_directories_synced_after_the_renames(tmp_path: Path) -> None:
    """Every directory whose entries the patch changed is fsynced after its last rename/unlink
    (an update, an add into new directories, a delete and a move), observed with strace."""
    ws = (tmp_path / "ws").resolve()
    (ws / "d").mkdir(parents=True)
    (ws / "m").mkdir()
    (ws / "a.txt").write_text("a\n")
    (ws / "d" / "old.txt").write_text("old\n")
    (ws / "m" / "from.txt").write_text("f\n")
    patch = (B + "*** Update File: a.txt\n@@\n-a\n+A\n*** Add File: sub/new/x.txt\n+x\n"
             "*** Delete File: d/old.txt\n*** Update File: m/from.txt\n*** Move to: to/moved.txt\n@@\n-f\n+F\n" + E)
    trace = tmp_path / "trace.txt"
    proc = subprocess.run(
        ["strace", "-f", "-qq", "-y", "-o", str(trace), "-e",
         "trace=openat,fsync,rename,renameat,renameat2,unlink,unlinkat,rmdir,mkdir,mkdirat",
         *PYCODEX, "apply-patch"],
        input=patch, cwd=ws, capture_output=True, text=True, check=False, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    calls = [re.sub(r"^\d+\s+", "", line) for line in trace.read_text().splitlines()]
    changed = [i for i, c in enumerate(calls) if re.match(r"(rename|renameat2?|unlink|unlinkat)\(", c)
               and str(ws) in c]
    assert changed, "the patch renamed and unlinked nothing?"
    last_change = changed[-1]
    # `-y` prints the path behind each descriptor: `fsync(7</tmp/.../ws/d>) = 0`.
    synced = {m.group(1) for c in calls[last_change + 1:] if (m := re.match(r"fsync\(\d+<([^>]+)>\)\s*=\s*0", c))}
    expected = {str(ws), str(ws / "sub"), str(ws / "sub" / "new"), str(ws / "d"), str(ws / "m"), str(ws / "to")}
    assert expected <= synced, f"not synced: {sorted(expected - synced)}"
