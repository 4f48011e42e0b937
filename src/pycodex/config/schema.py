"""The shape of config.toml: every key pycodex reads, with Codex's names and types.

Validated in strict mode (no `"yes"` for a boolean, no `"3"` for an integer); enum-valued
keys take their string values. Unknown keys never fail validation: they are reported as
warnings by `pycodex.config.validate`.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from pycodex.exec.env import ShellEnvironmentPolicy
from pycodex.model.providers import ModelProviderInfo
from pycodex.protocol.policies import (
    AskForApproval,
    ReasoningEffort,
    ReasoningSummary,
    SandboxMode,
    Verbosity,
)

E = TypeVar("E", bound=StrEnum)


def _enum_value(kind: type[E]) -> BeforeValidator:
    # Strict validation wants enum instances; TOML gives their string values.
    allowed = ", ".join(m.value for m in kind)

    def convert(value: Any) -> Any:
        if isinstance(value, kind):
            return value
        if isinstance(value, str) and value in kind._value2member_map_:
            return kind(value)
        raise PydanticCustomError("enum", "one of: {expected}", {"expected": allowed})

    return BeforeValidator(convert)


Approval = Annotated[AskForApproval, _enum_value(AskForApproval)]
Sandbox = Annotated[SandboxMode, _enum_value(SandboxMode)]
Effort = Annotated[ReasoningEffort, _enum_value(ReasoningEffort)]
Summary = Annotated[ReasoningSummary, _enum_value(ReasoningSummary)]
VerbosityLevel = Annotated[Verbosity, _enum_value(Verbosity)]


class Table(BaseModel):
    """A TOML table: unknown keys are ignored here and reported separately."""

    model_config = ConfigDict(extra="ignore")


class SandboxWorkspaceWriteToml(Table):
    """`[sandbox_workspace_write]`."""

    writable_roots: list[str] = Field(default_factory=list)
    network_access: bool = False
    exclude_tmpdir_env_var: bool = False
    exclude_slash_tmp: bool = False


class HistoryToml(Table):
    """`[history]`."""

    persistence: Literal["save-all", "none"] = "save-all"
    max_bytes: int | None = Field(default=None, ge=0)


class UpdatePlanToml(Table):
    """`[tools.update_plan]`."""

    enabled: bool = True


class ToolsToml(Table):
    """`[tools]`."""

    web_search: bool | None = None
    view_image: bool | None = None
    update_plan: UpdatePlanToml | None = None
    surface: Literal["modern", "classic"] | None = None


class FeaturesToml(Table):
    """`[features]`: the flags pycodex acts on (Codex's others are accepted and ignored)."""

    shell_snapshot: bool | None = None
    web_search_request: bool | None = None  # older switch for live web search
    web_search_cached: bool | None = None  # older switch for cached web search


class McpServerToml(Table):
    """`[mcp_servers.<name>]`, with the keys Codex reads: a stdio server (`command`) or a
    streamable-HTTP one (`url`), never both; the other transport's keys are refused."""

    # stdio
    command: str | None = None
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    env_vars: list[str] = Field(default_factory=list)
    cwd: str | None = None
    # streamable HTTP
    url: str | None = None
    bearer_token_env_var: str | None = None
    http_headers: dict[str, str] = Field(default_factory=dict)
    env_http_headers: dict[str, str] = Field(default_factory=dict)
    # both
    enabled: bool = True
    required: bool = False
    startup_timeout_sec: float | None = Field(default=None, gt=0)
    startup_timeout_ms: int | None = Field(default=None, gt=0)
    tool_timeout_sec: float | None = Field(default=None, gt=0)
    enabled_tools: list[str] | None = None
    disabled_tools: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_transport(self) -> McpServerToml:
        if self.command is not None and self.url is not None:
            raise ValueError("set `command` (a stdio server) or `url` (a streamable HTTP server), not both")
        if self.command is None and self.url is None:
            raise ValueError("set `command` (a stdio server) or `url` (a streamable HTTP server)")
        if self.command is not None and not self.command.strip():
            raise ValueError("`command` is empty")
        if self.url is not None and not self.url.startswith(("http://", "https://")):
            raise ValueError(f"`url` must start with http:// or https://, got {self.url!r}")
        given = self.model_fields_set
        other = _HTTP_KEYS if self.command is not None else _STDIO_KEYS
        wrong = sorted(k for k in other if k in given)
        if wrong:
            kind = "a stdio server (`command`)" if self.command is not None else "a streamable HTTP server (`url`)"
            raise ValueError(f"`{wrong[0]}` does not apply to {kind}")
        return self


_STDIO_KEYS = ("args", "env", "env_vars", "cwd")
_HTTP_KEYS = ("bearer_token_env_var", "http_headers", "env_http_headers")
MCP_SERVER_NAME = re.compile(r"^[a-zA-Z0-9_-]+$")


class SettingsToml(Table):
    """The settings a profile may set; the file's top level holds the same keys."""

    model: str | None = None
    model_provider: str | None = None
    model_providers: dict[str, ModelProviderInfo] = Field(default_factory=dict)
    openai_base_url: str | None = None
    approval_policy: Approval | None = None
    sandbox_mode: Sandbox | None = None
    sandbox_workspace_write: SandboxWorkspaceWriteToml | None = None
    shell_environment_policy: ShellEnvironmentPolicy | None = None
    model_reasoning_effort: Effort | None = None
    model_reasoning_summary: Summary | None = None
    model_verbosity: VerbosityLevel | None = None
    model_context_window: int | None = Field(default=None, gt=0)
    model_auto_compact_token_limit: int | None = None
    model_instructions_file: str | None = None
    experimental_instructions_file: str | None = None
    base_instructions: str | None = None
    developer_instructions: str | None = None
    compact_prompt: str | None = None
    project_doc_max_bytes: int | None = Field(default=None, ge=0)
    tools: ToolsToml | None = None
    web_search: Literal["disabled", "cached", "indexed", "live"] | None = None
    history: HistoryToml | None = None
    mcp_servers: dict[str, McpServerToml] = Field(default_factory=dict)
    notify: list[str] | None = None
    hide_agent_reasoning: bool | None = None
    show_raw_agent_reasoning: bool | None = None
    features: FeaturesToml | None = None
    shell_snapshot: bool | None = None  # older spelling of features.shell_snapshot
    cwd: str | None = None

    @field_validator("model_providers", mode="before")
    @classmethod
    def _name_defaults_to_id(cls, value: Any) -> Any:
        # pycodex lets `[model_providers.x]` omit `name`; the id stands in for it.
        if isinstance(value, dict):
            return {k: {"name": k, **v} if isinstance(v, dict) else v for k, v in value.items()}
        return value


    @field_validator("mcp_servers", mode="before")
    @classmethod
    def _server_names(cls, value: Any) -> Any:
        # Codex's rule: the name becomes part of tool names (`mcp__<name>__<tool>`).
        if isinstance(value, dict):
            for name in value:
                if not MCP_SERVER_NAME.fullmatch(name):
                    raise ValueError(
                        f"server name {name!r} is not allowed: names must match ^[a-zA-Z0-9_-]+$"
                    )
        return value


class ConfigToml(SettingsToml):
    """The whole config.toml."""

    profile: str | None = None
    profiles: dict[str, SettingsToml] = Field(default_factory=dict)
