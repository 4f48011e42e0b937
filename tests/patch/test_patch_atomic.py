"""Atomicity: a patch applies fully or leaves every file byte-identical (property-based too)."""

from __future__ import annotations

import itertools
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pycodex.patch.apply import PatchApplyError, commit_plan, plan_patch
from pycodex.patch.parser import parse_patch

B, E = "*** Begin Patch\n", "*** End Patch\n"


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_failure_mid_commit_rolls_back_earlier_writes(tmp_path: Path) -> None:
    """Bad input tried: the second target's directory is read-only, so its write fails."""
    if os.geteuid() == 0:
        # Root ignores directory permissions: use a file where a directory must be created.
        (tmp_path / "blocker").write_text("i am a file\n")
        patch = B + "*** Update File: a.txt\n@@\n-a\n+A\n*** Add File: blocker/x.txt\n+x\n" + E
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        (ro / "b.txt").write_text("b\n")
        ro.chmod(0o500)
        patch = B + "*** Update File: a.txt\n@@\n-a\n+A\n*** Update File: ro/b.txt\n@@\n-b\n+B\n" + E
    (tmp_path / "a.txt").write_text("a\n")
    snap = _snapshot(tmp_path)
    plan = plan_patch(parse_patch(patch), tmp_path)
    with pytest.raises(PatchApplyError, match="no file was changed"):
        commit_plan(plan)
    assert _snapshot(tmp_path) == snap
    assert not [p for p in tmp_path.rglob("*.pycodex-tmp")]


def test_dotdot_escape_resolves_to_real_outside_path(tmp_path: Path) -> None:
    """Bad input tried: `../` in a patch path; the plan names the real target outside cwd."""
    ws = tmp_path / "ws"
    ws.mkdir()
    plan = plan_patch(parse_patch(B + "*** Add File: ../escaped.txt\n+x\n" + E), ws)
    assert plan.affected_paths() == [(tmp_path / "escaped.txt").resolve()]


def test_symlink_inside_cwd_resolves_to_its_target(tmp_path: Path) -> None:
    """Bad input tried: a symlink inside the workspace pointing outside it."""
    ws, outside = tmp_path / "ws", tmp_path / "outside"
    ws.mkdir()
    outside.mkdir()
    (outside / "t.txt").write_text("a\n")
    (ws / "link").symlink_to(outside)
    plan = plan_patch(parse_patch(B + "*** Update File: link/t.txt\n@@\n-a\n+b\n" + E), ws)
    assert plan.affected_paths() == [(outside / "t.txt").resolve()]


lines_st = st.lists(st.text(alphabet="abcxyz \t", min_size=0, max_size=6), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.lists(lines_st, min_size=1, max_size=4), pick=st.data())
def test_property_all_or_nothing(tmp_path: Path, files: list[list[str]], pick: st.DataObject) -> None:
    root = Path(tempfile.mkdtemp(dir=tmp_path))
    for i, lines in enumerate(files):
        (root / f"f{i}.txt").write_text("\n".join(lines) + "\n")
    snap = _snapshot(root)
    hunks = []
    for i, lines in enumerate(files):
        idx = pick.draw(st.integers(0, len(lines) - 1))
        old = lines[idx]
        if pick.draw(st.booleans()):
            old = old + "NOT-THERE"  # this hunk cannot apply: the whole patch must fail
        hunks.append(f"*** Update File: f{i}.txt\n@@\n-{old}\n+REPLACED{i}\n")
    patch = B + "".join(hunks) + E
    try:
        plan = plan_patch(parse_patch(patch), root)
        commit_plan(plan)
    except PatchApplyError:
        assert _snapshot(root) == snap
        return
    after = _snapshot(root)
    for i in range(len(files)):
        assert f"REPLACED{i}".encode() in after[f"f{i}.txt"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fast_diff_matches_difflib(tmp_path: Path, data: st.DataObject) -> None:
    """The linear diff built from known replacements equals difflib's for the same change."""
    import difflib

    n = data.draw(st.integers(5, 80))
    lines = [f"l{i}" for i in range(n)]
    idxs = sorted(data.draw(st.sets(st.integers(1, n - 2), min_size=1, max_size=6)))
    if any(b - a < 2 for a, b in itertools.pairwise(idxs)):
        return
    root = Path(tempfile.mkdtemp(dir=tmp_path))
    (root / "a.txt").write_text("".join(x + "\n" for x in lines))
    chunks = "".join(f"@@\n {lines[i - 1]}\n-{lines[i]}\n+NEW{i}\n" + ("+EXTRA\n" if i % 2 else "") for i in idxs)
    plan = plan_patch(parse_patch(B + "*** Update File: a.txt\n" + chunks + E), root)
    mine = next(iter(plan.changes().values())).unified_diff  # type: ignore[union-attr]
    old = (root / "a.txt").read_text()
    new = plan.files[(root / "a.txt").resolve()].current.decode()  # type: ignore[union-attr]
    ref = "".join(list(difflib.unified_diff(old.splitlines(True), new.splitlines(True), n=3))[2:])
    assert mine == ref
