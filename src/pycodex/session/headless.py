"""The config of a session nobody can answer (`exec`, `batch`): the flags they share."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pycodex.protocol.policies import AskForApproval, SandboxMode

if TYPE_CHECKING:
    from pycodex.config.config import CliOverrides, Config


@dataclass
class HeadlessFlags:
    """The `exec` flags that shape every session a headless surface starts."""

    model: str | None = None
    config: list[str] = field(default_factory=list)  # -c key=value, in order (later wins)
    profile: str | None = None
    sandbox: SandboxMode | None = None
    approval: AskForApproval | None = None
    full_auto: bool = False
    yolo: bool = False
    add_dir: list[Path] = field(default_factory=list)
    oss: bool = False
    ephemeral: bool = False


OSS_DEFAULT_MODEL = "gpt-oss:20b"  # Ollama's name for it


def headless_overrides(flags: HeadlessFlags, cwd: Path | None) -> CliOverrides:
    """The typed overrides the flags stand for (`--full-auto`, `--yolo` resolved)."""
    from pycodex.config.config import CliOverrides

    sandbox, approval = flags.sandbox, flags.approval
    if flags.full_auto:
        sandbox = sandbox or SandboxMode.WORKSPACE_WRITE
    if flags.yolo:
        sandbox, approval = SandboxMode.DANGER_FULL_ACCESS, AskForApproval.NEVER
    return CliOverrides(
        # `--oss` without `-m`: the local provider's default model, as Codex picks it.
        model=flags.model or (OSS_DEFAULT_MODEL if flags.oss else None),
        cwd=cwd,
        approval_policy=approval,
        sandbox_mode=sandbox,
        model_provider="ollama" if flags.oss else None,
        profile=flags.profile,
        add_dirs=list(flags.add_dir),
        raw=list(flags.config),
    )


def make_headless(config: Config, flags: HeadlessFlags) -> None:
    """Nobody can answer: approval `never` unless configured, requests declined at once."""
    if flags.approval is None and not flags.yolo and not _configured(config, "approval_policy", flags):
        config.approval_policy = AskForApproval.NEVER
    config.ephemeral = flags.ephemeral
    config.can_ask_user = False  # declined at once, never waited on


def load_headless_config(
    flags: HeadlessFlags, cwd: Path | None, *, env: dict[str, str] | None = None
) -> Config:
    """Load the config for one headless session; raises ConfigError on a bad one."""
    from pycodex.config.config import load_config

    config = load_config(headless_overrides(flags, cwd), env=env)
    make_headless(config, flags)
    return config


def _configured(config: Config, key: str, flags: HeadlessFlags) -> bool:
    """Whether `key` was set by `-c`, config.toml or the profile in use."""
    from pycodex.config.config import load_toml

    if any(c.split("=", 1)[0].strip() == key for c in flags.config):
        return True
    table = load_toml(config.home / "config.toml")
    if key in table:
        return True
    prof = flags.profile or table.get("profile")
    return bool(prof and key in (table.get("profiles", {}).get(prof) or {}))
