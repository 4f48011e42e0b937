"""Writable roots of a sandbox policy, resolved (pure apart from path resolution)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pycodex.protocol.policies import SandboxPolicy, WorkspaceWrite

PROTECTED_SUBPATHS = (".git", ".pycodex", ".codex")


@dataclass(frozen=True)
class WritableRoot:
    """A directory commands may write, minus subpaths kept read-only."""

    root: Path
    read_only_subpaths: tuple[Path, ...] = field(default_factory=tuple)

    def allows(self, path: Path) -> bool:
        """Whether a resolved path may be written under this root."""
        if path != self.root and self.root not in path.parents:
            return False
        return not any(path == ro or ro in path.parents for ro in self.read_only_subpaths)


def writable_roots_for(
    policy: SandboxPolicy, cwd: Path, extra: Iterable[Path] = (), env: dict[str, str] | None = None
) -> list[WritableRoot]:
    """cwd, configured and extra roots, /tmp and $TMPDIR — each resolved, `.git` protected."""
    if not isinstance(policy, WorkspaceWrite):
        return []
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
        protected = tuple(r / name for name in PROTECTED_SUBPATHS if (r / name).exists())
        roots.append(WritableRoot(r, tuple(p.resolve() for p in protected)))
    return roots


def is_path_writable(path: Path, roots: Sequence[WritableRoot]) -> bool:
    """Whether a path (resolved here: `..` and symlinks) falls in a writable root."""
    real = Path(path).resolve()
    return any(r.allows(real) for r in roots)
