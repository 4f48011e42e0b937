"""Isolated workspaces on real git: worktrees, copies, clones, their diffs; the source untouched."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pycodex.batch import workspace
from tests.batch.helpers import git, make_repo


def _objects(repo: Path) -> str:
    return git(repo, "count-objects", "-v")


def test_a_repository_subfolder_becomes_a_detached_worktree_and_its_diff_has_everything(
    tmp_path: Path,
) -> None:
    repo = make_repo(tmp_path / "repo", {"sub/a.txt": "one\n", "sub/gone.txt": "bye\n",
                                         "top.txt": "top\n", ".gitignore": "*.log\n"})
    (repo / "sub" / "a.txt").write_text("uncommitted\n")  # the source's own unsaved work
    head, status, objects = git(repo, "rev-parse", "HEAD"), git(repo, "status", "--porcelain"), _objects(repo)

    ws = workspace.prepare(str(repo / "sub"), tmp_path / "out" / "workspace", tmp_path / "out" / ".batch")
    assert ws.kind == "worktree" and ws.cwd == ws.root / "sub"
    assert (ws.cwd / "a.txt").read_text() == "one\n"  # tasks start from the HEAD commit
    (ws.cwd / "a.txt").write_text("two\n")
    (ws.cwd / "gone.txt").unlink()
    (ws.cwd / "new.txt").write_text("fresh\n")  # untracked: in the diff
    (ws.cwd / "blob.bin").write_bytes(bytes(range(256)))
    (ws.cwd / "noise.log").write_text("ignored\n")  # ignored: not in the diff
    patch = workspace.diff(ws).decode()

    assert "+two" in patch and "-one" in patch
    assert "deleted file mode" in patch and "sub/gone.txt" in patch
    assert "new file mode" in patch and "+fresh" in patch
    assert "GIT binary patch" in patch and "sub/blob.bin" in patch
    assert "noise.log" not in patch and "top.txt" not in patch
    # The diff applies to the source's HEAD and gives the workspace's files.
    check = make_repo(tmp_path / "check", {"x": "x\n"})
    git(check, "fetch", "-q", str(repo), "HEAD")
    git(check, "checkout", "-q", "--detach", "FETCH_HEAD")
    (tmp_path / "p.diff").write_text(patch)
    git(check, "apply", "--binary", str(tmp_path / "p.diff"))
    assert (check / "sub" / "new.txt").read_text() == "fresh\n"
    assert (check / "sub" / "blob.bin").read_bytes() == bytes(range(256))
    # The source: same commit, same unsaved work, no object written into its store.
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "status", "--porcelain") == status
    assert _objects(repo) == objects
    assert (repo / "sub" / "a.txt").read_text() == "uncommitted\n"

    workspace.remove(ws.root)
    assert not ws.root.exists()
    assert str(ws.root) not in git(repo, "worktree", "list")


def test_a_deleted_output_folder_does_not_block_the_next_run(tmp_path: Path) -> None:
    """Bad input: `rm -rf DIR` between runs, which leaves the worktrees registered in the
    source repository although their folders are gone."""
    repo = make_repo(tmp_path / "repo")
    root, scratch = tmp_path / "out" / "t" / "workspace", tmp_path / "out" / "t" / ".batch"
    workspace.prepare(str(repo), root, scratch)
    shutil.rmtree(tmp_path / "out")
    ws = workspace.prepare(str(repo), root, scratch)
    assert (ws.root / "README.md").read_text() == "hello\n"


def test_a_plain_folder_is_copied_and_diffed_against_its_start(tmp_path: Path) -> None:
    src = tmp_path / "plain"
    (src / "d").mkdir(parents=True)
    (src / "keep.txt").write_text("k\n")
    (src / "d" / "edit.txt").write_text("before\n")
    os.symlink("keep.txt", src / "link")
    ws = workspace.prepare(str(src), tmp_path / "out" / "workspace", tmp_path / "out" / ".batch")
    assert ws.kind == "copy" and not (ws.root / ".git").exists()
    assert os.readlink(ws.root / "link") == "keep.txt"
    (ws.root / "d" / "edit.txt").write_text("after\n")
    (ws.root / "added.txt").write_text("new\n")
    patch = workspace.diff(ws).decode()
    assert "-before" in patch and "+after" in patch and "+new" in patch
    assert "keep.txt" not in patch
    assert (src / "d" / "edit.txt").read_text() == "before\n" and not (src / "added.txt").exists()


def test_a_git_url_is_cloned(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "origin", {"f.txt": "1\n"})
    ws = workspace.prepare(f"file://{repo}", tmp_path / "out" / "workspace", tmp_path / "out" / ".batch")
    assert ws.kind == "clone" and (ws.root / "f.txt").read_text() == "1\n"
    (ws.root / "f.txt").write_text("2\n")
    assert "+2" in workspace.diff(ws).decode()


def test_the_repository_config_runs_nothing_of_pycodex_git(tmp_path: Path) -> None:
    """Bad input: a repository whose config would run programs when pycodex's own git touches
    it (a post-checkout hook, core.fsmonitor, a required smudge/clean filter), and a
    `.gitattributes` the agent writes into the workspace to name that filter."""
    marker = tmp_path / "ran"
    script = tmp_path / "evil.sh"
    script.write_text(f"#!/bin/sh\necho \"$0 $*\" >> {marker}\ncat\n")
    script.chmod(0o755)
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n", "b.dat": "b\n", ".gitattributes": "*.txt filter=evil\n"})
    git(repo, "config", "filter.evil.smudge", str(script))
    git(repo, "config", "filter.evil.clean", str(script))
    git(repo, "config", "filter.evil.required", "true")
    git(repo, "config", "core.fsmonitor", str(script))
    hook = repo / ".git" / "hooks" / "post-checkout"
    hook.write_text(f"#!/bin/sh\necho hook >> {marker}\n")
    hook.chmod(0o755)

    ws = workspace.prepare(str(repo), tmp_path / "out" / "workspace", tmp_path / "out" / ".batch")
    (ws.root / "a.txt").write_text("changed\n")
    (ws.root / ".gitattributes").write_text("* filter=evil\n")  # the agent's doing
    (ws.root / "c.dat").write_text("new\n")
    patch = workspace.diff(ws).decode()
    assert "+changed" in patch and "+new" in patch
    assert not marker.exists(), marker.read_text()


def test_a_missing_or_unreadable_workspace_is_one_clear_error(tmp_path: Path) -> None:
    """Bad input: a workspace that does not exist, and a git URL that cannot be cloned."""
    with pytest.raises(workspace.WorkspaceError, match="is not a directory"):
        workspace.prepare(str(tmp_path / "nope"), tmp_path / "w", tmp_path / "s")
    with pytest.raises(workspace.WorkspaceError, match="git clone failed") as info:
        workspace.prepare(f"file://{tmp_path}/no-such-repo", tmp_path / "w2", tmp_path / "s2")
    assert "\n" not in str(info.value)


def test_worktrees_of_one_repository_made_at_the_same_time_all_succeed(tmp_path: Path) -> None:
    # Tasks side by side each add a worktree named `workspace` to the same repository: git
    # numbers them (workspace, workspace1, ...) and two adds at once raced for one name
    # ("failed to read .git/worktrees/workspace98/commondir"; 1 task in 100 in the benchmark).
    from concurrent.futures import ThreadPoolExecutor

    repo = make_repo(tmp_path / "repo")
    out = tmp_path / "out"

    def prepare(i: int) -> workspace.Workspace:
        task = out / f"t{i:03d}"
        return workspace.prepare(str(repo), task / "workspace", task / ".batch")

    with ThreadPoolExecutor(max_workers=16) as pool:
        made = list(pool.map(prepare, range(48)))
    assert len({w.root for w in made}) == 48 and all((w.root / ".git").is_file() for w in made)
    with ThreadPoolExecutor(max_workers=16) as pool:  # and removed at the same time
        list(pool.map(lambda w: workspace.remove(w.root), made))
    assert "workspace" not in git(repo, "worktree", "list")
