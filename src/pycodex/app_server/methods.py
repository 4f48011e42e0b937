"""The v2 methods pycodex answers: threads, turns, models and the API-key account."""

from __future__ import annotations

import asyncio
import logging
import os
import platform
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pycodex import __version__
from pycodex.app_server import params as P
from pycodex.app_server.connection import Connection
from pycodex.app_server.history import count_turns, rebuild_turns
from pycodex.app_server.jsonrpc import INVALID_PARAMS, INVALID_REQUEST, RpcError
from pycodex.app_server.server import Handler, Reply, ServerOptions, parse_params
from pycodex.app_server.settings import config_overrides, input_items, invalid, sandbox_wire
from pycodex.app_server.threads import ThreadHandle, ThreadInfo
from pycodex.session.conversation import Conversation, ConversationManager

if TYPE_CHECKING:
    from pydantic import BaseModel

    from pycodex.app_server.catalog import StoredThread
    from pycodex.config.config import Config

log = logging.getLogger(__name__)

# The SessionSource Codex's app-server records for the threads it starts.
APP_SERVER_SOURCE = "vscode"


class Methods:
    """Every handler, and the threads loaded in this server."""

    def __init__(self, conn: Connection, options: ServerOptions) -> None:
        self.conn = conn
        self.options = options
        self.manager = ConversationManager()
        self.threads: dict[str, ThreadHandle] = {}
        self.client_name = "pycodex"
        self.api_key: str | None = None  # from account/login/start; kept in memory only
        self._home: Path | None = None

    def table(self) -> dict[str, tuple[type[BaseModel] | None, Handler]]:
        """Method name → (params model, handler)."""
        return {
            "thread/start": (P.ThreadStartParams, self.thread_start),
            "thread/resume": (P.ThreadResumeParams, self.thread_resume),
            "thread/fork": (P.ThreadForkParams, self.thread_fork),
            "thread/list": (P.ThreadListParams, self.thread_list),
            "thread/read": (P.ThreadReadParams, self.thread_read),
            "thread/archive": (P.ThreadIdParams, self.thread_archive),
            "thread/unarchive": (P.ThreadIdParams, self.thread_unarchive),
            "thread/name/set": (P.ThreadSetNameParams, self.thread_set_name),
            "thread/compact/start": (P.ThreadIdParams, self.thread_compact),
            "turn/start": (P.TurnStartParams, self.turn_start),
            "turn/steer": (P.TurnSteerParams, self.turn_steer),
            "turn/interrupt": (P.TurnInterruptParams, self.turn_interrupt),
            "review/start": (P.ReviewStartParams, self.review_start),
            "model/list": (P.ModelListParams, self.model_list),
            "account/read": (P.GetAccountParams, self.account_read),
            "account/login/start": (P.LoginAccountParams, self.account_login_start),
            "account/login/cancel": (P.CancelLoginParams, self.account_login_cancel),
            "account/logout": (None, self.account_logout),
            **self._goal_table(),
        }

    def _goal_table(self) -> dict[str, tuple[type[BaseModel] | None, Handler]]:
        from pycodex.app_server.goals import GoalMethods

        goals = GoalMethods(self.threads, self._stored)
        return {
            "thread/goal/set": (P.ThreadGoalSetParams, goals.set),
            "thread/goal/get": (P.ThreadGoalIdParams, goals.get),
            "thread/goal/clear": (P.ThreadGoalIdParams, goals.clear),
        }

    # ---- handshake -----------------------------------------------------------------------
    async def initialize(self, raw: Any) -> dict[str, Any]:
        """Server info and user agent (the SDK refuses an answer without them)."""
        p = parse_params(P.InitializeParams, raw)
        self.client_name = p.client_info.name
        if p.capabilities and p.capabilities.opt_out_notification_methods:
            self.conn.opted_out = frozenset(p.capabilities.opt_out_notification_methods)
        system = f"{platform.system()} {platform.release()}; {platform.machine()}"
        return {
            "userAgent": f"{p.client_info.name}/{__version__} (pycodex; {system}) "
                         f"({p.client_info.name}; {p.client_info.version})",
            "serverInfo": {"name": "pycodex", "version": __version__},
            "codexHome": str(await self._pycodex_home()),
            "platformFamily": "windows" if os.name == "nt" else "unix",
            "platformOs": {"darwin": "macos", "win32": "windows"}.get(sys.platform, sys.platform),
        }

    async def _pycodex_home(self) -> Path:
        if self._home is None:
            from pycodex.config.home import pycodex_home

            self._home = pycodex_home(self._env())
        return self._home

    def _env(self) -> dict[str, str]:
        return dict(self.options.env if self.options.env is not None else os.environ)

    # ---- config --------------------------------------------------------------------------
    async def _config(self, p: P.ThreadSettingsParams, *, model: str | None = None) -> Config:
        from pycodex.config.config import CliOverrides, ConfigError, load_config
        from pycodex.config.home import ensure_home
        from pycodex.protocol.policies import AskForApproval, SandboxMode

        cwd = Path(p.cwd) if p.cwd else None
        if cwd is not None and not cwd.is_absolute():
            raise invalid("cwd", f"{p.cwd} is not an absolute path")
        if cwd is not None and not cwd.is_dir():
            raise invalid("cwd", f"{p.cwd} is not a directory")
        cli = CliOverrides(
            model=p.model or model, cwd=cwd, model_provider=p.model_provider,
            approval_policy=AskForApproval(p.approval_policy) if p.approval_policy else None,
            sandbox_mode=SandboxMode(p.sandbox) if p.sandbox else None,
            raw=[*self.options.overrides, *config_overrides(p.config)],
        )
        env = self._env()

        def load() -> Config:
            config = load_config(cli, env=env)
            ensure_home(config.home)
            return config

        try:
            config = await asyncio.to_thread(load)
        except ConfigError as e:
            raise RpcError(INVALID_PARAMS, f"invalid params: config: {e}") from e
        if p.base_instructions is not None:
            config.base_instructions = p.base_instructions
        if p.developer_instructions is not None:
            config.developer_instructions = p.developer_instructions
        config.can_ask_user = True  # approvals go to the client as requests
        config.originator, config.session_source = self.client_name, APP_SERVER_SOURCE
        config.env["CODEX_INTERNAL_ORIGINATOR_OVERRIDE"] = self.client_name
        if self.api_key and config.model_provider.env_key:
            config.env[config.model_provider.env_key] = self.api_key
        return config

    def _adopt(self, conv: Conversation, config: Config, turns_before: int, *, preview: str = "",
               created_at: int | None = None, name: str | None = None) -> ThreadHandle:
        from pycodex.session.turn_settings import TurnSettings

        c = conv.configured
        info = ThreadInfo(
            id=conv.id, cwd=str(config.cwd), created_at=created_at or int(time.time()),
            model_provider=config.model_provider_id,
            path=str(conv.rollout_path) if conv.rollout_path else None, ephemeral=config.ephemeral,
            originator=config.originator, source=config.session_source, preview=preview, name=name,
        )
        settings = TurnSettings(
            cwd=c.cwd or config.cwd, model=c.model, approval_policy=c.approval_policy or config.approval_policy,
            sandbox_policy=c.sandbox_policy or config.sandbox_policy, effort=c.reasoning_effort,
            summary=config.model_reasoning_summary,
        )
        handle = ThreadHandle(conv, info, settings, self.conn, turns_before)
        self.threads[conv.id] = handle
        first, self.options.on_first_thread = self.options.on_first_thread, None
        if first is not None:
            first()
        return handle

    def _thread_response(self, handle: ThreadHandle, turns: list[Any] | None = None) -> dict[str, Any]:
        s = handle.settings
        return {
            "thread": handle.thread(turns).wire(),
            "model": s.model,
            "modelProvider": handle.info.model_provider,
            "serviceTier": None,
            "cwd": str(s.cwd),
            "instructionSources": [],
            "approvalPolicy": s.approval_policy.value,
            "approvalsReviewer": "user",  # no automatic reviewer: the client decides
            "sandbox": sandbox_wire(s.sandbox_policy),
            "reasoningEffort": s.effort.value if s.effort else None,
        }

    def _announce(self, handle: ThreadHandle, thread: dict[str, Any], config: Config) -> Reply:
        async def after() -> None:
            await self.conn.notify("thread/started", {"thread": thread})
            await self._warn(config)
            handle.start_pump()
        return Reply(self._thread_response(handle), after)

    async def _warn(self, config: Config) -> None:
        """Config warnings (e.g. unknown keys): logged on stderr and sent as configWarning."""
        for warning in config.warnings:
            log.warning("%s", warning)
            await self.conn.notify("configWarning", {
                "summary": warning, "details": None, "path": str(config.home / "config.toml")})

    # ---- threads -------------------------------------------------------------------------
    async def thread_start(self, p: P.ThreadStartParams) -> Reply:
        """A new thread: a new session with its own rollout."""
        config = await self._config(p)
        config.ephemeral = bool(p.ephemeral)
        conv = await self.manager.new_conversation(config)
        handle = self._adopt(conv, config, 0)
        return self._announce(handle, handle.thread().wire(), config)

    async def _stored(self, thread_id: str) -> StoredThread:
        from pycodex.app_server.catalog import find_stored

        home = await self._pycodex_home()
        stored = await asyncio.to_thread(find_stored, home, thread_id)
        if stored is None:
            raise RpcError(INVALID_REQUEST, f"thread not found: {thread_id}")
        return stored

    async def thread_resume(self, p: P.ThreadResumeParams) -> Reply | dict[str, Any]:
        """Load a stored thread (in any server process) and continue it under the same id."""
        from pycodex.rollout.reader import last_thread_goal, last_turn_context, load_rollout

        loaded_handle = self.threads.get(p.thread_id)
        if loaded_handle is not None:
            return self._thread_response(loaded_handle)
        stored = await self._stored(p.thread_id)
        if stored.archived:
            raise RpcError(INVALID_REQUEST, f"thread {p.thread_id} is archived: unarchive it first")
        loaded = await asyncio.to_thread(load_rollout, stored.path)
        ctx = last_turn_context(loaded.items)
        if p.cwd is None and ctx is not None:
            p.cwd = str(ctx.cwd)
        config = await self._config(p, model=ctx.model if ctx else stored.model)
        from pycodex.rollout.recorder import RolloutInUseError

        try:
            conv = await self.manager.resume_conversation(config, stored.path)
        except RolloutInUseError as e:  # another process writes it: the client's request, not us
            raise RpcError(INVALID_REQUEST, str(e)) from e
        turns = [] if p.exclude_turns else rebuild_turns(stored.id, str(config.cwd), loaded.items)
        names = await self._names()
        handle = self._adopt(conv, config, count_turns(loaded.items), preview=stored.preview,
                             created_at=stored.created(), name=names.get(stored.id))
        handle.goal = last_thread_goal(loaded.items, stored.id)
        await self._warn(config)
        handle.start_pump()
        return Reply(self._thread_response(handle, turns), lambda: self._resume_goal(handle))

    async def _resume_goal(self, handle: ThreadHandle) -> None:
        """As Codex: the goal's snapshot once the client has the thread, then its turn if it
        is active."""
        from pycodex.app_server.goals import goal_wire

        if handle.goal is None:
            return
        await self.conn.notify("thread/goal/updated",
                               {"threadId": handle.id, "turnId": None, "goal": goal_wire(handle.goal)})
        await handle.continue_goal()

    async def thread_fork(self, p: P.ThreadForkParams) -> Reply:
        """A new thread holding a stored thread's history (up to and including `lastTurnId`)."""
        stored = await self._stored(p.thread_id)
        from pycodex.rollout.reader import load_rollout

        loaded = await asyncio.to_thread(load_rollout, stored.path)
        turns = rebuild_turns(stored.id, str(stored.meta.get("cwd") or ""), loaded.items)
        keep = len(turns)
        if p.last_turn_id is not None:
            ids = [t.id for t in turns]
            if p.last_turn_id not in ids:
                raise invalid("lastTurnId", f"thread {p.thread_id} has no turn {p.last_turn_id}")
            keep = ids.index(p.last_turn_id) + 1
        if p.cwd is None:
            p.cwd = str(stored.meta.get("cwd") or "") or None
        config = await self._config(p, model=stored.model)
        config.ephemeral = p.ephemeral
        # Cut before the first user message of the first turn not kept.
        nth = sum(1 for t in turns[:keep] for i in t.items if i.type == "userMessage")
        conv = await self.manager.fork_conversation(config, stored.path, nth)
        handle = self._adopt(conv, config, 0, preview=stored.preview)
        handle.info.forked_from_id = stored.id
        thread = handle.thread().wire()
        return self._announce(handle, thread, config)

    async def _names(self) -> dict[str, str]:
        from pycodex.rollout.names import thread_names

        return await asyncio.to_thread(thread_names, await self._pycodex_home())

    async def thread_list(self, p: P.ThreadListParams) -> dict[str, Any]:
        """Stored threads, newest first, a page at a time."""
        from pycodex.app_server.catalog import list_threads

        home = await self._pycodex_home()
        threads, cursor = await asyncio.to_thread(list_threads, home, p)
        for t in threads:  # a loaded thread shows its live status
            handle = self.threads.get(t.id)
            if handle is not None:
                t.status = handle.status()
        return {"data": [t.wire() for t in threads], "nextCursor": cursor, "backwardsCursor": None}

    async def thread_read(self, p: P.ThreadReadParams) -> dict[str, Any]:
        """A thread, with its turns if asked (rebuilt from the rollout)."""
        handle = self.threads.get(p.thread_id)
        if handle is not None and handle.info.path is None:  # ephemeral: nothing on disk
            return {"thread": handle.thread().wire()}
        from pycodex.app_server.catalog import read_stored

        stored = await self._stored(p.thread_id)
        home = await self._pycodex_home()
        thread = await asyncio.to_thread(read_stored, home, stored, p.include_turns)
        if handle is not None:
            thread.status = handle.status()
        return {"thread": thread.wire()}

    async def thread_archive(self, p: P.ThreadIdParams) -> Reply:
        """Move a thread's rollout to archived_sessions/ (unloading it first)."""
        from pycodex.rollout.archive import archive_rollout
        from pycodex.rollout.store import SessionStore

        stored = await self._stored(p.thread_id)
        if stored.archived:
            raise RpcError(INVALID_REQUEST, f"thread {p.thread_id} is already archived")
        handle = self.threads.pop(p.thread_id, None)
        if handle is not None:
            await handle.close()
            await self.manager.remove(handle.id)
        home = await self._pycodex_home()

        def move() -> None:
            archive_rollout(home, stored.path)
            store = SessionStore(home)
            try:
                store.forget(stored.path)
            finally:
                store.close()

        await asyncio.to_thread(move)
        return Reply({}, lambda: self.conn.notify("thread/archived", {"threadId": p.thread_id}))

    async def thread_unarchive(self, p: P.ThreadIdParams) -> Reply:
        """Move an archived thread back among the sessions."""
        from pycodex.rollout.archive import unarchive_rollout

        stored = await self._stored(p.thread_id)
        if not stored.archived:
            raise RpcError(INVALID_REQUEST, f"thread {p.thread_id} is not archived")
        home = await self._pycodex_home()
        stored.path = await asyncio.to_thread(unarchive_rollout, home, stored.path)
        stored.archived = False
        names = await self._names()
        thread = stored.thread(names.get(stored.id)).wire()
        return Reply({"thread": thread}, lambda: self.conn.notify("thread/unarchived", {"threadId": p.thread_id}))

    async def thread_set_name(self, p: P.ThreadSetNameParams) -> Reply:
        """Name a thread (kept in session_index.jsonl, as Codex keeps it)."""
        from pycodex.rollout.names import set_thread_name

        name = p.name.strip()
        if not name:
            raise invalid("name", "must not be empty")
        if p.thread_id not in self.threads:
            await self._stored(p.thread_id)
        else:
            self.threads[p.thread_id].info.name = name
        await asyncio.to_thread(set_thread_name, await self._pycodex_home(), p.thread_id, name)
        return Reply({}, lambda: self.conn.notify(
            "thread/name/updated", {"threadId": p.thread_id, "threadName": name}))

    def _loaded(self, thread_id: str) -> ThreadHandle:
        handle = self.threads.get(thread_id)
        if handle is None:
            raise RpcError(INVALID_REQUEST, f"thread not found: {thread_id} (start or resume it first)")
        return handle

    async def thread_compact(self, p: P.ThreadIdParams) -> Reply:
        """Compact the thread's history in a turn of its own."""
        return Reply({}, await self._loaded(p.thread_id).start_compact())

    # ---- turns ---------------------------------------------------------------------------
    async def turn_start(self, p: P.TurnStartParams) -> Reply:
        """Start a turn with these inputs (and overrides that stay for later turns)."""
        if p.tool_output is not None:
            raise invalid("toolOutput", "tool outputs as turn input are not supported by pycodex")
        turn, submit = await self._loaded(p.thread_id).start_turn(p)
        return Reply({"turn": turn.wire()}, submit)

    async def turn_steer(self, p: P.TurnSteerParams) -> dict[str, Any]:
        """Add input to the running turn."""
        handle = self._loaded(p.thread_id)
        items = input_items(p.input, handle.settings.cwd)
        return {"turnId": await handle.steer(p.expected_turn_id, items)}

    async def turn_interrupt(self, p: P.TurnInterruptParams) -> dict[str, Any]:
        """Interrupt the running turn."""
        await self._loaded(p.thread_id).interrupt(p.turn_id)
        return {}

    async def review_start(self, p: P.ReviewStartParams) -> Reply:
        """Review `target` in a turn of the thread itself; a target the session refuses (no
        repository, an unknown branch or commit, blank instructions) is an invalid request."""
        turn, replied = await self._loaded(p.thread_id).start_review(p.target)
        return Reply({"turn": turn.wire(), "reviewThreadId": p.thread_id}, replied)

    # ---- models and account --------------------------------------------------------------
    async def model_list(self, p: P.ModelListParams) -> dict[str, Any]:
        """Codex's catalog models pycodex knows (the configured one is the default)."""
        from pycodex.app_server.models import model_catalog, page

        config = await self._config(P.ThreadSettingsParams())
        try:
            data, cursor = page(model_catalog(config, bool(p.include_hidden)), p.cursor, p.limit)
        except ValueError as e:
            raise invalid("cursor", str(e)) from e
        return {"data": data, "nextCursor": cursor}

    async def account_read(self, p: P.GetAccountParams) -> dict[str, Any]:
        """Which credential threads use: an API key (from login or the environment), or none."""
        from pycodex.app_server.account import account_state

        config = await self._config(P.ThreadSettingsParams())
        return account_state(config)

    async def account_login_start(self, p: P.LoginAccountParams) -> Reply:
        """API-key login: the key is kept in this server's memory for the threads it starts."""
        if p.type != "apiKey":
            raise invalid("type", f"{p.type} login is not supported by pycodex (use apiKey)")
        if not p.api_key or not p.api_key.strip():
            raise invalid("apiKey", "must not be empty")
        self.api_key = p.api_key.strip()

        async def after() -> None:
            await self.conn.notify("account/login/completed", {"loginId": None, "success": True, "error": None})
            await self.conn.notify("account/updated", {"authMode": "apikey", "planType": None})
        return Reply({"type": "apiKey"}, after)

    async def account_login_cancel(self, p: P.CancelLoginParams) -> dict[str, Any]:
        """There are no interactive logins to cancel."""
        raise RpcError(INVALID_REQUEST, f"no login in progress with id {p.login_id}")

    async def account_logout(self, _params: Any) -> Reply:
        """Forget the key given at login (a key in the environment stays)."""
        self.api_key = None
        return Reply({}, lambda: self.conn.notify("account/updated", {"authMode": None, "planType": None}))

    # ---- end -----------------------------------------------------------------------------
    async def shutdown(self) -> None:
        """Every thread: turn aborted, processes killed, rollout flushed."""
        handles = list(self.threads.values())
        self.threads.clear()
        await asyncio.gather(*(h.close() for h in handles), return_exceptions=True)
        await self.manager.shutdown_all()

