"""`pycodex sessions list|show`: find and read recorded sessions."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import click

# C0 and C1 controls and DEL: a recorded message must not drive the terminal (colours, titles).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


# The same for a transcript, whose lines and tabs stay.
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _visible(text: str) -> str:
    """`text` with each control character shown as `?` (one line of a table cell)."""
    return _CONTROL.sub("?", text)


def _home(*, writable: bool) -> Path:
    """`$PYCODEX_HOME`, checked: a bad home is one clear line, not a traceback."""
    from pycodex.config.errors import ConfigError
    from pycodex.config.home import check_home_readable, ensure_home, pycodex_home

    home = pycodex_home()
    try:
        if writable:  # the index is created and updated under it
            return ensure_home(home)
        check_home_readable(home)
    except ConfigError as e:
        raise click.ClickException(str(e)) from e
    return home


@click.group("sessions")
def sessions_group() -> None:
    """Recorded sessions (rollouts) and their index."""


@sessions_group.command("list")
@click.option("--cwd", type=click.Path(path_type=Path), help="Only sessions that ran in DIR.")
@click.option("--search", help="Full-text search over user and agent messages.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--cursor", help="Continue from a previous page.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_command(cwd: Path | None, search: str | None, limit: int, cursor: str | None, as_json: bool) -> None:
    """Sessions, newest first."""
    from pycodex.rollout.store import SessionStore

    try:
        page = SessionStore(_home(writable=True)).list(cwd=cwd.resolve() if cwd else None, search=search,
                                          limit=limit, cursor=cursor)
    except ValueError as e:
        raise click.ClickException(str(e)) from e
    for path, problem in page.skipped:
        click.echo(f"Warning: skipping {path}: {problem}", err=True)
    if as_json:
        for row in page.items:
            sys.stdout.write(json.dumps(row.to_json()) + "\n")
        if page.next_cursor:
            sys.stdout.write(json.dumps({"next_cursor": page.next_cursor}) + "\n")
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table("thread id", "updated", "model", "tokens in/out", "cwd", "first message")
    import datetime as dt

    for r in page.items:
        when = dt.datetime.fromtimestamp(r.updated).strftime("%Y-%m-%d %H:%M")
        first = (r.first_user_message or "").strip().split("\n", 1)[0][:60]
        # Text, not str: rich would read `[red]` or `[/bold]` in a message as its markup.
        cells = (r.thread_id, when, r.model or "", f"{r.input_tokens}/{r.output_tokens}", r.cwd or "", first)
        table.add_row(*(Text(_visible(c)) for c in cells))
    console = Console()
    console.print(table)
    if page.next_cursor:
        console.print(f"next page: pycodex sessions list --cursor {page.next_cursor}")


@sessions_group.command("show")
@click.argument("thread_id")
def show_command(thread_id: str) -> None:
    """A readable transcript of one session."""
    from pycodex.rollout.lookup import find_rollout_by_id
    from pycodex.rollout.reader import last_token_usage, load_rollout
    from pycodex.rollout.transcript import render_transcript
    from pycodex.rollout.validate import rollout_problem

    path = find_rollout_by_id(_home(writable=False), thread_id)
    if path is None:
        raise click.ClickException(f"no recorded session with id {thread_id}")
    problem = rollout_problem(path)
    if problem is not None:
        raise click.ClickException(f"{path} is not a session rollout: {problem}")
    loaded = load_rollout(path)
    text = render_transcript(loaded.meta, loaded.items, last_token_usage(loaded.items))
    click.echo(_CONTROL_IN_TEXT.sub("?", text), nl=False)  # recorded text never drives the terminal
