"""Environment context, AGENTS.md discovery, the turn diff tracker, display quoting."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

from pycodex.context.diff_tracker import TurnDiffTracker
from pycodex.context.environment import EnvironmentContext, is_context_message
from pycodex.context.project_doc import compose_user_instructions, read_project_docs
from pycodex.protocol.command_display import display_command
from pycodex.protocol.policies import ReadOnly, WorkspaceWrite


def test_environment_context_render() -> None:
    ctx = EnvironmentContext(Path("/w"), "bash", WorkspaceWrite(), (Path("/w"),))
    text = ctx.render(today=dt.date(2026, 11, 24))
    assert text.startswith("<environment_context>\n  <cwd>/w</cwd>\n  <shell>bash</shell>")
    assert "<filesystem><workspace_roots><root>/w</root></workspace_roots>" in text
    assert '<entry access="write"><path>/w</path></entry>' in text
    assert "<current_date>2026-11-24</current_date>" in text
    assert is_context_message(text)


def test_environment_context_escapes_xml_in_paths() -> None:
    """Bad input tried: a cwd containing `<` and `&`."""
    ctx = EnvironmentContext(Path("/a<b&c"), "bash", ReadOnly(), (Path("/a<b&c"),))
    assert "<cwd>/a&lt;b&amp;c</cwd>" in ctx.render()
    assert "<root>/a&lt;b&amp;c</root>" in ctx.render()


def test_agents_md_from_repo_root_down_to_cwd(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)  # a real repository root
    (tmp_path / "AGENTS.md").write_text("root rules")
    sub = tmp_path / "pkg"
    sub.mkdir()
    (sub / "AGENTS.md").write_text("pkg rules")
    (sub / "AGENTS.override.md").write_text("override wins")
    assert read_project_docs(sub, 1000) == "root rules\n\noverride wins"
    assert read_project_docs(sub, 4) == "root"
    assert read_project_docs(sub, 0) is None
    assert compose_user_instructions("global", "proj") == "global\n\n--- project-doc ---\n\nproj"


def test_diff_tracker_reports_add_update_delete(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "c.txt"
    a.write_text("one\ntwo\n")
    c.write_text("bye\n")
    t = TurnDiffTracker(tmp_path)
    t.on_patch_begin([a, b, c])
    a.write_text("one\nTWO\n")
    b.write_text("new\n")
    c.unlink()
    diff = t.unified_diff()
    assert "diff --git a/a.txt b/a.txt" in diff and "-two\n+TWO" in diff
    assert "new file mode" in diff and "+++ b/b.txt" in diff
    assert "deleted file mode" in diff and "--- a/c.txt" in diff
    a.write_text("one\ntwo\n")
    assert "a.txt" not in t.unified_diff()


def test_display_command_quotes_like_codex() -> None:
    assert display_command(["/bin/bash", "-lc", "echo hi > x"]) == "/bin/bash -lc 'echo hi > x'"
    assert display_command(["/bin/bash", "-lc", "printf 'a\\n'"]) == '/bin/bash -lc "printf \'a\\\\n\'"'


def test_diff_tracker_big_file_uses_fast_path(tmp_path: Path) -> None:
    import time

    big = tmp_path / "big.txt"
    big.write_text("".join(f"line {i}\n" for i in range(60_000)))
    t = TurnDiffTracker(tmp_path)
    t.on_patch_begin([big])
    big.write_text("".join(f"line {i}\n" if i % 100 else f"CHANGED {i}\n" for i in range(60_000)))
    start = time.monotonic()
    diff = t.unified_diff()
    assert time.monotonic() - start < 5
    assert "-line 100\n+CHANGED 100\n" in diff and diff.count("@@ -") == 600
