"""The bubblewrap backend: a mount namespace with read-only `/` and writable roots."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pycodex.exec.sandbox.roots import WritableRoot


def bwrap_argv(
    command: Sequence[str], roots: Sequence[WritableRoot], cwd: Path, network: bool, bwrap: str
) -> list[str]:
    """The argv that runs `command` under bubblewrap."""
    argv = [
        bwrap,
        "--new-session",
        "--die-with-parent",
        "--unshare-pid",
        "--ro-bind", "/", "/",
        "--dev", "/dev",
        "--proc", "/proc",
    ]
    if not network:
        argv.append("--unshare-net")
    # Parents before children, and every read-only subpath last: a later bind of a parent
    # would otherwise hide the read-only mount beneath it.
    ordered = sorted(roots, key=lambda r: len(r.root.parts))
    for root in ordered:
        argv += ["--bind", str(root.root), str(root.root)]
    for root in ordered:
        for ro in root.read_only_subpaths:
            argv += ["--ro-bind", str(ro), str(ro)]
    argv += ["--chdir", str(cwd), "--", *command]
    return argv
