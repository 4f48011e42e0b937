"""Planning and applying a patch atomically: every hunk resolved first, all-or-nothing writes."""

from __future__ import annotations

import stat
from dataclasses import dataclass, field
from pathlib import Path

from pycodex.patch.dirfd import DirFds, PathChanged
from pycodex.patch.files import (
    Done,
    Unrestored,
    reason,
    remove_file,
    rollback,
    sync_dirs,
    write_file,
)
from pycodex.patch.lines import file_style, join_lines, merge_block, neighbour_ending, split_lines
from pycodex.patch.model import AddFile, DeleteFile, Hunk, Patch, UpdateChunk, UpdateFile
from pycodex.patch.seek import seek_sequence

TYPE_CHECKING = False  # as in pycodex/__init__: the apply-patch process never imports typing
if TYPE_CHECKING:
    from pycodex.protocol.events import FileChange


Replacement = tuple[int, int, list[str]]  # (start line, old length, new lines)


class PatchApplyError(ValueError):
    """The patch cannot be applied; the message says what, if anything, was left changed."""


@dataclass
class _State:
    original: bytes | None  # before the patch (None: did not exist)
    current: bytes | None  # after the hunks planned so far
    mode: int | None
    is_dir: bool = False


@dataclass(frozen=True)
class _Diff:
    """An update's diff, made only when asked for."""

    old_lines: list[str]
    replacements: list[Replacement]


@dataclass(frozen=True)
class _Change:
    """One file's change before it becomes the protocol's FileChange."""

    kind: str  # "add" | "delete" | "update"
    content: str | _Diff
    move_path: Path | None = None

    def build(self) -> FileChange:
        """The protocol's FileChange (an update's diff is computed here)."""
        from pycodex.protocol.events import AddFileChange, DeleteFileChange, UpdateFileChange

        if isinstance(self.content, _Diff):
            diff = diff_from_replacements(self.content.old_lines, self.content.replacements)
            return UpdateFileChange(unified_diff=diff, move_path=self.move_path)
        if self.kind == "add":
            return AddFileChange(content=self.content)
        return DeleteFileChange(content=self.content)


@dataclass
class PatchPlan:
    """A fully resolved patch: final contents of every file it touches."""

    cwd: Path
    files: dict[Path, _State] = field(default_factory=dict)
    # What each file's change will say, built on demand by `changes()`: the `apply-patch`
    # process never asks, so it neither diffs nor imports the protocol's types.
    changes_: dict[Path, _Change] = field(default_factory=dict)
    summary_lines: list[str] = field(default_factory=list)
    resolved_cwd: Path = field(init=False)  # as seen at plan time: messages name paths against it

    def __post_init__(self) -> None:
        self.resolved_cwd = self.cwd.resolve()

    def changes(self) -> dict[Path, FileChange]:
        """Per-file changes for events and approvals (resolved paths)."""
        return {path: change.build() for path, change in self.changes_.items()}

    def affected_paths(self) -> list[Path]:
        """Every resolved path written or deleted (move destinations included)."""
        return [p for p, s in self.files.items() if s.current != s.original]

    def summary(self) -> str:
        """Codex's success text."""
        return "Success. Updated the following files:\n" + "".join(f"{line}\n" for line in self.summary_lines)


def _resolve(cwd: Path, raw: str) -> Path:
    if not raw:
        raise PatchApplyError("a hunk has an empty file path")
    return (cwd / raw).resolve()


def _state(plan: PatchPlan, path: Path) -> _State:
    st = plan.files.get(path)
    if st is None:
        if path.is_dir():
            st = _State(None, None, None, is_dir=True)
        else:
            try:
                data = path.read_bytes()
                st = _State(data, data, stat.S_IMODE(path.stat().st_mode))
            except FileNotFoundError:
                st = _State(None, None, None)
            except NotADirectoryError:
                st = _State(None, None, None)
        plan.files[path] = st
    return st


def _is_dir(st: _State) -> bool:
    return st.is_dir


def plan_patch(patch: Patch, cwd: Path) -> PatchPlan:
    """Resolve every hunk against the files; raises PatchApplyError naming file and hunk."""
    plan = PatchPlan(cwd=cwd)
    for n, hunk in enumerate(patch.hunks, 1):
        try:
            _plan_hunk(plan, hunk, n)
        except OSError as e:
            # Unreadable, a name too long, or a path changing while it was resolved.
            raise PatchApplyError(f"hunk {n}: cannot read {hunk.path}: {reason(e)}") from e
    return plan


