"""One typed Config from config.toml, a profile, `-c` overrides and CLI flags."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pycodex.config.errors import ConfigError
from pycodex.config.home import check_home_readable, pycodex_home
from pycodex.config.mcp import McpServerConfig, mcp_server_config
from pycodex.config.overrides import parse_override
from pycodex.config.web_search import WebSearchMode, configured_web_search
from pycodex.protocol.policies import (
    AskForApproval,
    ReasoningEffort,
    ReasoningSummary,
    SandboxMode,
    SandboxPolicy,
    Verbosity,
    WorkspaceWrite,
    policy_for_mode,
)

if TYPE_CHECKING:
    from pycodex.config.schema import SandboxWorkspaceWriteToml
    from pycodex.exec.env import ShellEnvironmentPolicy
    from pycodex.model.providers import ModelProviderInfo

__all__ = [
    "CliOverrides", "Config", "ConfigError", "McpServerConfig", "load_config", "load_toml",
    "pycodex_home",
]

DEFAULT_MODEL = "gpt-5.5"
DEFAULT_PROJECT_DOC_MAX_BYTES = 32 * 1024


@dataclass
class CliOverrides:
    """Typed flags; they win over `-c` overrides, which win over the profile and the file."""

    model: str | None = None
    cwd: Path | None = None
    approval_policy: AskForApproval | None = None
    sandbox_mode: SandboxMode | None = None
    model_provider: str | None = None
    profile: str | None = None
    add_dirs: list[Path] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)  # -c key=value


@dataclass
class ToolsConfig:
    """Which optional tools are offered."""

    plan: bool = False  # update_plan: off unless `tools.update_plan.enabled`, as in Codex 0.169
    view_image: bool = True
    web_search: WebSearchMode | None = None  # None: Codex's default, chosen per turn
    apply_patch: bool = True
    surface: str | None = None  # force "modern" or "classic"


@dataclass
class HistoryConfig:
    persistence: str = "save-all"
    max_bytes: int | None = None


@dataclass
class Config:
    """Everything a session needs to know, resolved."""

    home: Path
    cwd: Path
    model: str
    model_provider_id: str
    model_provider: ModelProviderInfo
    approval_policy: AskForApproval
    sandbox_policy: SandboxPolicy
    shell_environment_policy: ShellEnvironmentPolicy
    # None: the model family's default (and a family that does not take a field never gets it).
    model_reasoning_effort: ReasoningEffort | None = None
    model_reasoning_summary: ReasoningSummary | None = None
    model_verbosity: Verbosity | None = None
    model_context_window: int | None = None
    model_auto_compact_token_limit: int | None = None
    base_instructions: str | None = None
    developer_instructions: str | None = None
    user_instructions: str | None = None
    project_doc_max_bytes: int = DEFAULT_PROJECT_DOC_MAX_BYTES
    additional_writable_roots: list[Path] = field(default_factory=list)
    # Kept read-only even inside a writable root (set by a surface, e.g. batch's --out folder).
    protected_paths: list[Path] = field(default_factory=list)
    tools: ToolsConfig = field(default_factory=ToolsConfig)
    history: HistoryConfig = field(default_factory=HistoryConfig)
    mcp_servers: dict[str, McpServerConfig] = field(default_factory=dict)
    notify: list[str] | None = None
    hide_agent_reasoning: bool = False
    show_raw_agent_reasoning: bool = False
    compact_prompt: str | None = None
    ephemeral: bool = False
    shell_snapshot: bool = True
    # False where nobody can answer an approval request (exec, batch): a request is declined
    # at once, with the reason in the tool output, instead of waiting forever.
    can_ask_user: bool = True
    # Who started the session, recorded in its rollout (`session_meta`): the surface and client.
    originator: str = "pycodex_exec"
    session_source: str = "exec"
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    warnings: list[str] = field(default_factory=list)  # e.g. unknown keys; shown once by the CLI


def load_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file; a missing file is an empty table."""
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"config error: {path}: invalid TOML: {e}") from e
    except OSError as e:
        raise ConfigError(f"config error: cannot read {path}: {e.strerror or e}") from e


