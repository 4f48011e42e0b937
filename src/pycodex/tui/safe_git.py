"""git for the UI's own reads of the workspace (`/diff`, `@` search), run outside any sandbox.

A command the model ran may have written the repository's config, and a downloaded repository
brings its own: so nothing there may start a program. No global or system config, no hooks,
fsmonitor, pager, external diff or textconv, and every filter driver the repository's config
defines is switched off (git runs a clean filter to compare a changed file).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

GIT_TIMEOUT = 10.0  # seconds; a diff or a file list of a workspace

_ENV = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "HOME": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_ATTR_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_OPTIONAL_LOCKS": "0",
    "LC_ALL": "C",
}
_OVERRIDES = ("core.fsmonitor=false", f"core.hooksPath={os.devnull}", "core.pager=cat",
              "diff.external=", "log.showSignature=false", "gpg.program=false")


def filters_off(config_names: str) -> list[str]:
    """`-c` pairs that disable each filter driver named in `git config --name-only` output."""
    names = sorted({line.removeprefix("filter.").rpartition(".")[0]
                    for line in config_names.splitlines() if line.startswith("filter.")} - {""})
    out: list[str] = []
    for name in names:
        for key in ("clean", "smudge", "process"):
            out += ["-c", f"filter.{name}.{key}="]
        out += ["-c", f"filter.{name}.required=false"]
    return out


async def run_isolated(cwd: Path, args: list[str], ok: tuple[int, ...] = (0,)) -> str | None:
    """`git ARGS` isolated as above but with the repository's filters left as they are: for
    commands that never read a file's content (refs, logs). Its stdout, or None."""
    argv = ["git", "--no-pager"]
    for override in _OVERRIDES:
        argv += ["-c", override]
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, *args, cwd=cwd, env=_ENV, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        )
    except OSError:  # no git, or cwd is gone
        return None
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), GIT_TIMEOUT)
    except TimeoutError:
        return None
    finally:
        if proc.returncode is None:
            proc.kill()
    return out.decode("utf-8", "replace") if proc.returncode in ok else None


async def git(cwd: Path, *args: str, ok: tuple[int, ...] = (0,)) -> str | None:
    """`git ARGS` in cwd, isolated as above: its stdout, or None when it fails or cannot run."""
    names = await run_isolated(cwd, ["config", "--name-only", "--get-regexp", r"^filter\."], (0, 1))
    return await run_isolated(cwd, [*filters_off(names or ""), *args], ok)
