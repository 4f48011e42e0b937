"""What stays in the terminal after the UI closes: the conversation, usage, how to resume."""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.markdown import Markdown
from rich.text import Text

from pycodex.tui import cells as c
from pycodex.tui.state import UIState


def print_exit(state: UIState, thread_id: str | None, out: TextIO) -> None:
    """Print the transcript (plain enough for any scrollback), token usage and the resume hint."""
    # rich follows NO_COLOR and leaves colour out when `out` is not a terminal.
    console = Console(file=out, highlight=False, soft_wrap=False)
    for cell in state.cells:
        _print_cell(console, cell)
    if state.tokens is not None:
        t = state.tokens.total_token_usage
        console.print(f"Token usage: total={t.total_tokens:,} input={t.input_tokens:,}"
                      f" (+ {t.cached_input_tokens:,} cached) output={t.output_tokens:,}")
    if thread_id:
        console.print(Text.assemble("To continue this session, run ",
                                    (f"pycodex resume {thread_id}", "bold cyan")))


def _print_cell(console: Console, cell: c.Cell) -> None:
    if isinstance(cell, c.UserCell):
        console.print(Text.assemble(("› ", "bold cyan"), cell.text))
    elif isinstance(cell, c.AgentCell):
        console.print(Markdown(cell.text))
    elif isinstance(cell, c.ReasoningCell):
        console.print(Text(cell.text.strip(), style="dim italic"))
    elif isinstance(cell, c.ExecCell):
        code = "running" if cell.exit_code is None else f"exit {cell.exit_code}"
        console.print(Text.assemble(("$ ", "dim"), cell.command, (f"  ({code})", "dim")))
    elif isinstance(cell, c.PatchCell):
        files = ", ".join(str(p) for p in cell.changes)
        status = {True: "applied", False: "failed", None: "not applied"}[cell.success]
        console.print(Text(f"patch {status}: {files}", style="dim"))
    elif isinstance(cell, c.PlanCell):
        for item in cell.items:
            console.print(f"  [{'x' if item.status.value == 'completed' else ' '}] {item.step}",
                          markup=False)
    elif isinstance(cell, c.ErrorCell):
        console.print(Text(f"error: {cell.message}", style="red"))
    elif isinstance(cell, c.InfoCell):
        console.print(Text(cell.text, style="dim"))
    elif isinstance(cell, c.ReviewStartCell):
        console.print(Text(f"» Code review: {cell.hint}", style="bold"))
    elif isinstance(cell, c.ReviewResultCell):
        console.print(Text(f"« Code review finished: {cell.hint}", style="bold"))
        console.print(Text(cell.text or "(the review ended before the reviewer answered)"))
    else:
        return
    console.print()
