"""Pure: the writable roots and read-only paths of a policy, and the order bubblewrap mounts
them in (a later bind of a parent hides whatever was mounted beneath it)."""

from __future__ import annotations

from pathlib import Path

from pycodex.exec.sandbox.bwrap import bwrap_argv
from pycodex.exec.sandbox.roots import WritableRoot, unenforceable_by_landlock, writable_roots_for
from pycodex.protocol.policies import WorkspaceWrite


def _mounts(argv: list[str]) -> list[tuple[str, str]]:
    return [(argv[i], argv[i + 1]) for i in range(len(argv)) if argv[i] in ("--bind", "--ro-bind")
            and argv[i + 1] != "/"]


def test_a_workspace_inside_a_read_only_folder_inside_a_root_is_mounted_writable_last(tmp_path: Path) -> None:
    area = tmp_path / "area"
    ws = area / "out" / "t1" / "workspace"
    ws.mkdir(parents=True)
    policy = WorkspaceWrite(writable_roots=[area], exclude_slash_tmp=True, exclude_tmpdir_env_var=True)
    roots = writable_roots_for(policy, ws, env={}, read_only=[area / "out"])
    by_root = {r.root: r for r in roots}
    assert area / "out" in by_root[area].read_only_subpaths
    assert area / "out" not in by_root[ws].read_only_subpaths
    assert by_root[area].allows(area / "x") and not by_root[area].allows(area / "out" / "t1" / "f")
    assert by_root[ws].allows(ws / "f") and not by_root[ws].allows(ws / ".git" / "hooks")
    ro = [p for r in roots for p in r.read_only_subpaths]
    argv = bwrap_argv(["true"], roots, ro, ws, False, "bwrap")
    order = _mounts(argv)
    assert order.index(("--bind", str(area))) < order.index(("--ro-bind", str(area / "out")))
    assert order.index(("--ro-bind", str(area / "out"))) < order.index(("--bind", str(ws)))
    assert order.index(("--bind", str(ws))) < order.index(("--ro-bind", str(ws / ".git")))
    assert unenforceable_by_landlock(roots, [area / "out"]) == area / "out"


def test_a_read_only_path_outside_every_root_needs_nothing(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    policy = WorkspaceWrite(exclude_slash_tmp=True, exclude_tmpdir_env_var=True)
    roots = writable_roots_for(policy, ws, env={}, read_only=[tmp_path / "elsewhere"])
    assert [r.root for r in roots] == [ws]
    assert unenforceable_by_landlock(roots, [tmp_path / "elsewhere"]) is None
    assert isinstance(roots[0], WritableRoot)
