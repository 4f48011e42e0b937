"""Files in the sessions tree that are not rollouts, newer than every real session: the CLI
passes over them with a one-line warning, or refuses the one asked for, and never changes them."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import input_texts, run_exec, write_config

ROOT = Path(__file__).parents[2]
META = '{"timestamp": "2099-01-01T00:00:00.000Z", "type": "session_meta", "payload": {"id": "%s", "timestamp": "2099-01-01T00:00:00Z", "cwd": "/w"}}\n'


def _garbage(tid: str) -> dict[str, bytes]:
    rng = random.Random(7)
    real = (META % tid).encode()
    return {
        # Bad input: random bytes (not UTF-8, a few newlines by chance).
        "random": rng.randbytes(5000),
        # Bad input: a gzip-compressed rollout, cut off mid-stream.
        "gzip": gzip.compress(real * 50)[:90],
        # Bad input: a rollout in Latin-1 (not UTF-8): an accented letter in its first line.
        "latin1": (META % tid).replace("/w", "/caf\u00e9").encode("latin-1"),
        # Bad input: text that is not JSONL, then a real session_meta line, then a cut-off line —
        # a tolerant reader finds the meta; repairing the "torn" tail would truncate the file.
        "prose": b"these are my notes, not a rollout\n" + real + b"and no newline at the end",
    }


GARBAGE_IDS = {kind: f"0199eeee-0000-7000-8000-00000000000{n}"
               for n, kind in enumerate(["random", "gzip", "latin1", "prose"])}
EXPECTED = {"random": "it is not UTF-8 text", "gzip": "it is gzip data, not JSONL",
            "latin1": "it is not UTF-8 text",
            "prose": "it is not JSONL (its first line is not JSON)"}


@pytest.fixture
def home_with_garbage(tmp_path: Path) -> tuple[Path, Path, str, dict[str, Path]]:
    """A real session made by `pycodex exec`, then four non-rollouts that sort (and are) newer."""
    home, ws = tmp_path / "home", tmp_path / "ws"
    ws.mkdir()
    with ScriptedModelServer([sc.turn(sc.message("first answer"), sc.completed())]) as srv:
        write_config(home, srv.base_url)
        first = run_exec(home, ws, "first question")
    assert first.code == 0, first.stderr
    thread = first.events()[0]["thread_id"]
    day = home / "sessions" / "2099" / "01" / "01"
    day.mkdir(parents=True)
    files = {}
    for n, (kind, tid) in enumerate(GARBAGE_IDS.items()):
        files[kind] = day / f"rollout-2099-01-01T00-00-0{n}-{tid}.jsonl"
        files[kind].write_bytes(_garbage(tid)[kind])
    return home, ws, thread, files


def _digests(files: dict[str, Path]) -> dict[str, str]:
    return {k: hashlib.sha256(p.read_bytes()).hexdigest() for k, p in files.items()}


def _pycodex(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYCODEX_HOME": str(home), "MOCK_API_KEY": "k"}
    return subprocess.run([sys.executable, "-m", "pycodex.cli.main", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=60, check=False)


def _warnings(stderr: str, files: dict[str, Path]) -> None:
    """stderr is exactly one warning line per non-rollout, newest first, and nothing else."""
    expected = [f"Warning: skipping {files[k]}: {EXPECTED[k]}" for k in reversed(list(files))]
    assert stderr.splitlines() == expected, stderr


def test_sessions_list_skips_them_with_one_warning_each(home_with_garbage: tuple[Path, Path, str, dict[str, Path]]) -> None:
    home, _, thread, files = home_with_garbage
    before = _digests(files)
    proc = _pycodex(home, "sessions", "list", "--json")
    assert proc.returncode == 0
    _warnings(proc.stderr, files)
    assert [json.loads(line)["thread_id"] for line in proc.stdout.splitlines()] == [thread]
    assert _digests(files) == before


def test_sessions_show_refuses_each_with_one_line(home_with_garbage: tuple[Path, Path, str, dict[str, Path]]) -> None:
    home, _, _, files = home_with_garbage
    before = _digests(files)
    for kind, tid in GARBAGE_IDS.items():
        proc = _pycodex(home, "sessions", "show", tid)
        assert proc.returncode == 1 and proc.stdout == ""
        assert proc.stderr.splitlines() == [f"Error: {files[kind]} is not a session rollout: {EXPECTED[kind]}"]
    assert _digests(files) == before


def test_exec_resume_last_picks_the_newest_real_session(home_with_garbage: tuple[Path, Path, str, dict[str, Path]]) -> None:
    home, ws, thread, files = home_with_garbage
    before = _digests(files)
    with ScriptedModelServer([sc.turn(sc.message("second answer"), sc.completed())]) as srv:
        write_config(home, srv.base_url)
        run = run_exec(home, ws, "resume", "--last", "second question")
    assert run.code == 0, run.stderr
    _warnings(run.stderr, files)
    assert run.events()[0]["thread_id"] == thread
    assert "first question" in input_texts(srv.requests[0].body)
    assert _digests(files) == before


def test_exec_resume_by_id_refuses_each_untouched(home_with_garbage: tuple[Path, Path, str, dict[str, Path]]) -> None:
    home, ws, _, files = home_with_garbage
    before = _digests(files)
    with ScriptedModelServer([]) as srv:
        write_config(home, srv.base_url)
        for kind, tid in GARBAGE_IDS.items():
            run = run_exec(home, ws, "resume", tid, "go on")
            assert run.code == 1 and run.stdout == ""
            assert run.stderr.splitlines() == [f"Error: {files[kind]} is not a session rollout: {EXPECTED[kind]}"]
    assert srv.requests == []
    assert _digests(files) == before
    assert not list(files["prose"].parent.glob("*.torn"))  # no repair was attempted


async def test_recorder_refuses_to_resume_a_non_rollout_before_repairing_it(tmp_path: Path) -> None:
    """Bad input tried: prose, a session_meta line, then an unterminated line (looks torn)."""
    from pycodex.rollout.recorder import RolloutRecorder
    from pycodex.rollout.validate import NotARolloutError

    path = tmp_path / "rollout-2099-01-01T00-00-00-x.jsonl"
    path.write_bytes(_garbage("x")["prose"])
    before = path.read_bytes()
    with pytest.raises(NotARolloutError, match="its first line is not JSON"):
        await RolloutRecorder.resume(path)
    assert path.read_bytes() == before and not path.with_name(path.name + ".torn").exists()


def test_a_line_that_is_not_utf8_inside_a_rollout_is_skipped(tmp_path: Path) -> None:
    """Bad input tried: one Latin-1 line between two good lines of a real rollout."""
    from pycodex.rollout.reader import load_rollout

    msg = '{"timestamp": "t", "type": "response_item", "payload": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "%s"}]}}\n'
    path = tmp_path / "r.jsonl"
    path.write_bytes((META % "t1").encode() + (msg % "caf\u00e9").encode("latin-1") + (msg % "ok").encode())
    loaded = load_rollout(path)
    assert loaded.meta is not None and loaded.skipped == 1
    assert [i.payload.text() for i in loaded.items] == ["ok"]
