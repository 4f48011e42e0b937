"""Modal screens: a list to pick from, filtered as you type (sessions, models, efforts,
presets), and a line of text to type (custom review instructions)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

Loader = Callable[[str], Awaitable[list[tuple[str, str]]]]


class PickerScreen(ModalScreen[str | None]):
    """Type to filter, Up/Down to move, Enter to pick, Esc to cancel (None)."""

    DEFAULT_CSS = """
    PickerScreen { align: center middle; }
    PickerScreen > Vertical { width: 90%; max-width: 110; height: auto; max-height: 80%;
                              border: round $primary; padding: 0 1; background: $surface; }
    PickerScreen OptionList { height: auto; max-height: 16; border: none; }
    PickerScreen .hint { color: $text-muted; }
    """

    def __init__(self, title: str, load: Loader, *, searchable: bool = True,
                 empty: str = "nothing to pick") -> None:
        super().__init__()
        self._title = title
        self._load = load
        self._searchable = searchable
        self._empty = empty

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self._title, classes="title")
            if self._searchable:
                yield Input(placeholder="type to search")
            yield OptionList()
            yield Static("↑/↓ move · enter pick · esc cancel", classes="hint")

    def on_mount(self) -> None:
        """Load the first list."""
        if self._searchable:
            self.query_one(Input).focus()
        else:
            self.query_one(OptionList).focus()
        self._reload("")

    @work(exclusive=True, group="picker")
    async def _reload(self, query: str) -> None:
        items = await self._load(query)
        options = self.query_one(OptionList)
        options.clear_options()
        if items:
            options.add_options([Option(Text(label), id=value) for label, value in items])
            options.highlighted = 0
        else:
            options.add_option(Option(Text(self._empty), disabled=True))

    def on_input_changed(self, event: Input.Changed) -> None:
        """Search as you type."""
        self._reload(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the search field picks the highlighted item."""
        event.stop()
        self._pick()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter (or a click) on an item."""
        event.stop()
        self.dismiss(event.option.id)

    def _pick(self) -> None:
        opt = self.query_one(OptionList).highlighted_option
        if opt is not None and not opt.disabled:
            self.dismiss(opt.id)

    def on_key(self, event: events.Key) -> None:
        """Up/Down move the list from the search field; Esc cancels."""
        options = self.query_one(OptionList)
        if event.key == "escape":
            event.stop()
            self.dismiss(None)
        elif event.key == "up" and not options.has_focus:
            event.stop()
            options.action_cursor_up()
        elif event.key == "down" and not options.has_focus:
            event.stop()
            options.action_cursor_down()


def static_loader(items: list[tuple[str, str]]) -> Loader:
    """A loader over a fixed list, filtered by substring."""

    async def load(query: str) -> list[tuple[str, str]]:
        q = query.lower().strip()
        return [(label, value) for label, value in items if q in label.lower()]

    return load


class TextPromptScreen(ModalScreen[str | None]):
    """One line of text: Enter submits it (blank text is refused with a note), Esc cancels."""

    DEFAULT_CSS = """
    TextPromptScreen { align: center middle; }
    TextPromptScreen > Vertical { width: 90%; max-width: 110; height: auto;
                                  border: round $primary; padding: 0 1; background: $surface; }
    TextPromptScreen .hint { color: $text-muted; }
    TextPromptScreen .problem { color: $warning; }
    """

    def __init__(self, title: str, placeholder: str, *, blank: str = "type something first") -> None:
        super().__init__()
        self._title = title
        self._placeholder = placeholder
        self._blank = blank

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self._title, classes="title")
            yield Input(placeholder=self._placeholder)
            yield Static("", classes="problem")
            yield Static("enter submit · esc cancel", classes="hint")

    def on_mount(self) -> None:
        """Typing goes to the field."""
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter: the text, unless it is blank (then say so and stay)."""
        event.stop()
        text = event.value.strip()
        if not text:
            self.query_one(".problem", Static).update(self._blank)
            return
        self.dismiss(text)

    def on_key(self, event: events.Key) -> None:
        """Esc cancels."""
        if event.key == "escape":
            event.stop()
            self.dismiss(None)
