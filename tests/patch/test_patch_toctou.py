"""A commit cannot be redirected by a path changed between the plan (and its policy check) and the writes.

Bad input throughout: the disk changed under the patch. A directory on a planned path, or the
target file itself, is swapped for a symlink to a directory outside the workspace after the
plan was made, as a command left running in the background could do.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pycodex.patch.apply import PatchApplyError, commit_plan, plan_patch
from pycodex.patch.parser import parse_patch

B, E = "*** Begin Patch\n", "*** End Patch\n"


def _tree(root: Path) -> dict[str, str]:
    """Every entry under root: file contents, `dir`, or `-> target` for a symlink (never followed)."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = str(p.relative_to(root))
            if p.is_symlink():
                out[rel] = f"-> {os.readlink(p)}"
            elif p.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = p.read_text()
    return out


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    ws, outside = tmp_path.resolve() / "ws", tmp_path.resolve() / "outside"
    ws.mkdir()
    outside.mkdir()
    (outside / "f.txt").write_text("outside\n")
    return ws, outside


def _swap_for_symlink(path: Path, target: Path) -> None:
    """Move `path` aside (to `<name>.real`) and put a symlink to `target` in its place."""
    path.rename(path.with_name(path.name + ".real"))
    path.symlink_to(target)


def _commit_fails(ws: Path, plan_text: str, swap: list[tuple[Path, Path]], message: str) -> None:
    plan = plan_patch(parse_patch(B + plan_text + E), ws)
    for path, target in swap:
        if path.exists() or path.is_symlink():
            _swap_for_symlink(path, target)
        else:
            path.symlink_to(target)
    before = _tree(ws.parent)
    with pytest.raises(PatchApplyError) as info:
        commit_plan(plan)
    assert str(info.value) == message
    assert _tree(ws.parent) == before  # nothing written, created or removed anywhere


def test_parent_directory_became_symlink(dirs: tuple[Path, Path]) -> None:
    """Bad input: `d` is replaced by a symlink to an outside directory between plan and commit."""
    ws, outside = dirs
    (ws / "d").mkdir()
    (ws / "d" / "f.txt").write_text("a\n")
    (ws / "a.txt").write_text("a\n")
    # a.txt is written first and must be rolled back.
    _commit_fails(
        ws, "*** Update File: a.txt\n@@\n-a\n+A\n*** Update File: d/f.txt\n@@\n-a\n+pwned\n",
        [(ws / "d", outside)],
        "d/f.txt changed while the patch was being applied: d is now a symlink; no file was changed",
    )
    assert (outside / "f.txt").read_text() == "outside\n"
    assert (ws / "a.txt").read_text() == "a\n"
    assert (ws / "d.real" / "f.txt").read_text() == "a\n"


def test_target_file_became_symlink_is_refused(dirs: tuple[Path, Path]) -> None:
    """Bad input: the file to update is replaced by a symlink to an outside file.

    Refused rather than replaced: the plan's content was computed from a file that is gone,
    and the symlink is left as it is (neither followed nor removed)."""
    ws, outside = dirs
    (ws / "f.txt").write_text("a\n")
    _commit_fails(
        ws, "*** Update File: f.txt\n@@\n-a\n+pwned\n", [(ws / "f.txt", outside / "f.txt")],
        "f.txt changed while the patch was being applied: f.txt is now a symlink; no file was changed",
    )
    assert (outside / "f.txt").read_text() == "outside\n"
    assert (ws / "f.txt").is_symlink()


def test_added_file_name_became_symlink_is_refused(dirs: tuple[Path, Path]) -> None:
    """Bad input: a symlink to an outside file appears where the patch adds a new file."""
    ws, outside = dirs
    _commit_fails(
        ws, "*** Add File: new.txt\n+pwned\n", [(ws / "new.txt", outside / "f.txt")],
        "new.txt changed while the patch was being applied: new.txt is now a symlink; no file was changed",
    )
    assert (ws / "new.txt").is_symlink()


def test_directory_to_create_became_symlink(dirs: tuple[Path, Path]) -> None:
    """Bad input: the patch adds `new/sub/x.txt` (no `new` yet); `new` appears as a symlink outside."""
    ws, outside = dirs
    (ws / "a.txt").write_text("a\n")
    _commit_fails(
        ws, "*** Add File: made/y.txt\n+y\n*** Add File: new/sub/x.txt\n+pwned\n", [(ws / "new", outside)],
        "new/sub/x.txt changed while the patch was being applied: new is now a symlink; no file was changed",
    )
    assert sorted(os.listdir(outside)) == ["f.txt"]
    assert not (ws / "made").exists()  # the directory the patch made before failing is removed


