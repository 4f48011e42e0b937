"""`pycodex exec` given what a user gets wrong: each answered in one line, nothing lost."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import input_texts, run_exec, write_config


def test_unwritable_last_message_path_is_refused_before_the_run(tmp_path: Path) -> None:
    """Bad input tried: `-o` into a directory that does not exist (Codex: exit 1, nothing run)."""
    target = tmp_path / "no-such-dir" / "last.txt"
    with ScriptedModelServer([sc.turn(sc.message("an answer that would be lost"), sc.completed())]) as srv:
        write_config(tmp_path / "home", srv.base_url)
        run = run_exec(tmp_path / "home", tmp_path, "-o", str(target), "do the work")
    assert run.code == 1
    assert not srv.requests  # refused before any work is done and then thrown away
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and str(target) in lines[0]
    assert "Traceback" not in run.stderr


def test_last_message_path_that_is_a_directory_is_refused(tmp_path: Path) -> None:
    """Bad input tried: `-o` naming an existing directory."""
    write_config(tmp_path / "home", "http://127.0.0.1:9/v1")
    run = run_exec(tmp_path / "home", tmp_path, "-o", str(tmp_path), "x")
    assert run.code == 1 and run.stdout == ""
    assert run.stderr.strip().splitlines() == [f"Error: cannot write the last message to {tmp_path}: it is a directory"]


def test_resume_without_a_prompt_is_refused_not_a_silent_success(tmp_path: Path) -> None:
    """Bad input tried: `exec resume --last` with no prompt and nothing on stdin (Codex: exit 1)."""
    home = tmp_path / "home"
    with ScriptedModelServer([sc.turn(sc.message("first"), sc.completed())]) as srv:
        write_config(home, srv.base_url)
        assert run_exec(home, tmp_path, "q1").code == 0
        run = run_exec(home, tmp_path, "resume", "--last", stdin="")
    assert run.code == 1 and run.stdout == ""
    assert run.stderr.strip().splitlines() == ["Error: no prompt provided on stdin"]


def test_empty_prompt_argument_is_refused_not_a_silent_success(tmp_path: Path) -> None:
    """Bad input tried: `exec ""` (an empty shell variable as the prompt)."""
    write_config(tmp_path / "home", "http://127.0.0.1:9/v1")
    run = run_exec(tmp_path / "home", tmp_path, "", stdin="")
    assert run.code == 1 and run.stdout == ""
    assert run.stderr.strip().splitlines() == ["Error: the prompt is empty"]


def test_last_without_resume_is_a_usage_error_not_ignored(tmp_path: Path) -> None:
    """Bad input tried: `exec --last PROMPT` (the user forgot `resume`: it started a new session)."""
    write_config(tmp_path / "home", "http://127.0.0.1:9/v1")
    run = run_exec(tmp_path / "home", tmp_path, "--last", "and now the docs")
    assert run.code == 2 and run.stdout == ""
    assert run.stderr.strip().splitlines()[-1] == "Error: --last is an option of `exec resume`"


def _exec_bytes(home: Path, ws: Path, *args: str, stdin: bytes | None,
                shell_prefix: str = "") -> subprocess.CompletedProcess[bytes]:
    """`pycodex exec --json` fed raw bytes (or, with `exec 0<&-`, no stdin at all)."""
    env = {**os.environ, "PYCODEX_HOME": str(home), "MOCK_API_KEY": "test-key"}
    argv = [sys.executable, "-m", "pycodex.cli.main", "exec", "--json", "--skip-git-repo-check",
            "-C", str(ws), *args]
    cmd = ["bash", "-c", f'{shell_prefix} exec "$@"', "bash", *argv]
    return subprocess.run(cmd, input=stdin, capture_output=True, env=env, timeout=60, check=False)


def test_prompt_on_stdin_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    """Bad input tried: a Latin-1 prompt piped into `exec -` (it failed the turn with a traceback)."""
    with ScriptedModelServer([sc.turn(sc.message("unused"), sc.completed())]) as srv:
        write_config(tmp_path / "home", srv.base_url)
        run = _exec_bytes(tmp_path / "home", tmp_path, "-", stdin="caf\u00e9 au lait\n".encode("latin-1"))
    assert run.returncode == 1 and run.stdout == b"" and not srv.requests
    assert run.stderr.decode().strip().splitlines() == [
        "Error: cannot read the prompt from stdin: it is not UTF-8 (invalid byte at offset 3)"]


def test_prompt_dash_with_stdin_closed_is_one_line(tmp_path: Path) -> None:
    """Bad input tried: `exec -` run with file descriptor 0 closed (`<&-`)."""
    write_config(tmp_path / "home", "http://127.0.0.1:9/v1")
    run = _exec_bytes(tmp_path / "home", tmp_path, "-", stdin=None, shell_prefix="exec 0<&-;")
    assert run.returncode == 1 and run.stdout == b""
    assert run.stderr.decode().strip().splitlines() == ["Error: no prompt provided on stdin"]


def test_piped_stdin_is_appended_to_the_prompt_as_codex_does(tmp_path: Path) -> None:
    """Input that was lost: `cat log | exec "summarise this"` sent the prompt without the log."""
    with ScriptedModelServer([sc.turn(sc.message("ok"), sc.completed()),
                              sc.turn(sc.message("ok"), sc.completed())]) as srv:
        write_config(tmp_path / "home", srv.base_url)
        run = run_exec(tmp_path / "home", tmp_path, "summarise this", stdin="line one\nline two")
        assert run.code == 0, run.stderr
        # Resuming with a prompt leaves stdin alone, as Codex 0.169 does.
        again = run_exec(tmp_path / "home", tmp_path, "resume", "--last", "and this", stdin="ignored\n")
        assert again.code == 0, again.stderr
    assert input_texts(srv.requests[0].body)[-1] == "summarise this\n\n<stdin>\nline one\nline two\n</stdin>"
    assert input_texts(srv.requests[1].body)[-1] == "and this"


def test_blank_piped_stdin_leaves_the_prompt_alone(tmp_path: Path) -> None:
    """Codex appends nothing for stdin that is only whitespace; a trailing newline is not doubled."""
    with ScriptedModelServer([sc.turn(sc.message("ok"), sc.completed()),
                              sc.turn(sc.message("ok"), sc.completed())]) as srv:
        write_config(tmp_path / "home", srv.base_url)
        assert run_exec(tmp_path / "home", tmp_path, "p1", stdin=" \n\n").code == 0
        assert run_exec(tmp_path / "home", tmp_path, "p2", stdin="data\n").code == 0
    assert input_texts(srv.requests[0].body)[-1] == "p1"
    assert input_texts(srv.requests[1].body)[-1] == "p2\n\n<stdin>\ndata\n</stdin>"
