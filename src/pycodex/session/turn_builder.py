"""Building TurnContexts from the config and from user_turn / override ops."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pycodex.config.model_family import ModelFamily, find_family, resolve_request_options
from pycodex.context.project_doc import compose_user_instructions, read_project_docs
from pycodex.context.prompts import load_prompt
from pycodex.protocol import ops

if TYPE_CHECKING:
    import httpx

    from pycodex.config.config import Config
    from pycodex.model.prompt import ModelSettings
    from pycodex.protocol.models import ResponseItem
    from pycodex.protocol.policies import ReasoningEffort, ReasoningSummary, Verbosity
    from pycodex.session.session import Session
    from pycodex.session.turn_context import TurnContext


def build_turn_context(
    config: Config,
    conversation_id: str,
    http: httpx.AsyncClient,
    *,
    model: str | None = None,
    cwd: Path | None = None,
    shell_name: str = "bash",
) -> TurnContext:
    """The session's first TurnContext, from the config."""
    from pycodex.model.client import ModelClient
    from pycodex.session.turn_context import TurnContext

    model = model or config.model
    cwd = cwd or config.cwd
    family = find_family(model)
    effort, summary, verbosity = (
        config.model_reasoning_effort, config.model_reasoning_summary, config.model_verbosity
    )
    settings = _model_settings(model, family, effort, summary, verbosity)
    client = ModelClient(config.model_provider, settings, conversation_id, http, config.env)
    window = config.model_context_window or family.context_window
    limit = config.model_auto_compact_token_limit or family.auto_compact_token_limit
    if window is not None and limit is not None:
        limit = min(limit, window)
    user_instructions = compose_user_instructions(
        config.user_instructions, read_project_docs(cwd, config.project_doc_max_bytes)
    )
    return TurnContext(
        cwd=cwd,
        approval_policy=config.approval_policy,
        sandbox_policy=config.sandbox_policy,
        model=model,
        family=family,
        client=client,
        tools_config=config.tools,
        shell_environment_policy=config.shell_environment_policy,
        base_instructions=config.base_instructions or load_prompt("base_instructions.md"),
        effort=settings.effort,
        summary=settings.summary,
        verbosity=settings.verbosity,
        chosen_effort=effort,
        chosen_summary=summary,
        chosen_verbosity=verbosity,
        user_instructions=user_instructions,
        developer_instructions=config.developer_instructions,
        additional_writable_roots=tuple(config.additional_writable_roots),
        protected_paths=tuple(config.protected_paths),
        context_window=window,
        auto_compact_token_limit=limit,
        shell_name=shell_name,
        base_env=dict(config.env),
        show_raw_agent_reasoning=config.show_raw_agent_reasoning,
        compact_prompt=config.compact_prompt,
        can_ask_user=config.can_ask_user,
    )


def _model_settings(
    model: str,
    family: ModelFamily,
    effort: ReasoningEffort | None,
    summary: ReasoningSummary | None,
    verbosity: Verbosity | None,
) -> ModelSettings:
    """What requests carry: the choices over the family's defaults, unsupported fields dropped."""
    from pycodex.model.prompt import ModelSettings

    opts = resolve_request_options(family, effort, summary, verbosity)
    return ModelSettings(
        model=model,
        effort=opts.effort,
        summary=opts.summary,
        verbosity=opts.verbosity,
        supports_reasoning=opts.reasoning,
    )


def _rebuild(
    session: Session,
    config: Config,
    tc: TurnContext,
    *,
    cwd: Path | None,
    model: str | None,
    effort: Any,
    summary: Any,
) -> TurnContext:
    from pycodex.model.client import ModelClient

    new_model = model or tc.model
    family = find_family(new_model)
    changes: dict[str, Any] = {"cwd": cwd or tc.cwd}
    if model or effort is not None or summary is not None:
        effort = effort if effort is not None else tc.chosen_effort
        summary = summary if summary is not None else tc.chosen_summary
        settings = _model_settings(new_model, family, effort, summary, tc.chosen_verbosity)
        changes.update(
            model=new_model,
            family=family,
            effort=settings.effort,
            summary=settings.summary,
            verbosity=settings.verbosity,
            chosen_effort=effort,
            chosen_summary=summary,
            client=ModelClient(
                config.model_provider, settings, session.conversation_id, session.services.http, config.env
            ),
        )
        if model and model != tc.model:
            changes["context_window"] = config.model_context_window or family.context_window
            changes["auto_compact_token_limit"] = (
                config.model_auto_compact_token_limit or family.auto_compact_token_limit
            )
    return tc.with_changes(**changes)


async def _record_context_changes(session: Session, old: TurnContext, new: TurnContext) -> None:
    # As Codex: only what changed is told again, the developer message before the user one.
    items: list[ResponseItem] = []
    if new.permissions_context().differs_from(old.permissions_context()):
        items.append(new.permissions_context().message())
    if new.environment_context().differs_from(old.environment_context()):
        items.append(new.environment_context().message())
    if items:
        await session.record_conversation_items(items)


async def turn_context_for_user_turn(
    session: Session, config: Config, tc: TurnContext, op: ops.UserTurn, sub_id: str
) -> TurnContext:
    """A UserTurn carries full settings; they become the persistent context."""
    new = _rebuild(
        session, config, tc, cwd=op.cwd, model=op.model, effort=op.effort, summary=op.summary
    ).with_changes(
        approval_policy=op.approval_policy,
        sandbox_policy=op.sandbox_policy,
        final_output_json_schema=op.final_output_json_schema,
    )
    if not session.has_running_task():
        await _record_context_changes(session, tc, new)
    return new


async def apply_override(
    session: Session, config: Config, tc: TurnContext, op: ops.OverrideTurnContext, sub_id: str
) -> TurnContext:
    """OverrideTurnContext: change settings for later turns, telling the model if needed."""
    new = _rebuild(
        session, config, tc, cwd=op.cwd, model=op.model, effort=op.effort, summary=op.summary
    )
    if op.approval_policy is not None:
        new = new.with_changes(approval_policy=op.approval_policy)
    if op.sandbox_policy is not None:
        new = new.with_changes(sandbox_policy=op.sandbox_policy)
    await _record_context_changes(session, tc, new)
    return new
