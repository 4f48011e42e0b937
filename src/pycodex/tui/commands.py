"""What each slash command does, through the app's public methods and the session's ops."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pycodex.protocol import ops
from pycodex.protocol.policies import (
    AskForApproval,
    DangerFullAccess,
    ReadOnly,
    ReasoningEffort,
    SandboxPolicy,
    WorkspaceWrite,
)
from pycodex.tui import cells as c
from pycodex.tui import slash
from pycodex.tui.gitdiff import workspace_diff
from pycodex.tui.picker import PickerScreen, static_loader
from pycodex.tui.status import approval_label, short_path

if TYPE_CHECKING:
    from pycodex.tui.app import PycodexApp

# /approvals presets: (label, approval policy, sandbox policy).
PRESETS: dict[str, tuple[str, AskForApproval, SandboxPolicy]] = {
    "read-only": ("Read only: reads files; asks before editing or running anything else",
                  AskForApproval.ON_REQUEST, ReadOnly()),
    "auto": ("Auto: edits and runs commands in the workspace; asks to go beyond it",
             AskForApproval.ON_REQUEST, WorkspaceWrite()),
    "full-access": ("Full access: anything, anywhere, network included; never asks",
                    AskForApproval.NEVER, DangerFullAccess()),
}
EFFORTS = [e for e in ReasoningEffort if e is not ReasoningEffort.NONE]


async def run(app: PycodexApp, command: slash.SlashCommand) -> None:
    """Carry out a slash command; an unknown one says so."""
    if not command.known:
        app.notice(f"Unrecognized command '/{command.name}'. Type / to see the commands.",
                   tone="warning")
        return
    if app.state.running and command.name not in slash.DURING_TURN:
        app.notice(slash.busy_notice(command.name), tone="warning")
        return
    handler = HANDLERS[command.name]
    await handler(app, command.args)


async def _quit(app: PycodexApp, args: str) -> None:
    await app.quit_app()


async def _new(app: PycodexApp, args: str) -> None:
    await app.switch_session(None)


async def _resume(app: PycodexApp, args: str) -> None:
    def chosen(path: Path | None) -> None:
        if path is not None:
            app.run_worker(app.switch_session(path), group="switch")

    pick_session(app, on_pick=chosen, cancel_means_new=False)


def pick_session(app: PycodexApp, on_pick: Callable[[Path | None], None],
                 cancel_means_new: bool = True) -> None:
    """The recorded sessions, newest first, searched as you type (the session index)."""
    from pycodex.rollout.store import SessionStore

    store = SessionStore(app.factory.home)

    async def load(query: str) -> list[tuple[str, str]]:
        page = await asyncio.to_thread(store.list, search=query or None, limit=50)
        return [(session_label(r.updated, r.first_user_message, r.cwd), r.path)
                for r in page.items]

    def done(value: str | None) -> None:
        if value is None and not cancel_means_new:
            return
        on_pick(Path(value) if value else None)

    title = "Resume a session (esc: start a new one)" if cancel_means_new else "Resume a session"
    app.push_screen(PickerScreen(title, load, empty="no recorded sessions match"), done)


def session_label(updated: float, first: str | None, cwd: str | None) -> str:
    """A picker line: when, what it began with, where."""
    when = dt.datetime.fromtimestamp(updated).strftime("%Y-%m-%d %H:%M")
    text = (first or "(no message)").strip().splitlines()[0] if (first or "").strip() else "(no message)"
    where = f"  [{short_path(Path(cwd))}]" if cwd else ""
    return f"{when}  {text[:70]}{where}"


async def _model(app: PycodexApp, args: str) -> None:
    from pycodex.config.model_family import CATALOG

    names = list(dict.fromkeys([app.state.model, *CATALOG]))
    models = [(f"{n}{'  (current)' if n == app.state.model else ''}", n) for n in names if n]

    def picked_model(model: str | None) -> None:
        if model is None:
            return
        current = app.state.effort
        efforts = [(f"{e.value}{'  (current)' if e is current else ''}", e.value) for e in EFFORTS]

        def picked_effort(effort: str | None) -> None:
            if effort is not None:
                app.run_worker(_set_model(app, model, ReasoningEffort(effort)), group="settings")

        app.push_screen(PickerScreen(f"Reasoning effort for {model}", static_loader(efforts),
                                     searchable=False), picked_effort)

    app.push_screen(PickerScreen("Choose a model", static_loader(models)), picked_model)


async def _set_model(app: PycodexApp, model: str, effort: ReasoningEffort) -> None:
    await app.submit(ops.OverrideTurnContext(model=model, effort=effort))
    app.state.model, app.state.effort = model, effort
    app.notice(f"Model changed to {model} ({effort.value} effort).")
    app.refresh_status()


async def _approvals(app: PycodexApp, args: str) -> None:
    items = [(label, key) for key, (label, _, _) in PRESETS.items()]

    def picked(key: str | None) -> None:
        if key is not None:
            app.run_worker(_set_preset(app, key), group="settings")

    app.push_screen(PickerScreen("Choose what pycodex may do", static_loader(items),
                                 searchable=False), picked)


async def _set_preset(app: PycodexApp, key: str) -> None:
    _, approval, sandbox = PRESETS[key]
    await app.submit(ops.OverrideTurnContext(approval_policy=approval, sandbox_policy=sandbox))
    app.state.approval, app.state.sandbox = approval, sandbox
    app.notice(f"Approvals: {key} ({approval_label(approval, sandbox)}).")
    app.refresh_status()


async def _status(app: PycodexApp, args: str) -> None:
    app.show_cells([app.state.add(c.InfoCell(text=status_report(app)))])


def status_report(app: PycodexApp) -> str:
    """/status: session, model, settings, tokens, limits, goal."""
    s = app.state
    rows = [
        ("Session", s.session_id or "(starting)"),
        ("Model", f"{s.model}" + (f" · effort {s.effort.value}" if s.effort else "")
         + (f" · provider {s.provider}" if s.provider else "")),
        ("Directory", short_path(s.cwd)),
        ("Approvals", approval_label(s.approval, s.sandbox)),
    ]
    if s.tokens is not None:
        t = s.tokens.total_token_usage
        rows.append(("Tokens", f"{t.total_tokens:,} total · {t.input_tokens:,} in "
                               f"({t.cached_input_tokens:,} cached) · {t.output_tokens:,} out"))
    else:
        rows.append(("Tokens", "none used yet"))
    left = s.context_left()
    window = (s.tokens.model_context_window if s.tokens else None) or s.context_window
    if left is not None and window:
        rows.append(("Context", f"{left}% left of {window:,} tokens"))
    limits = s.rate_limits
    for name, win in (("5h limit", limits.primary if limits else None),
                      ("Weekly limit", limits.secondary if limits else None)):
        if win is not None:
            resets = f", resets in {win.resets_in_seconds // 60} min" if win.resets_in_seconds else ""
            rows.append((name, f"{win.used_percent:.0f}% used{resets}"))
    if limits is None:
        rows.append(("Limits", "not reported by the provider yet"))
    if s.goal is not None:
        g = s.goal
        budget = f" of {g.token_budget:,}" if g.token_budget is not None else ""
        rows.append(("Goal", f"{g.objective} ({g.status.value}, {g.tokens_used:,}{budget} tokens)"))
    if s.rollout_path is not None:
        rows.append(("Recorded in", short_path(s.rollout_path)))
    width = max(len(k) for k, _ in rows)
    return "/status\n" + "\n".join(f"  {k:<{width}}  {v}" for k, v in rows)


async def _diff(app: PycodexApp, args: str) -> None:
    diff = await workspace_diff(app.state.cwd)
    if diff is None:
        app.notice("/diff: not inside a git repository.", tone="warning")
        return
    app.show_cells([app.state.add(c.DiffCell(title="/diff", diff=diff))])


async def _compact(app: PycodexApp, args: str) -> None:
    await app.submit(ops.Compact())
    app.notice("Compacting the conversation…", tone="dim")


async def _mention(app: PycodexApp, args: str) -> None:
    app.composer.set_text(app.composer.text + ("" if not app.composer.text or
                                              app.composer.text.endswith(" ") else " ") + "@")
    app.composer.focus()


async def _review(app: PycodexApp, args: str) -> None:
    from pycodex.tui.review_flow import open_review

    open_review(app, args)


async def _init(app: PycodexApp, args: str) -> None:
    target = app.state.cwd / "AGENTS.md"
    if await asyncio.to_thread(target.exists):
        app.notice(f"{short_path(target)} already exists: /init leaves it alone.", tone="warning")
        return
    await app.send_message(slash.INIT_PROMPT)


HANDLERS = {
    "quit": _quit,
    "exit": _quit,
    "new": _new,
    "resume": _resume,
    "model": _model,
    "approvals": _approvals,
    "status": _status,
    "diff": _diff,
    "compact": _compact,
    "mention": _mention,
    "init": _init,
    "review": _review,
}
