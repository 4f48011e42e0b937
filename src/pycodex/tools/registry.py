"""Which handlers and specs a turn gets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pycodex.config.model_family import ToolSurface
from pycodex.config.web_search import returns_images, web_search_for_turn
from pycodex.tools.context import ToolHandler
from pycodex.tools.spec import tool_specs, web_search_spec

if TYPE_CHECKING:
    from pycodex.session.session import Session
    from pycodex.session.turn_context import TurnContext


def build_registry(
    session: Session, tc: TurnContext
) -> tuple[dict[str, ToolHandler], list[dict[str, Any]]]:
    """Handlers by tool name, and the specs to advertise (MCP tools last, sorted)."""
    from pycodex.tools.handlers.apply_patch import ApplyPatchHandler
    from pycodex.tools.handlers.exec_command import ExecCommandHandler, ShellHandler
    from pycodex.tools.handlers.plan import PlanHandler
    from pycodex.tools.handlers.request_user_input import RequestUserInputHandler
    from pycodex.tools.handlers.view_image import ViewImageHandler
    from pycodex.tools.handlers.write_stdin import WriteStdinHandler

    cfg = tc.tools_config
    surface = ToolSurface(cfg.surface) if cfg.surface else tc.family.surface
    wire = getattr(tc.client.provider, "wire_api", "responses")
    specs = tool_specs(
        surface,
        custom_tools_supported=wire == "responses",
        plan=cfg.plan and not tc.is_review_mode,
        view_image=cfg.view_image and not tc.is_review_mode,
        apply_patch=cfg.apply_patch,
        web_search=_web_search(tc) if wire == "responses" else None,
        request_user_input=surface is ToolSurface.MODERN and not tc.is_review_mode,
    )
    handlers: dict[str, ToolHandler] = {}
    offered = {s.get("name") for s in specs}
    shell = ShellHandler()
    table: dict[str, ToolHandler] = {
        "exec_command": ExecCommandHandler(),
        "write_stdin": WriteStdinHandler(),
        "shell": shell,
        "container.exec": shell,
        "local_shell": shell,
        "apply_patch": ApplyPatchHandler(),
        "update_plan": PlanHandler(),
        "view_image": ViewImageHandler(),
        "request_user_input": RequestUserInputHandler(),
    }
    for name, handler in table.items():
        if name in offered or (name in ("container.exec", "local_shell") and "shell" in offered):
            handlers[name] = handler
    _add_goal_and_search_tools(tc, handlers, specs)
    mcp = session.services.mcp_manager
    if mcp is not None:
        mcp_handlers, mcp_specs = mcp.tools_for_turn()
        handlers.update(mcp_handlers)
        specs.extend(mcp_specs)
    return handlers, specs


def _web_search(tc: TurnContext) -> dict[str, Any] | None:
    # Hosted by the Responses API: the Chat wire has no such tool, and review turns go without.
    if tc.is_review_mode:
        return None
    mode = web_search_for_turn(
        tc.tools_config.web_search,
        tc.sandbox_policy,
        external_web_access=tc.client.provider.capabilities.external_web_access,
    )
    return web_search_spec(mode, images=returns_images(tc.model))


# ---- goals and tool_search (issue #10) ------------------------------------------------------


def _add_goal_and_search_tools(
    tc: TurnContext, handlers: dict[str, ToolHandler], specs: list[dict[str, Any]]
) -> None:
    """The goal tools (not in review mode, as Codex), and tool_search while tools are deferred."""
    from pycodex.tools.handlers.goals import GOAL_TOOL_NAMES, GoalHandler
    from pycodex.tools.handlers.tool_search import DeferredTools, ToolSearchHandler
    from pycodex.tools.spec import goal_specs, insert_before_hosted, tool_search_spec

    extra: list[dict[str, Any]] = []
    if not tc.is_review_mode:
        goals = GoalHandler()
        handlers.update(dict.fromkeys(GOAL_TOOL_NAMES, goals))
        extra += goal_specs()
    deferred = DeferredTools()  # nothing is deferred yet; MCP tools will be
    if not deferred.is_empty():
        handlers["tool_search"] = ToolSearchHandler(deferred)
        handlers.update(deferred.handlers())
        extra.append(tool_search_spec())
    insert_before_hosted(specs, extra)