def test_deleted_file_parent_became_symlink(dirs: tuple[Path, Path]) -> None:
    """Bad input: `d` (holding the file to delete) is replaced by a symlink to a directory that
    holds a file of the same name."""
    ws, outside = dirs
    (ws / "d").mkdir()
    (ws / "d" / "f.txt").write_text("mine\n")
    (ws / "a.txt").write_text("a\n")
    _commit_fails(
        ws, "*** Update File: a.txt\n@@\n-a\n+A\n*** Delete File: d/f.txt\n", [(ws / "d", outside)],
        "d/f.txt changed while the patch was being applied: d is now a symlink; no file was changed",
    )
    assert (outside / "f.txt").read_text() == "outside\n"
    assert (ws / "a.txt").read_text() == "a\n"


def test_moved_file_destination_parent_became_symlink(dirs: tuple[Path, Path]) -> None:
    """Bad input: a move's destination directory is replaced by a symlink to an outside directory."""
    ws, outside = dirs
    (ws / "to").mkdir()
    (ws / "src.txt").write_text("a\n")
    _commit_fails(
        ws, "*** Update File: src.txt\n*** Move to: to/f.txt\n@@\n-a\n+pwned\n", [(ws / "to", outside)],
        "to/f.txt changed while the patch was being applied: to is now a symlink; no file was changed",
    )
    assert (outside / "f.txt").read_text() == "outside\n"


def test_symlinked_ancestor_above_workspace_is_refused(tmp_path: Path) -> None:
    """Bad input: a directory above the workspace itself becomes a symlink after the plan."""
    base = tmp_path.resolve()
    ws, elsewhere = base / "top" / "ws", base / "elsewhere" / "ws"
    ws.mkdir(parents=True)
    elsewhere.mkdir(parents=True)
    (ws / "f.txt").write_text("a\n")
    (elsewhere / "f.txt").write_text("other\n")
    plan = plan_patch(parse_patch(B + "*** Update File: f.txt\n@@\n-a\n+A\n" + E), ws)
    (base / "top").rename(base / "top.real")
    (base / "top").symlink_to(base / "elsewhere")
    with pytest.raises(PatchApplyError) as info:
        commit_plan(plan)
    assert str(info.value) == (
        f"f.txt changed while the patch was being applied: {base / 'top'} is now a symlink; no file was changed"
    )
    assert (elsewhere / "f.txt").read_text() == "other\n"


# The swapper: exchanges `d` (a real directory) and `swap` (a symlink to the outside directory)
# atomically (renameat2 RENAME_EXCHANGE), as fast as it can, until the stop file appears: `d`
# is a directory half of the time and a symlink the other half, never absent. With a rest
# (ms), every 512 exchanges it leaves `d` a directory that long, so some patches also succeed.
SWAPPER = r"""
import ctypes, os, sys, time
os.chdir(sys.argv[1])
outside, stop, deadline = sys.argv[2], sys.argv[3], time.monotonic() + float(sys.argv[4])
rest = float(sys.argv[5]) / 1000 if len(sys.argv) > 5 else 0
os.mkdir("d")
os.symlink(outside, "swap")
renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
AT_FDCWD, RENAME_EXCHANGE = -100, 2
print("ready", flush=True)
n = swaps = 0
while n % 256 or (not os.path.exists(stop) and time.monotonic() < deadline):
    n += 1
    swaps += renameat2(AT_FDCWD, b"d", AT_FDCWD, b"swap", RENAME_EXCHANGE) == 0
    if rest and n % 512 == 0:
        if swaps % 2:
            swaps += renameat2(AT_FDCWD, b"d", AT_FDCWD, b"swap", RENAME_EXCHANGE) == 0
        time.sleep(rest)
print(swaps, flush=True)
"""


# The mover: renames `new` (a directory a patch has just made) to `aside/<n>` whenever it exists.
MOVER = r"""
import os, sys, time
os.chdir(sys.argv[1])
stop, deadline = sys.argv[3], time.monotonic() + float(sys.argv[4])
os.mkdir("aside")
print("ready", flush=True)
n = moves = 0
while n % 256 or (not os.path.exists(stop) and time.monotonic() < deadline):
    n += 1
    try:
        os.rename("new", f"aside/{n}")
        moves += 1
    except OSError:
        pass
print(moves, flush=True)
"""


def start_swapper(
    ws: Path, outside: Path, stop: Path, seconds: float = 60, script: str = SWAPPER
) -> subprocess.Popen[str]:
    """The swapping loop as a real background process."""
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(ws), str(outside), str(stop), str(seconds)],
        stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    return proc


