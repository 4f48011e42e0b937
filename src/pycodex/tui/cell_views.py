"""One small widget per kind of transcript cell; each redraws itself from its cell."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Collapsible, Markdown, Static

from pycodex.protocol import events as ev
from pycodex.tui import cells as c

LIVE_TAIL_LINES = 5  # a running command shows its last lines
FULL_OUTPUT_LINES = 400  # a finished command's expandable output keeps head and tail


def tail_lines(text: str, n: int) -> list[str]:
    """The last n lines of text (a trailing newline ends a line, it does not start one)."""
    return text.rstrip("\n").splitlines()[-n:] if text.strip() else []


def clipped(text: str, limit: int) -> str:
    """At most `limit` lines: the first and last halves, with how many were left out."""
    lines = text.rstrip("\n").splitlines()
    if len(lines) <= limit:
        return "\n".join(lines)
    half = limit // 2
    return "\n".join([*lines[:half], f"… {len(lines) - 2 * half} lines omitted …", *lines[-half:]])


def diff_text(lines: list[str]) -> Text:
    """Diff lines coloured: additions green, removals red, headers bold."""
    out = Text()
    for line in lines:
        if line.startswith(("+++", "---", "***", "diff ")):
            style = "bold"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        elif line.startswith("@@"):
            style = "cyan"
        else:
            style = ""
        out.append(line + "\n", style=style)
    out.rstrip()
    return out


class CellView(Widget):
    """Base: a widget bound to one cell."""

    DEFAULT_CSS = """
    CellView { height: auto; margin: 0 0 1 0; }
    """

    def __init__(self, cell: c.Cell) -> None:
        super().__init__()
        self.cell = cell

    def sync(self) -> None:
        """Redraw from the cell (it changed)."""


class StaticCellView(CellView):
    """A cell drawn as one block of text."""

    def compose(self) -> ComposeResult:
        yield Static(self.render_cell())

    def render_cell(self) -> Text:
        """The cell as text."""
        return Text()

    def sync(self) -> None:
        """Redraw from the cell."""
        self.query_one(Static).update(self.render_cell())


class UserView(StaticCellView):
    """› the user's message."""

    def render_cell(self) -> Text:
        """The message with its marker."""
        assert isinstance(self.cell, c.UserCell)
        return Text.assemble(("› ", "bold cyan"), (self.cell.text, "bold"))


class ReasoningView(StaticCellView):
    """A reasoning summary, dimmed."""

    def render_cell(self) -> Text:
        """The summary, dim and italic."""
        assert isinstance(self.cell, c.ReasoningCell)
        return Text(self.cell.text.strip(), style="dim italic")


class AgentView(CellView):
    """The agent's markdown, appended as it streams."""

    DEFAULT_CSS = """
    AgentView Markdown { margin: 0; padding: 0; }
    """

    def __init__(self, cell: c.Cell) -> None:
        super().__init__(cell)
        self._sent = ""  # the text already handed to the markdown widget
        self._md = Markdown()
        self._dirty = asyncio.Event()

    def compose(self) -> ComposeResult:
        yield self._md

    def on_mount(self) -> None:
        """Start the appender that feeds the markdown widget."""
        self.run_worker(self._append_loop(), group="md")
        self._dirty.set()

    def sync(self) -> None:
        """Note new text; the appender takes it on its next pass."""
        self._dirty.set()

    async def _append_loop(self) -> None:
        # Whatever streamed in while the widget was parsing goes in as one append: at most
        # one parse per pass, however many deltas arrived (a 20,000-delta answer stays smooth).
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            assert isinstance(self.cell, c.AgentCell)
            text = self.cell.text
            if text.startswith(self._sent):
                fresh, self._sent = text[len(self._sent) :], text
                if fresh:
                    await self._md.append(fresh)
            else:  # the final message differs from what streamed: redraw it whole
                self._sent = text
                await self._md.update(text)