def _plan_hunk(plan: PatchPlan, hunk: Hunk, n: int) -> None:
    if isinstance(hunk, AddFile):
        path = _resolve(plan.cwd, hunk.path)
        st = _state(plan, path)
        if _is_dir(st):
            raise PatchApplyError(f"hunk {n}: cannot add {hunk.path}: it is a directory")
        st.current = hunk.contents.encode("utf-8")
        plan.changes_[path] = _Change("add", hunk.contents)
        plan.summary_lines.append(f"A {hunk.path}")
    elif isinstance(hunk, DeleteFile):
        path = _resolve(plan.cwd, hunk.path)
        st = _state(plan, path)
        if _is_dir(st):
            raise PatchApplyError(f"hunk {n}: cannot delete {hunk.path}: it is a directory")
        if st.current is None:
            raise PatchApplyError(f"hunk {n}: cannot delete {hunk.path}: no such file")
        plan.changes_[path] = _Change("delete", st.current.decode("utf-8", "replace"))
        st.current = None
        plan.summary_lines.append(f"D {hunk.path}")
    else:
        _plan_update(plan, hunk, n)


def _plan_update(plan: PatchPlan, hunk: UpdateFile, n: int) -> None:
    path = _resolve(plan.cwd, hunk.path)
    st = _state(plan, path)
    if _is_dir(st):
        raise PatchApplyError(f"hunk {n}: cannot update {hunk.path}: it is a directory")
    if st.current is None:
        raise PatchApplyError(f"hunk {n}: cannot update {hunk.path}: no such file")
    try:
        text = st.current.decode("utf-8")
    except UnicodeDecodeError as e:
        raise PatchApplyError(f"hunk {n}: cannot update {hunk.path}: not UTF-8 text") from e
    new_text, old_lines, replacements = _apply_chunks(text, hunk.chunks, hunk.path, n)
    new_bytes = new_text.encode("utf-8")
    diff = _Diff(old_lines, replacements)
    if hunk.move_path:
        dest = _resolve(plan.cwd, hunk.move_path)
        dst = _state(plan, dest)
        if _is_dir(dst):
            raise PatchApplyError(f"hunk {n}: cannot move {hunk.path} to {hunk.move_path}: it is a directory")
        dst.current = new_bytes
        dst.mode = st.mode
        if dest != path:
            st.current = None
        plan.changes_[path] = _Change("update", diff, dest)
        plan.summary_lines.append(f"M {hunk.move_path}")
    else:
        st.current = new_bytes
        plan.changes_[path] = _Change("update", diff)
        plan.summary_lines.append(f"M {hunk.path}")


def apply_chunks(text: str, chunks: tuple[UpdateChunk, ...], display: str, n: int) -> str:
    """The text after every chunk (pure)."""
    return _apply_chunks(text, chunks, display, n)[0]


def _apply_chunks(
    text: str, chunks: tuple[UpdateChunk, ...], display: str, n: int
) -> tuple[str, list[str], list[Replacement]]:
    lines, endings = split_lines(text)
    style = file_style(endings)
    blocks: list[tuple[int, int, list[str], list[str]]] = []  # a Replacement plus new endings
    cursor = 0
    for c_no, chunk in enumerate(chunks, 1):
        where = f"{display} (hunk {n}, chunk {c_no})"
        for ctx in chunk.change_context:
            idx = seek_sequence(lines, [ctx], cursor, False)
            if idx is None:
                raise PatchApplyError(f"Failed to find context '{ctx}' in {where}")
            cursor = idx + 1
        if not chunk.old_lines:
            at = cursor if chunk.change_context else len(lines)
            ending = neighbour_ending(endings, at, style)
            blocks.append((at, 0, list(chunk.new_lines), [ending] * len(chunk.new_lines)))
            continue
        old, new = list(chunk.old_lines), list(chunk.new_lines)
        found = seek_sequence(lines, old, cursor, chunk.is_end_of_file)
        if found is None and old and old[-1] == "":
            old = old[:-1]
            if new and new[-1] == "":
                new = new[:-1]
            found = seek_sequence(lines, old, cursor, chunk.is_end_of_file)
        if found is None:
            raise PatchApplyError(
                f"Failed to find expected lines in {where}:\n" + "\n".join(chunk.old_lines)
            )
        end = found + len(old)
        above = endings[found - 1] if found else ""
        merged, merged_endings = merge_block(lines[found:end], endings[found:end], old, new, above, style)
        blocks.append((found, len(old), merged, merged_endings))
        cursor = end
    blocks.sort(key=lambda b: b[0])
    # Rebuild once, front to back: slicing in place per hunk would be quadratic on big files.
    out_lines: list[str] = []
    out_endings: list[str] = []
    pos = 0
    for start, length, new_lines, new_endings in blocks:
        out_lines.extend(lines[pos:start])
        out_endings.extend(endings[pos:start])
        out_lines.extend(new_lines)
        out_endings.extend(new_endings)
        pos = start + length
    out_lines.extend(lines[pos:])
    out_endings.extend(endings[pos:])
    replacements = [(start, length, new_lines) for start, length, new_lines, _ in blocks]
    return join_lines(out_lines, out_endings, style), lines, replacements


