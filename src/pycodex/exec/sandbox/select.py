"""Choosing the sandbox backend and wrapping a command in it.

`detect_backend` and `wrap_command` touch the filesystem and may start a probe process: call
them from a worker thread (`asyncio.to_thread`), never on the event loop.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from pycodex.exec.pyspawn import isolated_python_argv
from pycodex.exec.sandbox.bwrap import ProtectedPathError, bwrap_argv, prepare_mount_targets
from pycodex.exec.sandbox.roots import unenforceable_by_landlock, writable_roots_for
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
             "--cap-drop", "ALL", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
             "--", "true"],
            capture_output=True, timeout=10, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return path if proc.returncode == 0 else None


@cache
def _probe_landlock() -> bool:
    from pycodex.exec.sandbox.landlock import abi_version

    return abi_version() >= 1


def detect_backend() -> str | None:
    """"bwrap" when bubblewrap works here, else "landlock" when the kernel has it, else None.

    `PYCODEX_SANDBOX_BACKEND=bwrap|landlock|none` forces a choice (for tests, and for users
    whose bubblewrap misbehaves); `none` means sandboxed commands are refused.
    """
    forced = os.environ.get("PYCODEX_SANDBOX_BACKEND")
    if forced == "none":
        return None
    if forced == "landlock":
        return "landlock" if _probe_landlock() else None
    if forced == "bwrap":
        return "bwrap" if _probe_bwrap() else None
    if _probe_bwrap():
        return "bwrap"
    return "landlock" if _probe_landlock() else None


def wrap_command(
    argv: Sequence[str],
    policy: SandboxPolicy,
    cwd: Path,
    extra_roots: Sequence[Path] = (),
    env: dict[str, str] | None = None,
    workdir: Path | None = None,
    read_only: Sequence[Path] = (),
) -> list[str]:
    """argv unchanged for danger-full-access; wrapped in the sandbox backend otherwise.
    `read_only`: paths kept read-only even inside a writable root."""
    if isinstance(policy, DangerFullAccess):
        return list(argv)
    backend = detect_backend()
    roots = writable_roots_for(policy, cwd, extra_roots, env, read_only)
    if backend == "bwrap":
        bwrap = _probe_bwrap()
        assert bwrap is not None
        try:
            read_only = prepare_mount_targets(roots)
        except ProtectedPathError as e:
            raise SandboxUnavailableError(str(e)) from e
        return bwrap_argv(argv, roots, read_only, workdir or cwd, has_network_access(policy), bwrap)
    if backend == "landlock":
        exposed = unenforceable_by_landlock(roots, read_only)
        if exposed is not None:  # refused rather than run with it writable
            raise SandboxUnavailableError(
                f"the Landlock sandbox cannot keep {exposed} read-only inside a writable root; "
                "install bubblewrap, or keep that path outside the writable roots"
            )
        launcher = isolated_python_argv("pycodex.exec.sandbox.landlock_exec")
        for root in roots:
            launcher += ["--writable", str(root.root)]
        if has_network_access(policy):
            launcher.append("--network")
        launcher += ["--chdir", str(workdir or cwd)]
        return [*launcher, "--", *argv]
    raise SandboxUnavailableError(
        "no sandbox is available: bubblewrap (bwrap) is not installed or cannot create namespaces, "
        "and the kernel has no Landlock; install the `bubblewrap` package, or run with "
        "--sandbox danger-full-access only in an already isolated environment"
    )