class ExecView(CellView):
    """A command: header, live tail while running, collapsible output when done."""

    DEFAULT_CSS = """
    ExecView Collapsible { border: none; padding: 0; margin: 0; background: transparent; }
    ExecView .tail { color: $text-muted; padding-left: 2; }
    """

    def compose(self) -> ComposeResult:
        yield Static(self._header(), classes="header")
        yield Static(self._tail(), classes="tail")

    def _header(self) -> Text:
        assert isinstance(self.cell, c.ExecCell)
        cell = self.cell
        if cell.running:
            return Text.assemble(("• ", "yellow"), ("Running ", "bold"), cell.command)
        ok = cell.exit_code == 0
        took = f" · {cell.duration:.1f}s" if cell.duration is not None else ""
        status = "exit 0" if ok else ("killed" if cell.exit_code == -1 else f"exit {cell.exit_code}")
        return Text.assemble(
            ("✓ " if ok else "✗ ", "green" if ok else "red"),
            ("Ran ", "bold"),
            cell.command,
            (f"  ({status}{took})", "green" if ok else "red"),
        )

    def _tail(self) -> Text:
        assert isinstance(self.cell, c.ExecCell)
        lines = tail_lines(self.cell.output, LIVE_TAIL_LINES)
        return Text("\n".join(lines), style="dim")

    def sync(self) -> None:
        """Redraw: the tail while running; the output folded away once it ended."""
        assert isinstance(self.cell, c.ExecCell)
        self.query_one(".header", Static).update(self._header())
        if self.cell.running:
            self.query_one(".tail", Static).update(self._tail())
            return
        for old in self.query(".tail"):
            old.remove()
        output = self.cell.output.rstrip("\n")
        if output and not self.query(Collapsible):
            n = len(output.splitlines())
            body = Static(Text(clipped(output, FULL_OUTPUT_LINES), style="dim"))
            self.mount(Collapsible(body, title=f"output ({n} line{'s' if n != 1 else ''})"))


class PatchView(StaticCellView):
    """A patch as a coloured diff, then whether it applied."""

    def render_cell(self) -> Text:
        """The diff with a status line."""
        assert isinstance(self.cell, c.PatchCell)
        cell = self.cell
        n = len(cell.changes)
        title = f"Edited {n} file{'s' if n != 1 else ''}"
        if cell.success is None:
            head = Text.assemble(("• ", "yellow"), (title, "bold"))
        elif cell.success:
            head = Text.assemble(("✓ ", "green"), (title, "bold"))
        else:
            head = Text.assemble(("✗ ", "red"), (f"{title}: failed ", "bold red"), cell.error)
        return Text.assemble(head, "\n", diff_text(c.diff_lines(cell.changes)))


class PlanView(StaticCellView):
    """A plan update as a checklist."""

    MARKS: ClassVar[dict[ev.StepStatus, tuple[str, str]]] = {
        ev.StepStatus.COMPLETED: ("✔ ", "green"),
        ev.StepStatus.IN_PROGRESS: ("▶ ", "cyan"),
        ev.StepStatus.PENDING: ("□ ", "dim"),
    }

    def render_cell(self) -> Text:
        """Each step with its mark."""
        assert isinstance(self.cell, c.PlanCell)
        out = Text.assemble(("Updated plan", "bold"))
        if self.cell.explanation:
            out.append("\n" + self.cell.explanation, style="dim italic")
        for item in self.cell.items:
            mark, style = self.MARKS.get(item.status, ("□ ", "dim"))
            done = item.status is ev.StepStatus.COMPLETED
            out.append("\n  ")
            out.append(mark, style=style)
            out.append(item.step, style="strike dim" if done else "")
        return out


class ErrorView(StaticCellView):
    """An error in red, with what to do."""

    def render_cell(self) -> Text:
        """The message, then the hint."""
        assert isinstance(self.cell, c.ErrorCell)
        return Text.assemble(("■ ", "bold red"), (self.cell.message, "red"), "\n  ",
                             (self.cell.hint, "dim"))


class InfoView(StaticCellView):
    """A notice."""

    STYLES: ClassVar[dict[str, str]] = {"info": "", "warning": "yellow", "dim": "dim"}

    def render_cell(self) -> Text:
        """The notice in its tone."""
        assert isinstance(self.cell, c.InfoCell)
        return Text(self.cell.text, style=self.STYLES.get(self.cell.tone, ""))