def test_race_with_a_swapping_process_never_writes_outside(dirs: tuple[Path, Path]) -> None:
    """Bad input: a real process swaps `d` between a directory and a symlink to an outside
    directory thousands of times while 300 patches (or more, for 2 s) write `d/x.txt` (every
    third one fails after writing it, so its rollback runs too)."""
    ws, outside = dirs
    (outside / "x.txt").write_text("canary\n")  # a rollback that followed `d` would delete it
    (ws / "blocker").write_text("a file where a patch needs a directory\n")
    stop = ws.parent / "stop"
    swapper = start_swapper(ws, outside, stop)
    committed = skipped = 0
    errors: list[Exception] = []
    t0 = time.monotonic()
    try:
        i = -1
        # At least 300 commits tried and 2 s spent (15 s at most, on a very busy machine).
        while (committed + len(errors) < 300 or time.monotonic() - t0 < 2) and time.monotonic() - t0 < 15:
            i += 1
            text = f"*** Add File: d/x.txt\n+write {i}\n"
            if i % 3 == 2:
                text += "*** Add File: blocker/y.txt\n+y\n"  # fails after d/x.txt is written
            try:
                plan = plan_patch(parse_patch(B + text + E), ws)
            except (PatchApplyError, OSError):  # `d` changed while it was resolved (OSError: old code)
                skipped += 1
                continue
            if any(ws not in p.parents for p in plan.affected_paths()):
                skipped += 1  # `d` was a symlink at plan time: the policy check refuses this one
                continue
            try:
                commit_plan(plan)
                committed += 1
            except (PatchApplyError, OSError) as e:  # OSError: only the old, path-based commit
                errors.append(e)
    finally:
        stop.touch()
        out, _ = swapper.communicate(timeout=30)
    elapsed = time.monotonic() - t0
    print(f"{out.strip()} swaps; {committed} committed, {len(errors)} failed, {skipped} refused at plan; {elapsed:.2f} s")
    assert _tree(outside) == {"f.txt": "outside\n", "x.txt": "canary\n"}
    assert int(out) >= 2000, f"the swapper ran only {out.strip()} swaps"  # ~200,000 here
    assert committed >= 10, (committed, len(errors), skipped)
    for e in errors:  # each one clear line, and nothing left changed
        assert isinstance(e, PatchApplyError), repr(e)
        assert "\n" not in str(e) and str(e).endswith("; no file was changed"), str(e)
    assert elapsed < 20


def test_directory_made_by_the_commit_moved_away_before_its_rollback(dirs: tuple[Path, Path]) -> None:
    """Bad input: a real process moves `new` aside as soon as a patch makes it, while patches
    that add `new/x.txt` then fail; each rollback must remove x.txt where it wrote it (through
    the directory it holds), leave the moved directory alone, and honestly report no change."""
    ws, outside = dirs
    (ws / "blocker").write_text("a file where a patch needs a directory\n")
    stop = ws.parent / "stop"
    mover = start_swapper(ws, outside, stop, script=MOVER)
    messages: list[str] = []
    t0 = time.monotonic()
    try:
        while len(messages) < 300 and time.monotonic() - t0 < 10:
            plan = plan_patch(parse_patch(B + "*** Add File: new/x.txt\n+x\n*** Add File: blocker/y.txt\n+y\n" + E), ws)
            with pytest.raises(PatchApplyError) as info:
                commit_plan(plan)
            messages.append(str(info.value))
    finally:
        stop.touch()
        out, _ = mover.communicate(timeout=30)
    assert int(out) >= 30, f"the mover moved only {out.strip()} directories"
    blocked = "failed to write blocker/y.txt: Not a directory; no file was changed"
    moved_first = "failed to write new/x.txt: No such file or directory; no file was changed"  # before x.txt
    assert blocked in messages and set(messages) <= {blocked, moved_first}, set(messages)
    moved = list((ws / "aside").iterdir())
    assert all(list(d.iterdir()) == [] for d in moved)  # every x.txt was removed where it was written


def test_unreadable_path_at_plan_time_is_one_line(tmp_path: Path) -> None:
    """Bad input: a file name longer than the filesystem allows (the OS refuses to look it up);
    the race above also makes path resolution itself fail when a symlink vanishes mid-lookup."""
    name = "a" * 300 + ".txt"
    with pytest.raises(PatchApplyError) as info:
        plan_patch(parse_patch(B + f"*** Update File: {name}\n@@\n-a\n+b\n" + E), tmp_path)
    assert str(info.value) == f"hunk 1: cannot read {name}: File name too long"
