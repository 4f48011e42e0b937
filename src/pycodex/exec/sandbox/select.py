"""Choosing the sandbox backend and wrapping a command in it."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from pycodex.exec.sandbox.bwrap import bwrap_argv
from pycodex.exec.sandbox.roots import writable_roots_for
from pycodex.protocol.policies import DangerFullAccess, SandboxPolicy, has_network_access


class SandboxUnavailableError(Exception):
    """No sandbox backend works here; commands are refused rather than run unconfined."""


@cache
def _probe_bwrap() -> str | None:
    path = shutil.which("bwrap")
    if path is None:
        return None
    try:
        proc = subprocess.run(
            [path, "--new-session", "--die-with-parent", "--unshare-pid", "--unshare-net",
             "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--", "true"],
            capture_output=True, timeout=10, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return path if proc.returncode == 0 else None


def detect_backend() -> str | None:
    """"bwrap" when bubblewrap is installed and works here, else None."""
    return "bwrap" if _probe_bwrap() else None


def wrap_command(
    argv: Sequence[str],
    policy: SandboxPolicy,
    cwd: Path,
    extra_roots: Sequence[Path] = (),
    env: dict[str, str] | None = None,
    workdir: Path | None = None,
) -> list[str]:
    """argv unchanged for danger-full-access; wrapped in bubblewrap otherwise."""
    if isinstance(policy, DangerFullAccess):
        return list(argv)
    bwrap = _probe_bwrap()
    if bwrap is None:
        raise SandboxUnavailableError(
            "bubblewrap (bwrap) is not installed or cannot create namespaces here; install the "
            "`bubblewrap` package, or run with --sandbox danger-full-access in an already "
            "isolated environment"
        )
    roots = writable_roots_for(policy, cwd, extra_roots, env)
    return bwrap_argv(argv, roots, workdir or cwd, has_network_access(policy), bwrap)
