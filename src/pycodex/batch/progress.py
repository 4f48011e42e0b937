"""What the user sees while a batch runs: a live rich panel on a terminal, plain lines elsewhere."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import IO, Any

from pycodex.batch.results import Status, Tally, TaskResult


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def _one_line(text: str | None, width: int = 60) -> str:
    line = " ".join((text or "").split())
    return line if len(line) <= width else line[: width - 1] + "…"


class Progress:
    """Counts and reports; `rich` draws a live panel, otherwise one line per finished task."""

    def __init__(self, tally: Tally, *, rich: bool, stream: IO[str] | None = None) -> None:
        self.tally = tally
        self._rich = rich
        self._out = stream or sys.stdout
        self._t0 = time.monotonic()
        self._started: dict[str, float] = {}
        self._live: Any = None

    # ---- Reporter ---------------------------------------------------------------------------

    def started(self, task_id: str, attempt: int) -> None:
        """A task (or a retry of it) started."""
        self.tally.start(task_id)
        self._started[task_id] = time.monotonic()
        if not self._rich and attempt > 1:
            self._line(f"retry {attempt - 1} of {task_id}")

    def tokens(self, task_id: str, total: int) -> None:
        """A running task's token count so far."""
        self.tally.set_tokens(task_id, total)

    def finished(self, result: TaskResult) -> None:
        """A task has its final result."""
        self.tally.finish(result)
        if not self._rich:
            self._line(self._finished_line(result))
        elif self._live is not None and result.status is not Status.COMPLETED:
            self._live.console.print(self._finished_line(result), markup=False, highlight=False)

    # ---- display ----------------------------------------------------------------------------

    def _finished_line(self, r: TaskResult) -> str:
        t = self.tally
        line = f"[{t.done}/{t.total}] {r.id}: {r.status.value} in {r.duration_s:.1f}s, {r.tokens:,} tokens"
        if r.status is not Status.COMPLETED and r.error:
            line += f" — {_one_line(r.error, 200)}"
        return line

    def _line(self, text: str) -> None:
        self._out.write(text + "\n")
        self._out.flush()

    def elapsed(self) -> float:
        """Seconds since the display started."""
        return time.monotonic() - self._t0

    def status_line(self) -> str:
        """done / running / failed, tokens, elapsed, ETA."""
        t = self.tally
        elapsed = self.elapsed()
        return (f"done {t.done}/{t.total} · running {len(t.running)} · failed {t.failed} · "
                f"tokens {t.total_tokens:,} · elapsed {_clock(elapsed)} · ETA {_clock(t.eta_s(elapsed))}")

    def __rich__(self) -> Any:
        from rich.console import Group
        from rich.text import Text

        t = self.tally
        now = time.monotonic()
        filled = round(40 * t.done / max(t.total, 1))
        bar = Text("━" * filled, style="green") + Text("━" * (40 - filled), style="bright_black")
        rows: list[Any] = [bar, Text(self.status_line())]
        running = list(t.running)  # a snapshot: the refresh runs in rich's own thread
        for task_id in sorted(running, key=lambda i: self._started.get(i, now))[:8]:
            rows.append(Text(f"  ▸ {task_id}  {_clock(now - self._started.get(task_id, now))}"
                             f"  {t.tokens.get(task_id, 0):,} tokens", style="dim"))
        if len(running) > 8:
            rows.append(Text(f"  … and {len(running) - 8} more", style="dim"))
        return Group(*rows)

    def start(self, note: str) -> None:
        """Begin showing progress."""
        if not self._rich:
            self._line(note)
            return
        from rich.console import Console
        from rich.live import Live

        console = Console(file=self._out)
        console.print(note, markup=False, highlight=False)
        self._live = Live(self, console=console, refresh_per_second=4, transient=True)
        self._live.start()

    def stop(self) -> None:
        """Stop the live panel (if any)."""
        if self._live is not None:
            self._live.stop()
            self._live = None

    def note(self, text: str) -> None:
        """A one-off line (e.g. that Ctrl-C was received)."""
        if self._live is not None:
            self._live.console.print(text, markup=False, highlight=False)
        else:
            self._line(text)

    def summary(self, results: Sequence[TaskResult], kept: set[str], where: str) -> None:
        """The table of every task, and one closing line."""
        counts = {s: sum(1 for r in results if r.status is s) for s in Status}
        closing = (f"{len(results)} tasks: {counts[Status.COMPLETED]} completed "
                   f"({len(kept)} from an earlier run), {counts[Status.FAILED]} failed, "
                   f"{counts[Status.TIMED_OUT]} timed out, {counts[Status.ABORTED]} aborted "
                   f"in {_clock(self.elapsed())}; {where}")
        if not self._rich:
            self._line(closing)
            return
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        table = Table(show_edge=False, pad_edge=False)
        for name, justify in (("task", "left"), ("status", "left"), ("time", "right"),
                              ("tokens", "right"), ("answer / error", "left")):
            table.add_column(name, justify=justify)  # type: ignore[arg-type]
        style = {Status.COMPLETED: "green", Status.FAILED: "red", Status.TIMED_OUT: "yellow",
                 Status.ABORTED: "magenta"}
        for r in results[:200]:
            shown = r.final_message if r.status is Status.COMPLETED else r.error
            status = Text(r.status.value + (" (kept)" if r.id in kept else ""), style=style[r.status])
            table.add_row(Text(r.id), status, f"{r.duration_s:.1f}s", f"{r.tokens:,}",
                          Text(_one_line(shown)))
        console = Console(file=self._out)
        console.print(table)
        if len(results) > 200:
            console.print(f"… {len(results) - 200} more in results.jsonl", markup=False)
        console.print(closing, markup=False, highlight=False)
