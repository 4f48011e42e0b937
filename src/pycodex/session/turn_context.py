"""TurnContext: the immutable settings one turn runs with."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pycodex.config.model_family import ModelFamily
from pycodex.context.environment import EnvironmentContext
from pycodex.context.permissions import PermissionsContext
from pycodex.exec.sandbox.roots import PROTECTED_NAMES
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
    # What requests carry (the family's defaults under the configured choices; None/NONE:
    # not sent), and the choices themselves, kept so a model switch re-resolves them.
    effort: ReasoningEffort | None = None
    summary: ReasoningSummary = ReasoningSummary.NONE
    verbosity: Verbosity | None = None
    chosen_effort: ReasoningEffort | None = None
    chosen_summary: ReasoningSummary | None = None
    chosen_verbosity: Verbosity | None = None
    user_instructions: str | None = None
    developer_instructions: str | None = None
    additional_writable_roots: tuple[Path, ...] = ()
    protected_paths: tuple[Path, ...] = ()  # read-only even inside a writable root
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

    def workspace_roots(self) -> tuple[Path, ...]:
        """cwd and the extra roots the user named, as the environment context lists them."""
        extra = self.sandbox_policy.writable_roots if isinstance(self.sandbox_policy, WorkspaceWrite) else []
        roots: list[Path] = []
        for r in (self.cwd, *extra, *self.additional_writable_roots):
            if r not in roots:
                roots.append(r)
        return tuple(roots)

    def environment_context(self) -> EnvironmentContext:
        """The environment facts for this turn."""
        return EnvironmentContext(
            cwd=self.cwd,
            shell=self.shell_name,
            sandbox_policy=self.sandbox_policy,
            workspace_roots=self.workspace_roots(),
            protected_names=PROTECTED_NAMES,
        )

    def permissions_context(self) -> PermissionsContext:
        """The sandbox and approval facts for this turn."""
        shown = list(self.workspace_roots())
        policy = self.sandbox_policy
        if isinstance(policy, WorkspaceWrite):
            tmpdir = self.base_env.get("TMPDIR")
            temp = [] if policy.exclude_slash_tmp else [Path("/tmp")]
            temp += [Path(tmpdir)] if tmpdir and not policy.exclude_tmpdir_env_var else []
            shown += [t for t in temp if t not in shown]
        return PermissionsContext(
            sandbox_policy=policy,
            approval_policy=self.approval_policy,
            writable_roots=tuple(shown),
            can_ask_user=self.can_ask_user,
        )

    def with_changes(self, **changes: Any) -> TurnContext:
        """A copy with some settings replaced."""
        return replace(self, **changes)
