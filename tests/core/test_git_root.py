"""Repository detection: only a real repository counts, never a stray `.git` entry."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pycodex.context.project_doc import find_git_root


def _git(*args: str) -> str:
    out = subprocess.run(["git", *args], capture_output=True, text=True, check=True)
    return out.stdout.strip()


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A temp dir that git itself says is in no repository (what these tests rely on)."""
    probe = subprocess.run(["git", "-C", str(tmp_path), "rev-parse", "--git-dir"],
                           capture_output=True, text=True, check=False)
    assert probe.returncode != 0, f"the temp dir {tmp_path} is inside a git repository: {probe.stdout}"
    return tmp_path


def test_empty_git_dir_in_a_parent_is_not_a_repository(outside: Path) -> None:
    """Bad input tried: an empty `.git` directory above the workspace, as bubblewrap leaves in /tmp."""
    (outside / ".git").mkdir()
    ws = outside / "a" / "ws"
    ws.mkdir(parents=True)
    assert find_git_root(ws) is None


def test_git_dir_missing_objects_or_refs_is_not_a_repository(outside: Path) -> None:
    """Bad input tried: a `.git` directory holding only HEAD."""
    (outside / ".git").mkdir()
    (outside / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    assert find_git_root(outside) is None


def test_git_init_is_a_repository_even_below_a_stray_git_dir(outside: Path) -> None:
    """Bad input tried: an empty `.git` directory between the repository and the cwd."""
    _git("init", "-q", str(outside / "repo"))
    sub = outside / "repo" / "pkg" / "deep"
    sub.mkdir(parents=True)
    (outside / "repo" / "pkg" / ".git").mkdir()
    assert find_git_root(sub) == outside / "repo"
    assert _git("-C", str(sub), "rev-parse", "--show-toplevel") == str(outside / "repo")


def test_gitdir_file_naming_a_real_gitdir_is_a_repository(outside: Path) -> None:
    """Worktree-style `.git` files, absolute and relative; an empty `.git` dir below is skipped."""
    _git("init", "-q", f"--separate-git-dir={outside / 'store'}", str(outside / "ws"))
    assert (outside / "ws" / ".git").is_file()
    (outside / "ws" / "inner" / ".git").mkdir(parents=True)
    assert find_git_root(outside / "ws" / "inner") == outside / "ws"
    (outside / "sub" / "inner" / ".git").mkdir(parents=True)
    (outside / "sub" / ".git").write_text("gitdir: ../store\n")
    assert find_git_root(outside / "sub" / "inner") == outside / "sub"
    assert _git("-C", str(outside / "sub"), "rev-parse", "--show-toplevel") == str(outside / "sub")


def test_gitdir_file_naming_nothing_is_not_a_repository(outside: Path) -> None:
    """Bad input tried: `.git` files that name a missing directory, or hold no gitdir line."""
    (outside / ".git").write_text("gitdir: /nonexistent/gitdir\n")
    assert find_git_root(outside) is None
    (outside / ".git").write_text("not a gitdir line\n")
    assert find_git_root(outside) is None
    (outside / ".git").write_bytes(b"")
    assert find_git_root(outside) is None