class DiffView(StaticCellView):
    """A /diff result."""

    def render_cell(self) -> Text:
        """The title and the coloured diff."""
        assert isinstance(self.cell, c.DiffCell)
        body = diff_text(self.cell.diff.splitlines()) if self.cell.diff else Text("(no changes)")
        return Text.assemble((self.cell.title, "bold"), "\n", body)


class ReviewStartView(StaticCellView):
    """The banner of a review that began."""

    def render_cell(self) -> Text:
        """» Code review: <what>."""
        assert isinstance(self.cell, c.ReviewStartCell)
        return Text.assemble(("» ", "bold magenta"), ("Code review: ", "bold"), self.cell.hint)


# A finding's priority (0 is the most urgent) → how its title is drawn.
PRIORITY_STYLES = ("bold red", "red", "yellow", "dim")


class ReviewResultView(StaticCellView):
    """A finished review: the overall explanation, then each finding with where it is."""

    def render_cell(self) -> Text:
        """The result (or why there is none)."""
        assert isinstance(self.cell, c.ReviewResultCell)
        cell = self.cell
        out = cell.output
        explanation = out.overall_explanation.strip() if out else ""
        if out is None and cell.text is None:
            return Text.assemble(("■ ", "yellow"), ("Code review ended before the reviewer answered: ", "yellow"),
                                 cell.hint)
        text = Text.assemble(("« ", "bold magenta"), ("Code review finished: ", "bold"), cell.hint)
        if explanation or (out and out.findings):
            if explanation:
                text.append("\n" + explanation)
            for finding in out.findings if out else []:
                style = PRIORITY_STYLES[min(max(finding.priority, 0), len(PRIORITY_STYLES) - 1)]
                text.append("\n\n• ", style=style)
                text.append(finding.title, style=style)
                text.append(f"  {_location(finding, cell.cwd)}", style="cyan")
                for line in finding.body.rstrip("\n").split("\n"):
                    text.append(f"\n  {line.rstrip()}")
        elif cell.text:
            text.append("\n" + cell.text)
        return text


def _location(finding: ev.ReviewFinding, cwd: Path | None) -> str:
    """`path:start-end`, the path relative to cwd when it lies beneath it."""
    loc = finding.code_location
    path = loc.absolute_file_path
    if cwd is not None and path.is_relative_to(cwd):
        path = path.relative_to(cwd)
    return f"{path}:{loc.line_range.start}-{loc.line_range.end}"


VIEWS: dict[type[c.Cell], type[CellView]] = {
    c.UserCell: UserView,
    c.AgentCell: AgentView,
    c.ReasoningCell: ReasoningView,
    c.ExecCell: ExecView,
    c.PatchCell: PatchView,
    c.PlanCell: PlanView,
    c.ErrorCell: ErrorView,
    c.InfoCell: InfoView,
    c.DiffCell: DiffView,
    c.ReviewStartCell: ReviewStartView,
    c.ReviewResultCell: ReviewResultView,
}


def view_for(cell: c.Cell) -> CellView:
    """The widget that draws a cell."""
    return VIEWS[type(cell)](cell)


class Transcript(Vertical):
    """The cells' widgets in order (inside the app's scrolling container)."""

    DEFAULT_CSS = """
    Transcript { height: auto; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._views: dict[int, CellView] = {}

    def add_cells(self, cells: list[c.Cell]) -> None:
        """Mount widgets for new cells."""
        views = [view_for(cell) for cell in cells]
        for view in views:
            self._views[view.cell.id] = view
        if views:
            self.mount_all(views)

    def changed(self, cells: list[c.Cell]) -> None:
        """Redraw the widgets of changed cells."""
        for cell in cells:
            view = self._views.get(cell.id)
            if view is not None and view.is_mounted:
                view.sync()

    def clear(self) -> None:
        """Remove every cell's widget (a new session)."""
        self._views.clear()
        self.remove_children()
