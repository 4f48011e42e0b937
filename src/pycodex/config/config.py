"""One typed Config from config.toml, a profile, `-c` overrides and CLI flags."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pycodex.config.overrides import apply_overrides, parse_override
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
    from pycodex.exec.env import ShellEnvironmentPolicy
    from pycodex.model.providers import ModelProviderInfo

DEFAULT_MODEL = "gpt-5.5"
DEFAULT_PROJECT_DOC_MAX_BYTES = 32 * 1024


class ConfigError(ValueError):
    """The configuration cannot be used; the message says what to fix."""


def pycodex_home(env: dict[str, str] | None = None) -> Path:
    """`$PYCODEX_HOME`, else `~/.pycodex`."""
    source = os.environ if env is None else env
    raw = source.get("PYCODEX_HOME")
    return Path(raw).expanduser() if raw else Path.home() / ".pycodex"


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

    plan: bool = True
    view_image: bool = True
    web_search: bool = False
    apply_patch: bool = True
    surface: str | None = None  # force "modern" or "classic"


@dataclass
class HistoryConfig:
    persistence: str = "save-all"
    max_bytes: int | None = None


@dataclass
class McpServerConfig:
    """One `[mcp_servers.<name>]` entry."""

    name: str
    command: str | None = None
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    url: str | None = None
    startup_timeout_sec: float = 10.0
    tool_timeout_sec: float = 60.0
    enabled: bool = True


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
    model_reasoning_effort: ReasoningEffort | None = None
    model_reasoning_summary: ReasoningSummary = ReasoningSummary.AUTO
    model_verbosity: Verbosity | None = None
    model_context_window: int | None = None
    model_auto_compact_token_limit: int | None = None
    base_instructions: str | None = None
    developer_instructions: str | None = None
    user_instructions: str | None = None
    project_doc_max_bytes: int = DEFAULT_PROJECT_DOC_MAX_BYTES
    additional_writable_roots: list[Path] = field(default_factory=list)
    tools: ToolsConfig = field(default_factory=ToolsConfig)
    history: HistoryConfig = field(default_factory=HistoryConfig)
    mcp_servers: dict[str, McpServerConfig] = field(default_factory=dict)
    notify: list[str] | None = None
    hide_agent_reasoning: bool = False
    show_raw_agent_reasoning: bool = False
    compact_prompt: str | None = None
    ephemeral: bool = False
    shell_snapshot: bool = True
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))


def load_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file; a missing file is an empty table."""
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: {e}") from e


