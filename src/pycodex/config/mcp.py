"""`[mcp_servers.<name>]` resolved: how to reach one MCP server and which of its tools to use."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pycodex.config.schema import McpServerToml

DEFAULT_STARTUP_TIMEOUT_SEC = 10.0
DEFAULT_TOOL_TIMEOUT_SEC = 60.0


@dataclass(frozen=True)
class StdioTransport:
    """A server pycodex starts as a child process and talks to over stdin/stdout."""

    command: str
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    env_vars: tuple[str, ...] = ()  # names passed through from pycodex's environment
    cwd: Path | None = None


@dataclass(frozen=True)
class HttpTransport:
    """A server reached over streamable HTTP."""

    url: str
    bearer_token_env_var: str | None = None
    http_headers: dict[str, str] = field(default_factory=dict)
    env_http_headers: dict[str, str] = field(default_factory=dict)  # header → variable name


@dataclass(frozen=True)
class McpServerConfig:
    """One configured MCP server."""

    name: str
    transport: StdioTransport | HttpTransport
    enabled: bool = True
    required: bool = False
    startup_timeout_sec: float = DEFAULT_STARTUP_TIMEOUT_SEC
    tool_timeout_sec: float = DEFAULT_TOOL_TIMEOUT_SEC
    enabled_tools: tuple[str, ...] | None = None
    disabled_tools: tuple[str, ...] = ()

    @property
    def command(self) -> str | None:
        """The stdio command, if this is a stdio server."""
        return self.transport.command if isinstance(self.transport, StdioTransport) else None

    @property
    def args(self) -> list[str]:
        """The stdio arguments (empty for an HTTP server)."""
        return list(self.transport.args) if isinstance(self.transport, StdioTransport) else []

    @property
    def url(self) -> str | None:
        """The URL, if this is a streamable HTTP server."""
        return self.transport.url if isinstance(self.transport, HttpTransport) else None

    def uses_tool(self, tool: str) -> bool:
        """Whether `enabled_tools` / `disabled_tools` let this tool through."""
        if self.enabled_tools is not None and tool not in self.enabled_tools:
            return False
        return tool not in self.disabled_tools


def mcp_server_config(name: str, t: McpServerToml) -> McpServerConfig:
    """The validated TOML table as a config (the schema has already refused bad entries)."""
    transport: StdioTransport | HttpTransport
    if t.command is not None:
        transport = StdioTransport(
            command=t.command,
            args=tuple(t.args),
            env=dict(t.env),
            env_vars=tuple(t.env_vars),
            cwd=Path(t.cwd).expanduser() if t.cwd else None,
        )
    else:
        assert t.url is not None  # the schema requires one of the two
        transport = HttpTransport(
            url=t.url,
            bearer_token_env_var=t.bearer_token_env_var,
            http_headers=dict(t.http_headers),
            env_http_headers=dict(t.env_http_headers),
        )
    startup = t.startup_timeout_sec
    if startup is None and t.startup_timeout_ms is not None:
        startup = t.startup_timeout_ms / 1000
    return McpServerConfig(
        name=name,
        transport=transport,
        enabled=t.enabled,
        required=t.required,
        startup_timeout_sec=DEFAULT_STARTUP_TIMEOUT_SEC if startup is None else startup,
        tool_timeout_sec=DEFAULT_TOOL_TIMEOUT_SEC if t.tool_timeout_sec is None else t.tool_timeout_sec,
        enabled_tools=tuple(t.enabled_tools) if t.enabled_tools is not None else None,
        disabled_tools=tuple(t.disabled_tools),
    )
