"""`pycodex sessions`: a real process over a real home."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize("limit", ["0", "-3"])
def test_a_limit_below_one_is_a_usage_error_not_an_empty_list(tmp_path: Path, limit: str) -> None:
    """Bad input tried: `sessions list --limit 0` / `--limit -3` (printed an empty table, exit 0)."""
    env = {**os.environ, "PYCODEX_HOME": str(tmp_path / "home")}
    run = subprocess.run([sys.executable, "-m", "pycodex.cli.main", "sessions", "list", "--limit", limit],
                         capture_output=True, text=True, env=env, timeout=60, check=False)
    assert run.returncode == 2 and run.stdout == ""
    assert "Invalid value for '--limit'" in run.stderr.strip().splitlines()[-1]


def test_ui_resume_takes_all_as_codex_does(tmp_path: Path) -> None:
    """Bad input tried: `pycodex resume --last --all` (Codex's flag) was refused as an unknown option.

    Without a terminal the UI refuses to start; the flag itself must be accepted first.
    """
    env = {**os.environ, "PYCODEX_HOME": str(tmp_path / "home")}
    run = subprocess.run([sys.executable, "-m", "pycodex.cli.main", "resume", "--last", "--all"],
                         capture_output=True, text=True, env=env, timeout=60, check=False,
                         stdin=subprocess.DEVNULL)
    assert run.returncode == 2 and "needs a terminal" in run.stderr and "No such option" not in run.stderr


def _sessions(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYCODEX_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "pycodex.cli.main", "sessions", "list", *args],
                          capture_output=True, text=True, env=env, timeout=60, check=False)


def test_search_finds_words_inside_japanese_and_chinese_text(tmp_path: Path) -> None:
    """Text tried: prompts in Japanese and Chinese, which put no spaces between words. The index
    took each run of CJK characters as one word, so searching a word of the prompt found nothing."""
    from pycodex.testing import scenario as sc
    from pycodex.testing.server import ScriptedModelServer
    from tests.e2e.helpers import run_exec, write_config

    home, ws = tmp_path / "home", tmp_path / "ws"
    ws.mkdir()
    prompts = ["日本語のテスト：パーサーを直してください", "修复解析器的错误", "fix the tokenizer"]
    with ScriptedModelServer([sc.turn(sc.message("ok"), sc.completed()) for _ in prompts]) as srv:
        write_config(home, srv.base_url)
        threads = [run_exec(home, ws, p).events()[0]["thread_id"] for p in prompts]
    found = {}
    for word in ["パーサー", "日本語", "修复", "错误", "tokenizer", "Tokeni"]:
        run = _sessions(home, "--json", "--search", word)
        assert run.returncode == 0, run.stderr
        found[word] = [json.loads(line)["thread_id"] for line in run.stdout.splitlines()]
    assert found == {"パーサー": [threads[0]], "日本語": [threads[0]], "修复": [threads[1]],
                     "错误": [threads[1]], "tokenizer": [threads[2]], "Tokeni": [threads[2]]}


def test_list_prints_markup_and_control_characters_of_a_message_literally(tmp_path: Path) -> None:
    """Text tried: a first message with rich markup (`[/bold]` crashed `sessions list` with a
    MarkupError traceback, `[red]` coloured it) and terminal escapes (an SGR colour and an OSC
    window title, written raw to the terminal)."""
    from pycodex.testing import scenario as sc
    from pycodex.testing.server import ScriptedModelServer
    from tests.e2e.helpers import run_exec, write_config

    home, ws = tmp_path / "home", tmp_path / "ws"
    ws.mkdir()
    prompt = "why [/bold] and [red]x[/red] \x1b[31mRED\x1b[0m \x1b]0;pwned\x07 end"
    with ScriptedModelServer([sc.turn(sc.message("ok"), sc.completed())]) as srv:
        write_config(home, srv.base_url)
        assert run_exec(home, ws, prompt).code == 0
    env = {**os.environ, "PYCODEX_HOME": str(home), "COLUMNS": "300"}
    run = subprocess.run([sys.executable, "-m", "pycodex.cli.main", "sessions", "list"],
                         capture_output=True, text=True, env=env, timeout=60, check=False)
    assert run.returncode == 0 and run.stderr == "", run.stderr[-500:]
    assert "why [/bold] and [red]x[/red]" in run.stdout
    assert "\x1b" not in run.stdout and "\x07" not in run.stdout
    # `sessions show` prints the whole transcript: its lines stay, the escapes do not.
    thread = next((home / "sessions").rglob("*.jsonl")).stem[-36:]
    show = subprocess.run([sys.executable, "-m", "pycodex.cli.main", "sessions", "show", thread],
                          capture_output=True, text=True, env=env, timeout=60, check=False)
    assert show.returncode == 0, show.stderr[-500:]
    assert "why [/bold]" in show.stdout and "RED" in show.stdout and show.stdout.count("\n") > 2
    assert "\x1b" not in show.stdout and "\x07" not in show.stdout
