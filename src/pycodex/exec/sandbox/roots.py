"""Writable roots of a sandbox policy and the paths inside them that stay read-only.

This is the one place that decides what the sandbox protects. `.git`, `.codex` and `.pycodex`
directly under a writable root are protected whether or not they exist yet: a command must not
be able to create a repository (hooks, `core.fsmonitor`) or a config that something outside
the sandbox would later trust. Backends enforce it (bubblewrap binds a read-only placeholder
where the path is missing); in-process writers (apply_patch) check `WritableRoot.allows`,
which also refuses those names at any depth.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pycodex.protocol.policies import SandboxPolicy, WorkspaceWrite

PROTECTED_NAMES = (".git", ".codex", ".pycodex")


@dataclass(frozen=True)
class WritableRoot:
    """A directory commands may write, minus subpaths kept read-only."""

    root: Path
    read_only_subpaths: tuple[Path, ...] = field(default_factory=tuple)

    def allows(self, path: Path) -> bool:
        """Whether a resolved path may be written under this root (by pycodex itself)."""
        if path != self.root and self.root not in path.parents:
            return False
        if any(path == ro or ro in path.parents for ro in self.read_only_subpaths):
            return False
        return not any(part in PROTECTED_NAMES for part in path.relative_to(self.root).parts)


def protected_subpaths(root: Path) -> tuple[Path, ...]:
    """The read-only paths of a root: each protected name, and where a `.git` file points."""
    out: list[Path] = []
    for name in PROTECTED_NAMES:
        path = root / name
        out.append(path)
        if path.is_symlink():
            out.append(path.resolve())  # what it points at is what a write would change
        elif name == ".git" and path.is_file():
            target = _gitdir_target(path)
            if target is not None:
                out.append(target)
    return tuple(out)


def _gitdir_target(gitfile: Path) -> Path | None:
    # A worktree or submodule: `.git` is a file `gitdir: <path>` naming the real metadata.
    try:
        first = gitfile.read_text(encoding="utf-8", errors="replace").splitlines()[0]
    except (OSError, IndexError):
        return None
    if not first.startswith("gitdir:"):
        return None
    target = (gitfile.parent / first[len("gitdir:") :].strip()).resolve()
    return target if target.is_dir() else None


def writable_roots_for(
    policy: SandboxPolicy, cwd: Path, extra: Iterable[Path] = (), env: dict[str, str] | None = None,
    read_only: Iterable[Path] = (),
) -> list[WritableRoot]:
    """cwd, configured and extra roots, /tmp and $TMPDIR — each resolved, protected names kept,
    and `read_only` paths (e.g. a batch's output folder) kept read-only inside whichever root
    holds them."""
    if not isinstance(policy, WorkspaceWrite):
        return []
    kept = [Path(p).expanduser().resolve() for p in read_only]
    env = dict(os.environ) if env is None else env
    candidates: list[Path] = [cwd, *policy.writable_roots, *extra]
    if not policy.exclude_slash_tmp:
        candidates.append(Path("/tmp"))
    tmpdir = env.get("TMPDIR")
    if tmpdir and not policy.exclude_tmpdir_env_var:
        candidates.append(Path(tmpdir))
    roots: list[WritableRoot] = []
    seen: set[Path] = set()
    for c in candidates:
        r = Path(c).expanduser().resolve()
        if r in seen or not r.is_dir():
            continue
        seen.add(r)
        inside = tuple(p for p in kept if p == r or r in p.parents)
        roots.append(WritableRoot(r, (*protected_subpaths(r), *inside)))
    return roots


def unenforceable_by_landlock(roots: Sequence[WritableRoot], read_only: Iterable[Path]) -> Path | None:
    """A `read_only` path that lies inside a writable root (Landlock only adds rights, so it
    cannot keep it read-only there), or None."""
    for p in read_only:
        real = Path(p).expanduser().resolve()
        if any(real in r.read_only_subpaths for r in roots):
            return real
    return None


def is_path_writable(path: Path, roots: Sequence[WritableRoot]) -> bool:
    """Whether a path (resolved here: `..` and symlinks) falls in a writable root."""
    try:
        real = Path(path).resolve()
    except OSError:
        return False  # a path changing while it is resolved is not provably inside a root
    return any(r.allows(real) for r in roots)