def load_config(
    cli: CliOverrides | None = None,
    *,
    home: Path | None = None,
    env: dict[str, str] | None = None,
) -> Config:
    """Resolve the config: defaults < config.toml < profile < `-c` < typed flags."""
    from pycodex.exec.env import ShellEnvironmentPolicy
    from pycodex.model.providers import ModelProviderInfo, built_in_providers

    cli = cli or CliOverrides()
    env = dict(os.environ) if env is None else env
    home = home or pycodex_home(env)
    table = load_toml(home / "config.toml")
    overrides = [parse_override(r) for r in cli.raw]
    override_profile = next((v for p, v in overrides if p == ["profile"]), None)
    profile_name = cli.profile or override_profile or table.get("profile")
    if profile_name:
        profiles = table.get("profiles", {})
        if profile_name not in profiles:
            raise ConfigError(f"profile {profile_name!r} not found in {home / 'config.toml'}")
        for k, v in profiles[profile_name].items():
            table[k] = v
    apply_overrides(table, overrides)  # -c wins over the profile and the file

    cwd = (cli.cwd or Path(table.get("cwd") or os.getcwd())).expanduser().resolve()
    model = cli.model or table.get("model") or DEFAULT_MODEL

    providers: dict[str, ModelProviderInfo] = dict(built_in_providers(env))
    if isinstance(table.get("openai_base_url"), str):  # the Codex SDK's baseUrl option
        providers["openai"] = providers["openai"].model_copy(update={"base_url": table["openai_base_url"]})
    for pid, raw in (table.get("model_providers") or {}).items():
        if isinstance(raw, dict):
            providers[pid] = ModelProviderInfo.model_validate({"name": pid, **raw})
    provider_id = cli.model_provider or table.get("model_provider") or "openai"
    if provider_id not in providers:
        raise ConfigError(
            f"model provider {provider_id!r} is not defined; add [model_providers.{provider_id}] "
            f"to {home / 'config.toml'}"
        )

    approval = cli.approval_policy or _enum(AskForApproval, table.get("approval_policy"))
    sandbox = _sandbox_policy(table, cli.sandbox_mode)
    add_dirs = [p.expanduser().resolve() for p in cli.add_dirs]

    tools_t = table.get("tools") or {}
    plan_t = tools_t.get("update_plan")
    tools = ToolsConfig(
        plan=bool(plan_t.get("enabled", True)) if isinstance(plan_t, dict) else True,
        view_image=bool(tools_t.get("view_image", True)),
        web_search=bool(tools_t.get("web_search", False))
        or table.get("web_search") in ("live", "cached"),
        surface=tools_t.get("surface"),
    )
    hist_t = table.get("history") or {}
    history = HistoryConfig(
        persistence=str(hist_t.get("persistence", "save-all")),
        max_bytes=hist_t.get("max_bytes"),
    )
    return Config(
        home=home,
        cwd=cwd,
        model=model,
        model_provider_id=provider_id,
        model_provider=providers[provider_id],
        approval_policy=approval or AskForApproval.ON_REQUEST,
        sandbox_policy=sandbox,
        shell_environment_policy=ShellEnvironmentPolicy.model_validate(
            table.get("shell_environment_policy") or {}
        ),
        model_reasoning_effort=_enum(ReasoningEffort, table.get("model_reasoning_effort")),
        model_reasoning_summary=_enum(ReasoningSummary, table.get("model_reasoning_summary"))
        or ReasoningSummary.AUTO,
        model_verbosity=_enum(Verbosity, table.get("model_verbosity")),
        model_context_window=table.get("model_context_window"),
        model_auto_compact_token_limit=table.get("model_auto_compact_token_limit"),
        base_instructions=_read_optional(
            table.get("model_instructions_file") or table.get("experimental_instructions_file")
        )
        or table.get("base_instructions"),
        developer_instructions=table.get("developer_instructions"),
        user_instructions=_read_optional(str(home / "AGENTS.md")),
        project_doc_max_bytes=int(table.get("project_doc_max_bytes", DEFAULT_PROJECT_DOC_MAX_BYTES)),
        additional_writable_roots=add_dirs,
        tools=tools,
        history=history,
        mcp_servers=_mcp_servers(table.get("mcp_servers") or {}),
        notify=table.get("notify"),
        hide_agent_reasoning=bool(table.get("hide_agent_reasoning", False)),
        show_raw_agent_reasoning=bool(table.get("show_raw_agent_reasoning", False)),
        compact_prompt=table.get("compact_prompt"),
        shell_snapshot=bool((table.get("features") or {}).get("shell_snapshot", table.get("shell_snapshot", True))),
        env=env,
    )


def _enum(kind: Any, value: Any) -> Any:
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError as e:
        allowed = ", ".join(m.value for m in kind)
        raise ConfigError(f"invalid value {value!r}; expected one of: {allowed}") from e


def _sandbox_policy(table: dict[str, Any], mode: SandboxMode | None) -> SandboxPolicy:
    mode = mode or _enum(SandboxMode, table.get("sandbox_mode")) or SandboxMode.READ_ONLY
    policy = policy_for_mode(mode)
    if isinstance(policy, WorkspaceWrite):
        ww = table.get("sandbox_workspace_write") or {}
        policy = WorkspaceWrite(
            writable_roots=[Path(p).expanduser() for p in ww.get("writable_roots", [])],
            network_access=bool(ww.get("network_access", False)),
            exclude_tmpdir_env_var=bool(ww.get("exclude_tmpdir_env_var", False)),
            exclude_slash_tmp=bool(ww.get("exclude_slash_tmp", False)),
        )
    return policy


def _read_optional(path: str | None) -> str | None:
    if not path:
        return None
    try:
        return Path(path).expanduser().read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        return None


def _mcp_servers(raw: dict[str, Any]) -> dict[str, McpServerConfig]:
    out: dict[str, McpServerConfig] = {}
    for name, t in raw.items():
        if not isinstance(t, dict):
            continue
        timeout = t.get("startup_timeout_sec")
        if timeout is None and "startup_timeout_ms" in t:
            timeout = t["startup_timeout_ms"] / 1000
        out[name] = McpServerConfig(
            name=name,
            command=t.get("command"),
            args=list(t.get("args", [])),
            env=dict(t.get("env", {})),
            url=t.get("url"),
            startup_timeout_sec=float(timeout or 10.0),
            tool_timeout_sec=float(t.get("tool_timeout_sec", 60.0)),
            enabled=bool(t.get("enabled", True)),
        )
    return out