def load_config(
    cli: CliOverrides | None = None,
    *,
    home: Path | None = None,
    env: dict[str, str] | None = None,
) -> Config:
    """Resolve the config: defaults < config.toml < profile < `-c` < typed flags."""
    from pycodex.config.validate import Override, resolve
    from pycodex.exec.env import ShellEnvironmentPolicy
    from pycodex.model.providers import built_in_providers

    cli = cli or CliOverrides()
    env = dict(os.environ) if env is None else env
    home = home or pycodex_home(env)
    check_home_readable(home)
    config_path = home / "config.toml"
    overrides = [Override(r, tuple(p), v) for r in cli.raw for p, v in [parse_override(r)]]
    resolved = resolve(load_toml(config_path), str(config_path), overrides, cli.profile)
    t = resolved.settings

    cwd = (cli.cwd or Path(t.cwd or os.getcwd())).expanduser().resolve()
    providers: dict[str, ModelProviderInfo] = dict(built_in_providers(env))
    if t.openai_base_url is not None:  # the Codex SDK's baseUrl option
        providers["openai"] = providers["openai"].model_copy(update={"base_url": t.openai_base_url})
    providers.update(t.model_providers)
    provider_id = cli.model_provider or t.model_provider or "openai"
    if provider_id not in providers:
        raise ConfigError(
            f"config error: model provider {provider_id!r} is not defined; add "
            f"[model_providers.{provider_id}] to {config_path}"
        )

    tools_t = t.tools
    tools = ToolsConfig(
        plan=bool(tools_t and tools_t.update_plan and tools_t.update_plan.enabled),
        view_image=tools_t.view_image is not False if tools_t else True,
        web_search=configured_web_search(t),
        surface=tools_t.surface if tools_t else None,
    )
    history = HistoryConfig(
        persistence=t.history.persistence if t.history else "save-all",
        max_bytes=t.history.max_bytes if t.history else None,
    )
    snapshot = t.features.shell_snapshot if t.features else None
    return Config(
        home=home,
        cwd=cwd,
        model=cli.model or t.model or DEFAULT_MODEL,
        model_provider_id=provider_id,
        model_provider=providers[provider_id],
        approval_policy=cli.approval_policy or t.approval_policy or AskForApproval.ON_REQUEST,
        sandbox_policy=_sandbox_policy(
            cli.sandbox_mode or t.sandbox_mode or SandboxMode.READ_ONLY, t.sandbox_workspace_write
        ),
        shell_environment_policy=t.shell_environment_policy or ShellEnvironmentPolicy(),
        model_reasoning_effort=t.model_reasoning_effort,
        model_reasoning_summary=t.model_reasoning_summary,
        model_verbosity=t.model_verbosity,
        model_context_window=t.model_context_window,
        model_auto_compact_token_limit=t.model_auto_compact_token_limit,
        base_instructions=_read_optional(
            t.model_instructions_file or t.experimental_instructions_file
        )
        or t.base_instructions,
        developer_instructions=t.developer_instructions,
        user_instructions=_read_optional(str(home / "AGENTS.md")),
        project_doc_max_bytes=(
            DEFAULT_PROJECT_DOC_MAX_BYTES if t.project_doc_max_bytes is None else t.project_doc_max_bytes
        ),
        additional_writable_roots=[p.expanduser().resolve() for p in cli.add_dirs],
        tools=tools,
        history=history,
        mcp_servers={name: mcp_server_config(name, m) for name, m in t.mcp_servers.items()},
        notify=t.notify,
        hide_agent_reasoning=bool(t.hide_agent_reasoning),
        show_raw_agent_reasoning=bool(t.show_raw_agent_reasoning),
        compact_prompt=t.compact_prompt,
        shell_snapshot=snapshot if snapshot is not None else t.shell_snapshot is not False,
        env=env,
        warnings=resolved.warnings,
    )


def _sandbox_policy(mode: SandboxMode, ww: SandboxWorkspaceWriteToml | None) -> SandboxPolicy:
    policy = policy_for_mode(mode)
    if isinstance(policy, WorkspaceWrite) and ww is not None:
        policy = WorkspaceWrite(
            writable_roots=[Path(p).expanduser() for p in ww.writable_roots],
            network_access=ww.network_access,
            exclude_tmpdir_env_var=ww.exclude_tmpdir_env_var,
            exclude_slash_tmp=ww.exclude_slash_tmp,
        )
    return policy


def _read_optional(path: str | None) -> str | None:
    if not path:
        return None
    try:
        return Path(path).expanduser().read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        return None
