"""Creating a Session: its services, its first TurnContext and its starting history."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import TYPE_CHECKING, cast

from pycodex import __version__
from pycodex.context.history import normalize_history
from pycodex.protocol.events import Event, EventMsg, SessionConfigured
from pycodex.protocol.rollout import SessionMeta
from pycodex.session.initial_context import build_initial_context, build_resume_updates
from pycodex.session.notifier import UserNotifier
from pycodex.session.services import SessionServices
from pycodex.session.session import Session
from pycodex.session.shell import default_user_shell
from pycodex.session.turn_builder import build_turn_context

if TYPE_CHECKING:
    from pycodex.config.config import Config
    from pycodex.mcp.manager import McpConnectionManager
    from pycodex.rollout.recorder import RolloutRecorder
    from pycodex.session.codex import InitialHistory
    from pycodex.session.event_channel import EventChannel
    from pycodex.session.turn_context import TurnContext


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


async def bootstrap_session(
    config: Config,
    conversation_id: str,
    initial: InitialHistory,
    tx_event: EventChannel[Event],
) -> tuple[Session, TurnContext, SessionConfigured, list[str]]:
    """Build services and history; returns the session, its context and the first event."""
    from pycodex.exec.manager import ProcessManager
    from pycodex.exec.snapshot import ShellSnapshots
    from pycodex.model.http import import_httpx
    from pycodex.rollout.history import PromptHistory
    from pycodex.rollout.store import SessionStore

    # MCP servers start first and in the background: they come up while the rest is built.
    mcp_start = asyncio.create_task(_start_mcp(config)) if _mcp_configured(config) else None
    httpx = import_httpx()
    errors: list[str] = []
    shell = default_user_shell(config.env)
    # Loading the CA bundle costs ~50 ms; a plain-http provider (local model, test server)
    # never uses TLS, so only https providers pay for it.
    tls = config.model_provider.base_url.startswith("https://")
    http = httpx.AsyncClient(timeout=httpx.Timeout(30.0, read=None), verify=tls)
    # Reads AGENTS.md files: off the event loop.
    try:
        tc = await asyncio.to_thread(build_turn_context, config, conversation_id, http, shell_name=shell.name)
        mcp, mcp_errors = await _mcp_ready(mcp_start)
    except BaseException:
        await http.aclose()
        raise
    errors += mcp_errors

    try:
        recorder = None if config.ephemeral else await _open_rollout(config, conversation_id, initial, tc.model)
    except BaseException:
        # Refused (in use by another process) or unwritable: nothing started here outlives it.
        await http.aclose()
        if mcp is not None:
            await mcp.shutdown()
        raise

    history = PromptHistory(config.home, config.history.persistence, config.history.max_bytes)
    services = SessionServices(
        http=http,
        model_client=tc.client,
        process_manager=ProcessManager(),
        rollout=recorder,
        notifier=UserNotifier(config.notify),
        user_shell=shell,
        prompt_history=history,
        session_store=None if config.ephemeral else SessionStore(config.home),
        shell_snapshots=ShellSnapshots(enabled=config.shell_snapshot),
        mcp_manager=mcp,
    )
    session = Session(conversation_id, services, tx_event)
    initial_messages = await _seed_history(session, tc, initial, _deferred_tools_text(mcp, tc))
    log_id, entry_count = await history.metadata()
    # Built from typed values: not validated again (its `initial_messages` would build the
    # whole EventMsg union's validator at start-up).
    configured = SessionConfigured.model_construct(
        session_id=conversation_id,
        model=tc.model,
        model_provider_id=config.model_provider_id,
        approval_policy=tc.approval_policy,
        sandbox_policy=tc.sandbox_policy,
        cwd=tc.cwd,
        reasoning_effort=tc.effort,
        history_log_id=log_id,
        history_entry_count=entry_count,
        initial_messages=cast("list[EventMsg] | None", initial_messages),  # rollout event payloads
        rollout_path=recorder.path if recorder else None,
    )
    return session, tc, configured, errors


async def _seed_history(
    session: Session, tc: TurnContext, initial: InitialHistory, tools_text: str = ""
) -> list[object] | None:
    """Record the starting history; returns the events a UI replays on resume."""
    from pycodex.rollout.reader import last_thread_goal, last_token_usage, reconstruct_history

    if initial.kind == "new" or initial.rollout is None:
        await session.record_conversation_items(build_initial_context(tc, tools_text))
        return None
    items = initial.rollout.items
    # A long session's history takes a while to rebuild: off the event loop.
    history = await asyncio.to_thread(
        lambda: normalize_history(reconstruct_history(items, build_initial_context(tc)))
    )
    if initial.kind == "forked":
        # A fork is a new thread: its file gets the copied items too.
        await session.persist([i for i in items if i.type != "session_meta"])
    session.record_into_history_only(history)
    # Settings may differ from the recorded ones (or be told in an older format): say so once.
    await session.record_conversation_items(build_resume_updates(tc, history))
    session.restore_token_info(last_token_usage(items))
    # After the usage: what was recorded is not charged to the goal again. A fork is a new
    # thread and starts without a goal, as in Codex (goals belong to a thread id).
    goal = last_thread_goal(items, session.conversation_id)
    if goal is not None:
        session.restore_thread_goal(goal)
    return [i.payload for i in items if i.type == "event_msg"]


# ---- MCP servers (issue #13) ------------------------------------------------------------------


def _mcp_configured(config: Config) -> bool:
    return any(cfg.enabled for cfg in config.mcp_servers.values())


async def _start_mcp(config: Config) -> McpConnectionManager:
    # The SDK takes ~0.5 s to import: off the event loop, and only when a server is configured.
    import importlib

    module = await asyncio.to_thread(importlib.import_module, "pycodex.mcp.manager")
    manager: McpConnectionManager = module.McpConnectionManager(config.mcp_servers, config.env, config.cwd)
    manager.start()
    return manager


async def _mcp_ready(
    start: asyncio.Task[McpConnectionManager] | None,
) -> tuple[McpConnectionManager | None, list[str]]:
    """The manager once every server started or failed, and one line per failure; a failed
    `required` server ends the session start (its servers stopped first)."""
    from pycodex.mcp.errors import McpRequiredServerFailed

    if start is None:
        return None, []
    try:
        manager = await start
        failures = await manager.wait_ready()
    except BaseException:
        if start.done() and not start.cancelled() and start.exception() is None:
            await start.result().shutdown()
        else:
            start.cancel()
        raise
    required = [f for f in failures if f.required]
    if required:
        await manager.shutdown()
        raise McpRequiredServerFailed("; ".join(f"{f.message} (it is required)" for f in required))
    return manager, [f.message for f in failures]


def _deferred_tools_text(manager: McpConnectionManager | None, tc: TurnContext) -> str:
    """The developer-message part listing MCP namespaces, where the model gets them deferred."""
    from pycodex.tools.registry import mcp_namespaced

    if manager is None or not manager.servers() or not mcp_namespaced(tc):
        return ""
    from pycodex.mcp.catalog import deferred_namespaces_text

    return deferred_namespaces_text(manager.servers())


async def _open_rollout(
    config: Config, conversation_id: str, initial: InitialHistory, model: str
) -> RolloutRecorder:
    """The session's rollout: the resumed file reopened for append, or a new one."""
    from pycodex.rollout.recorder import RolloutRecorder

    if initial.kind == "resumed" and initial.rollout_path is not None:
        return await RolloutRecorder.resume(initial.rollout_path)
    meta = SessionMeta(
        id=conversation_id,
        timestamp=_now_iso(),
        cwd=config.cwd,
        originator=config.originator,
        cli_version=__version__,
        model_provider=config.model_provider_id,
        model=model,
        forked_from_id=initial.forked_from,
        source=config.session_source,
    )
    return await RolloutRecorder.create(config.home, conversation_id, meta)
