"""TurnContext: the immutable settings one turn runs with."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pycodex.config.model_family import ModelFamily
from pycodex.context.environment import EnvironmentContext
from pycodex.protocol.policies import (
    AskForApproval,
    ReasoningEffort,
    ReasoningSummary,
    SandboxPolicy,
    Verbosity,
    WorkspaceWrite,
)

if TYPE_CHECKING:
    from pycodex.config.config import ToolsConfig
    from pycodex.exec.env import ShellEnvironmentPolicy
    from pycodex.model.client import ModelClient


@dataclass(frozen=True)
class TurnContext:
    """Per-turn settings; OverrideTurnContext and UserTurn make a new one."""

    cwd: Path
    approval_policy: AskForApproval
    sandbox_policy: SandboxPolicy
    model: str
    family: ModelFamily
    client: ModelClient
    tools_config: ToolsConfig
    shell_environment_policy: ShellEnvironmentPolicy
    base_instructions: str
    effort: ReasoningEffort | None = None
    summary: ReasoningSummary = ReasoningSummary.AUTO
    verbosity: Verbosity | None = None
    user_instructions: str | None = None
    developer_instructions: str | None = None
    additional_writable_roots: tuple[Path, ...] = ()
    final_output_json_schema: Any = None
    is_review_mode: bool = False
    context_window: int | None = None
    auto_compact_token_limit: int | None = None
    shell_name: str = "bash"
    base_env: dict[str, str] = field(default_factory=dict)
    show_raw_agent_reasoning: bool = False
    compact_prompt: str | None = None
    can_ask_user: bool = True  # whether anyone can answer approval requests

    def resolve_path(self, path: str | None) -> Path:
        """A model-given path made absolute against cwd (not yet checked or resolved)."""
        if not path:
            return self.cwd
        return self.cwd / Path(path).expanduser()

    def writable_roots(self) -> tuple[Path, ...]:
        """Roots shown to the model as writable."""
        if not isinstance(self.sandbox_policy, WorkspaceWrite):
            return ()
        return (self.cwd, *self.sandbox_policy.writable_roots, *self.additional_writable_roots)

    def environment_context(self) -> EnvironmentContext:
        """The environment facts for this turn."""
        return EnvironmentContext(
            cwd=self.cwd,
            approval_policy=self.approval_policy,
            sandbox_policy=self.sandbox_policy,
            shell=self.shell_name,
            writable_roots=self.writable_roots(),
        )

    def with_changes(self, **changes: Any) -> TurnContext:
        """A copy with some settings replaced."""
        return replace(self, **changes)
