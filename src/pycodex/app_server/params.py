"""Parameters of the client requests pycodex answers, as Codex's v2 schema names them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, StrictStr, ValidationError

from pycodex.app_server.wire import V2, UserInput
from pycodex.protocol.events import ReviewTarget

ApprovalPolicyName = Literal["untrusted", "on-request", "on-failure", "never"]
SandboxModeName = Literal["read-only", "workspace-write", "danger-full-access"]
Reviewer = Literal["user", "auto_review", "guardian_subagent"]
EffortName = Literal["none", "minimal", "low", "medium", "high", "xhigh"]
SummaryName = Literal["auto", "concise", "detailed", "none"]


class ClientInfo(V2):
    name: StrictStr
    version: StrictStr
    title: StrictStr | None = None


class InitializeCapabilities(V2):
    experimental_api: StrictBool = False
    opt_out_notification_methods: list[StrictStr] | None = None


class InitializeParams(V2):
    client_info: ClientInfo
    capabilities: InitializeCapabilities | None = None


class ThreadSettingsParams(V2):
    """What thread/start, thread/resume and thread/fork may set for the thread."""

    model: StrictStr | None = None
    model_provider: StrictStr | None = None
    cwd: StrictStr | None = None
    approval_policy: ApprovalPolicyName | None = None
    approvals_reviewer: Reviewer | None = None
    sandbox: SandboxModeName | None = None
    config: dict[str, Any] | None = None
    base_instructions: StrictStr | None = None
    developer_instructions: StrictStr | None = None
    personality: StrictStr | None = None
    service_tier: StrictStr | None = None


class ThreadStartParams(ThreadSettingsParams):
    ephemeral: StrictBool | None = None
    service_name: StrictStr | None = None
    session_start_source: StrictStr | None = None
    thread_source: StrictStr | None = None


class ThreadResumeParams(ThreadSettingsParams):
    thread_id: StrictStr
    exclude_turns: StrictBool = False


class ThreadForkParams(ThreadSettingsParams):
    thread_id: StrictStr
    ephemeral: StrictBool = False
    exclude_turns: StrictBool = False
    last_turn_id: StrictStr | None = None
    thread_source: StrictStr | None = None


class ThreadIdParams(V2):
    """thread/archive, thread/unarchive, thread/compact/start."""

    thread_id: StrictStr


class ThreadReadParams(V2):
    thread_id: StrictStr
    include_turns: StrictBool = False


class ThreadSetNameParams(V2):
    thread_id: StrictStr
    name: StrictStr


class ThreadListParams(V2):
    archived: StrictBool | None = None
    cursor: StrictStr | None = None
    cwd: StrictStr | list[StrictStr] | None = None
    limit: Annotated[int, Field(ge=0, strict=True)] | None = None
    model_providers: list[StrictStr] | None = None
    originators: list[StrictStr] | None = None
    search_term: StrictStr | None = None
    sort_direction: Literal["asc", "desc"] | None = None
    sort_key: Literal["created_at", "updated_at", "recency_at", "section_position"] | None = None
    source_kinds: list[StrictStr] | None = None
    excluded_thread_ids: list[StrictStr] | None = None


class SandboxPolicyParam(V2):
    """A turn's sandbox override: `dangerFullAccess`, `readOnly` or `workspaceWrite`."""

    type: Literal["dangerFullAccess", "readOnly", "workspaceWrite", "externalSandbox"]
    network_access: StrictBool | StrictStr = False
    writable_roots: list[StrictStr] = Field(default_factory=list)
    exclude_tmpdir_env_var: StrictBool = False
    exclude_slash_tmp: StrictBool = False


class TurnStartParams(V2):
    thread_id: StrictStr
    input: list[UserInput]
    cwd: StrictStr | None = None
    model: StrictStr | None = None
    effort: EffortName | None = None
    summary: SummaryName | None = None
    approval_policy: ApprovalPolicyName | None = None
    approvals_reviewer: Reviewer | None = None
    sandbox_policy: SandboxPolicyParam | None = None
    output_schema: Any = None
    personality: StrictStr | None = None
    service_tier: StrictStr | None = None
    client_user_message_id: StrictStr | None = None
    tool_output: Any = None


class TurnSteerParams(V2):
    thread_id: StrictStr
    expected_turn_id: StrictStr
    input: list[UserInput]


class TurnInterruptParams(V2):
    thread_id: StrictStr
    turn_id: StrictStr


class ModelListParams(V2):
    cursor: StrictStr | None = None
    limit: Annotated[int, Field(ge=0, strict=True)] | None = None
    include_hidden: StrictBool | None = None
    model_provider: StrictStr | None = None


class GetAccountParams(V2):
    refresh_token: StrictBool = False


class ApiKeyLogin(V2):
    type: Literal["apiKey"]
    api_key: StrictStr


class LoginAccountParams(V2):
    """Only API-key login: pycodex has no ChatGPT sign-in."""

    type: StrictStr
    api_key: StrictStr | None = None


class CancelLoginParams(V2):
    login_id: StrictStr


GoalStatusName = Literal["active", "paused", "blocked", "usageLimited", "budgetLimited", "complete"]


class ThreadGoalSetParams(V2):
    """`tokenBudget` absent leaves the budget as it is; null removes it."""

    thread_id: StrictStr
    objective: StrictStr | None = None
    status: GoalStatusName | None = None
    token_budget: Annotated[int, Field(strict=True)] | None = None
    origin: Literal["user", "automatic"] | None = None

    def budget_given(self) -> bool:
        """Whether the client sent `tokenBudget` at all (null included)."""
        return "token_budget" in self.model_fields_set


class ThreadGoalIdParams(V2):
    """thread/goal/get and thread/goal/clear."""

    thread_id: StrictStr
    origin: Literal["user", "automatic"] | None = None


# ---- review/start -------------------------------------------------------------------------


class ReviewStartParams(V2):
    """A review of `target` on the thread itself (Codex 0.169 knows only `inline` delivery)."""

    thread_id: StrictStr
    target: ReviewTarget
    delivery: Literal["inline"] | None = None


def field_error(e: ValidationError, data: Any = None) -> str:
    """The first problem of a validation error, naming the field by its wire path."""
    err = e.errors()[0]
    parts: list[str] = []
    node, tag_skipped = data, False
    for p in err["loc"]:
        if _is_union_tag(p):
            continue
        if not tag_skipped and isinstance(node, dict) and node.get("type") == p:
            tag_skipped = True  # the member of a tagged union pydantic tried: not a field
            continue
        parts.append(str(p))
        node, tag_skipped = _child(node, p), False
    return f"{'.'.join(parts) or 'params'}: {err['msg']}"


def _child(node: Any, key: str | int) -> Any:
    if isinstance(node, dict) and isinstance(key, str):
        return node.get(key)
    if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
        return node[key]
    return None


def _is_union_tag(part: object) -> bool:
    # pydantic puts the member it tried (`str`, `list[str]`, `function-after[...]`) in the
    # location of a union's error; the client knows its fields, not our type names.
    return isinstance(part, str) and ("[" in part or part in ("str", "int", "bool"))
