"""shell_environment_policy: which environment variables a command gets."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CORE_VARS = ("HOME", "LOGNAME", "PATH", "SHELL", "USER", "USERNAME", "TMPDIR", "TEMP", "TMP")
DEFAULT_EXCLUDES = ("*KEY*", "*SECRET*", "*TOKEN*")


class ShellEnvironmentPolicy(BaseModel):
    """Codex's `[shell_environment_policy]` table."""

    model_config = ConfigDict(extra="ignore")

    inherit: Literal["all", "core", "none"] = "all"
    ignore_default_excludes: bool = False
    exclude: list[str] = Field(default_factory=list)
    set: dict[str, str] = Field(default_factory=dict)
    include_only: list[str] = Field(default_factory=list)
    experimental_use_profile: bool = False


def _matches(name: str, patterns: Iterable[str]) -> bool:
    upper = name.upper()
    return any(fnmatch.fnmatchcase(upper, p.upper()) for p in patterns)


def build_env(
    policy: ShellEnvironmentPolicy, base_env: dict[str, str], secrets: Iterable[str] = ()
) -> dict[str, str]:
    """inherit → default excludes → exclude → secrets removed → set → include_only."""
    if policy.inherit == "all":
        env = dict(base_env)
    elif policy.inherit == "core":
        env = {k: v for k, v in base_env.items() if k in CORE_VARS}
    else:
        env = {}
    if not policy.ignore_default_excludes:
        env = {k: v for k, v in env.items() if not _matches(k, DEFAULT_EXCLUDES)}
    if policy.exclude:
        env = {k: v for k, v in env.items() if not _matches(k, policy.exclude)}
    # The model's credentials never reach commands unless the user sets them explicitly.
    for name in secrets:
        env.pop(name, None)
    env.update(policy.set)
    if policy.include_only:
        env = {k: v for k, v in env.items() if _matches(k, policy.include_only)}
    return env
