"""The bubblewrap backend: a mount namespace with read-only `/` and writable roots."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from pycodex.exec.sandbox.roots import WritableRoot


class ProtectedPathError(Exception):
    """A protected path cannot be kept read-only (e.g. a dangling `.git` symlink)."""


def prepare_mount_targets(roots: Sequence[WritableRoot]) -> list[Path]:
    """Create empty placeholders for missing protected paths; returns the paths to bind.

    A bind needs an existing target, and a path the command could create is exactly what must
    not be left unprotected. Placeholders are left in place afterwards (as Codex leaves its
    own): removing one while another sandbox still has it mounted would unprotect that one.
    """
    binds: list[Path] = []
    for root in roots:
        for ro in root.read_only_subpaths:
            if os.path.lexists(ro):
                if ro.is_symlink() and not ro.exists():
                    raise ProtectedPathError(
                        f"{ro} is a dangling symlink: pycodex cannot keep it read-only; remove it"
                    )
                binds.append(ro)
                continue
            try:
                ro.mkdir()
            except FileExistsError:
                pass
            except OSError:
                continue  # we cannot create it, so neither can the (less privileged) command
            binds.append(ro)
    return binds


def bwrap_argv(
    command: Sequence[str],
    roots: Sequence[WritableRoot],
    read_only: Sequence[Path],
    cwd: Path,
    network: bool,
    bwrap: str,
) -> list[str]:
    """The argv that runs `command` under bubblewrap."""
    argv = [
        bwrap,
        "--new-session",
        "--die-with-parent",
        "--unshare-pid",
        # Run as root, bubblewrap keeps every capability, and `mount -o remount,rw /` undoes
        # the read-only root: the sandbox holds no capabilities at all.
        "--cap-drop", "ALL",
        "--ro-bind", "/", "/",
        "--dev", "/dev",
        "--proc", "/proc",
    ]
    if not network:
        argv.append("--unshare-net")
    # Parents before children (a later bind of a parent would hide what is mounted beneath
    # it), and at the same path the read-only bind last. So a writable root inside a read-only
    # path (a batch task's workspace inside its output folder) stays writable, and a protected
    # path inside it read-only again.
    mounts = [(len(r.root.parts), 0, "--bind", r.root) for r in roots]
    mounts += [(len(p.parts), 1, "--ro-bind", p) for p in read_only]
    for _, _, flag, path in sorted(mounts, key=lambda m: (m[0], m[1])):
        argv += [flag, str(path), str(path)]
    argv += ["--chdir", str(cwd), "--", *command]
    return argv
