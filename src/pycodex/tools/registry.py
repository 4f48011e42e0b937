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
    from pycodex.tools.handlers.tool_search import DeferredTool


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
    deferred, flat_handlers, flat = _mcp_tools(session, tc)
    _add_goal_and_search_tools(tc, handlers, specs, deferred)
    handlers.update(flat_handlers)
    specs.extend(flat)
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
    tc: TurnContext, handlers: dict[str, ToolHandler], specs: list[dict[str, Any]],
    deferred_tools: list[DeferredTool],
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
    deferred = DeferredTools(deferred_tools)
    if not deferred.is_empty():
        handlers["tool_search"] = ToolSearchHandler(deferred)
        handlers.update(deferred.handlers())
        extra.append(tool_search_spec())
    insert_before_hosted(specs, extra)


# ---- MCP servers' tools (issue #13) ---------------------------------------------------------


def mcp_namespaced(tc: TurnContext) -> bool:
    """Whether MCP tools go to this turn as deferred namespaces (the Responses wire and a
    modern model family, as Codex 0.169 offers them) rather than as flat functions."""
    surface = ToolSurface(tc.tools_config.surface) if tc.tools_config.surface else tc.family.surface
    wire = getattr(tc.client.provider, "wire_api", "responses")
    return wire == "responses" and surface is ToolSurface.MODERN


def _mcp_tools(
    session: Session, tc: TurnContext
) -> tuple[list[DeferredTool], dict[str, ToolHandler], list[dict[str, Any]]]:
    """The MCP tools of the turn: deferred (namespaced), or flat handlers and specs."""
    manager = session.services.mcp_manager
    if manager is None or tc.is_review_mode:
        return [], {}, []
    from pycodex.mcp.catalog import namespace_description
    from pycodex.tools.handlers.mcp import McpToolHandler, UnknownMcpToolHandler
    from pycodex.tools.handlers.tool_search import UNKNOWN_MCP_TOOL, DeferredTool

    tools = manager.tools()
    fallback: dict[str, ToolHandler] = {UNKNOWN_MCP_TOOL: UnknownMcpToolHandler()}
    if not mcp_namespaced(tc):
        flat_handlers: dict[str, ToolHandler] = {t.flat_name: McpToolHandler(t) for t in tools}
        flat = sorted((t.function_spec(flat=True) for t in tools), key=lambda s: str(s["name"]))
        return [], flat_handlers | fallback, flat
    instructions = dict(manager.servers())
    deferred = [
        DeferredTool(
            name=t.model_name,
            description=t.description,
            spec=t.function_spec(flat=False, deferred=True),
            namespace=t.namespace,
            namespace_description=namespace_description(t.server, instructions.get(t.server)),
            handler=McpToolHandler(t),
        )
        for t in tools
    ]
    return deferred, fallback, []