def diff_from_replacements(old: list[str], replacements: list[Replacement], context: int = 3) -> str:
    """Unified diff hunks built from the known replacements (linear, unlike difflib)."""
    trimmed: list[Replacement] = []
    for start, length, new in replacements:
        seg = old[start : start + length]
        head = 0
        while head < min(len(seg), len(new)) and seg[head] == new[head]:
            head += 1
        tail = 0
        while tail < min(len(seg), len(new)) - head and seg[-1 - tail] == new[-1 - tail]:
            tail += 1
        if length - head - tail or len(new) - head - tail:
            trimmed.append((start + head, length - head - tail, new[head : len(new) - tail]))
    groups: list[list[Replacement]] = []
    for r in trimmed:
        if groups and r[0] - context <= groups[-1][-1][0] + groups[-1][-1][1] + context:
            groups[-1].append(r)
        else:
            groups.append([r])
    out: list[str] = []
    shift = 0  # new-file line offset from replacements before this group
    for group in groups:
        first, last = group[0], group[-1]
        a0 = max(0, first[0] - context)
        a1 = min(len(old), last[0] + last[1] + context)
        body: list[str] = []
        pos = a0
        new_count = 0
        for start, length, new in group:
            for line in old[pos:start]:
                body.append(f" {line}\n")
                new_count += 1
            body += [f"-{line}\n" for line in old[start : start + length]]
            body += [f"+{line}\n" for line in new]
            new_count += len(new)
            pos = start + length
        for line in old[pos:a1]:
            body.append(f" {line}\n")
            new_count += 1
        old_count = a1 - a0
        b0 = a0 + shift
        out.append(f"@@ -{a0 + 1 if old_count else a0},{old_count} +{b0 + 1 if new_count else b0},{new_count} @@\n")
        out += body
        shift += sum(len(new) - length for _, length, new in group)
    return "".join(out)


def unified_diff(old: str, new: str) -> str:
    """Hunks only (`@@ -a,b +c,d @@` ...), as Codex puts in FileChange."""
    import difflib  # not on the `apply-patch` process's path

    body = list(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), n=3))
    return "".join(line if line.endswith("\n") else line + "\n" for line in body[2:])


def commit_plan(plan: PatchPlan) -> None:
    """Write every file or none: synced temp files renamed into place, directories synced after.

    Every step goes through directories opened from `/` without following symlinks
    (`patch/dirfd.py`): a directory on a planned path, or the file itself, that has become a
    symlink since the plan stops the commit, and nothing is written through it.
    On a failure every step already taken is undone; the error says which file failed and,
    if some could not be restored, which ones and why (the model must not be told that
    nothing changed when something did).
    """
    done: list[Done] = []
    writes = [(p, s) for p, s in plan.files.items() if s.current is not None and s.current != s.original]
    deletes = [(p, s) for p, s in plan.files.items() if s.current is None and s.original is not None]
    action, target = "write", plan.cwd
    with DirFds() as fds:
        try:
            for path, st in writes:
                target = path
                assert st.current is not None
                write_file(fds, path, st.current, st.mode)
                done.append(Done(path, st.original, st.mode, deleted=False))
            action = "delete"
            for path, st in deletes:
                target = path
                remove_file(fds, path)
                done.append(Done(path, st.original, st.mode, deleted=True))
        except OSError as e:
            unrestored = rollback(fds, done)
            head = _what_failed(plan.resolved_cwd, action, target, e)
            raise PatchApplyError(failure_message(plan.resolved_cwd, head, unrestored)) from e
        # The renames and unlinks live in the directories: sync them too, or a power cut may undo them.
        sync_dirs(fds, [p.parent for p, _ in writes + deletes] + [d.parent for d in fds.created])


def _what_failed(cwd: Path, action: str, target: Path, e: OSError) -> str:
    if isinstance(e, PathChanged):
        return (
            f"{_shown(cwd, e.path)} changed while the patch was being applied: "
            f"{_shown(cwd, e.component)} is now a symlink"
        )
    return f"failed to {action} {_shown(cwd, target)}: {reason(e)}"


def failure_message(cwd: Path, head: str, unrestored: list[Unrestored]) -> str:
    """What the model is told when a commit failed: the failure, then what the rollback left."""
    if not unrestored:
        return f"{head}; no file was changed"
    left = "; ".join(f"{_shown(cwd, u.path)} {u.what} ({u.reason})" for u in unrestored)
    return f"{head}; the rollback was incomplete: {left}; every other file was restored"


def _shown(cwd: Path, path: Path) -> str:
    """The path as the patch named it (relative to the resolved cwd) when it lies inside it."""
    try:
        return str(path.relative_to(cwd))
    except ValueError:
        return str(path)


def apply_patch_text(text: str, cwd: Path) -> str:
    """Parse, plan and commit; returns the summary."""
    from pycodex.patch.parser import parse_patch

    plan = plan_patch(parse_patch(text), cwd)
    if not plan.affected_paths() and not plan.summary_lines:
        raise PatchApplyError("No files were modified.")
    commit_plan(plan)
    return plan.summary()
