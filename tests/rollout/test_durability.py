"""What the rollout promises to survive a power cut, observed as real fsync calls (strace)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

needs_strace = pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")

_CREATE = (
    "import asyncio, sys; from pathlib import Path\n"
    "from pycodex.protocol.rollout import SessionMeta\n"
    "from pycodex.rollout.recorder import RolloutRecorder\n"
    "meta = SessionMeta(id=sys.argv[2], timestamp='2026-01-01T00:00:00.000Z', cwd=Path('/w'))\n"
    "async def main():\n"
    "    rec = await RolloutRecorder.create(Path(sys.argv[1]), sys.argv[2], meta)\n"
    "    print(rec.path, flush=True)\n"
    "    await rec.shutdown()\n"
    "asyncio.run(main())\n"
)


def _fsynced_paths(home: Path, thread_id: str, tmp: Path) -> tuple[Path, list[str]]:
    """Create a rollout in a real child process under strace; the paths of every fd it fsynced
    before printing the file's name (shutdown's own fsync comes after and is not counted)."""
    log = tmp / f"strace-{thread_id}.log"
    proc = subprocess.run(
        ["strace", "-f", "-qq", "-y", "-e", "trace=fsync,fdatasync,write", "-o", str(log),
         sys.executable, "-c", _CREATE, str(home), thread_id],
        capture_output=True, text=True, check=True, timeout=60,
    )
    path = Path(proc.stdout.strip())
    synced: list[str] = []
    for line in log.read_text().splitlines():
        if re.search(r"write\(1<", line):
            break  # the path was printed: create() has returned
        m = re.search(r"f(?:data)?sync\(\d+<(.*)>\)\s+=\s+0", line)
        if m:
            synced.append(m.group(1))
    return path, synced


@needs_strace
def test_new_rollout_file_and_every_new_directory_are_fsynced(tmp_path: Path) -> None:
    home = tmp_path / "home"  # does not exist yet: home, sessions, YYYY, MM and DD are all new
    path, synced = _fsynced_paths(home, "0199aaaa-0000-7000-8000-000000000001", tmp_path)
    day = path.parent
    # The file (its session_meta line), the day directory (the file's name), and the parent of
    # each directory create() had to make (their names) — so a power cut loses none of them.
    expected = {str(path), str(day), str(day.parent), str(day.parent.parent),
                str(home / "sessions"), str(home), str(tmp_path)}
    assert expected <= set(synced), synced


@needs_strace
def test_second_rollout_the_same_day_fsyncs_only_its_directory(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _fsynced_paths(home, "0199aaaa-0000-7000-8000-000000000001", tmp_path)
    path, synced = _fsynced_paths(home, "0199aaaa-0000-7000-8000-000000000002", tmp_path)
    assert set(synced) == {str(path), str(path.parent)}, synced
