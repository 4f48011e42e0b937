"""The composer: where the user writes; Enter sends, Shift+Enter / Ctrl+J add a line."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.message import Message
from textual.widgets import OptionList, TextArea
from textual.widgets.option_list import Option

from pycodex.tui.pastes import Pastes, normalize_newlines


class Suggestions(OptionList):
    """The popup above the composer: slash commands or file paths, filtered as you type."""

    DEFAULT_CSS = """
    Suggestions { display: none; max-height: 10; height: auto; border: none; padding: 0 1; }
    Suggestions.open { display: block; }
    """

    def __init__(self) -> None:
        super().__init__(id="suggestions")
        self.can_focus = False
        self.kind = ""  # "slash" | "file"

    @property
    def is_open(self) -> bool:
        """Whether the popup is shown."""
        return self.has_class("open")

    def show(self, kind: str, items: list[tuple[str, str]]) -> None:
        """Show these (label, value) items; none closes the popup."""
        self.kind = kind
        self.clear_options()
        if not items:
            self.remove_class("open")
            return
        self.add_options([Option(Text(label), id=value) for label, value in items])
        self.highlighted = 0
        self.add_class("open")

    def close(self) -> None:
        """Hide the popup."""
        self.remove_class("open")
        self.kind = ""

    def chosen(self) -> str | None:
        """The highlighted item's value."""
        opt = self.highlighted_option
        return opt.id if opt is not None else None


class Composer(TextArea):
    """A multi-line input with prompt history, collapsed large pastes and a popup."""

    DEFAULT_CSS = """
    Composer { height: auto; min-height: 3; max-height: 12; border: round $primary 50%; padding: 0 1; }
    Composer:focus { border: round $primary; }
    """

    class Submitted(Message):
        """Enter pressed: the text to send (pastes expanded)."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class HistoryStep(Message):
        """Up (older) or Down (newer) at the edge of the text."""

        def __init__(self, older: bool) -> None:
            super().__init__()
            self.older = older

    class QuitRequested(Message):
        """Ctrl-D on an empty composer."""

    class Picked(Message):
        """A popup item was chosen (Enter / Tab)."""

        def __init__(self, kind: str, value: str) -> None:
            super().__init__()
            self.kind = kind
            self.value = value

    def __init__(self, popup: Suggestions) -> None:
        super().__init__(id="composer", soft_wrap=True, tab_behavior="focus",
                         highlight_cursor_line=False, show_line_numbers=False,
                         placeholder="Ask pycodex to do anything  (/ for commands, @ for files)")
        self.popup = popup
        self.pastes = Pastes()
        self.browsing_history = False

    def set_text(self, text: str) -> None:
        """Replace the text and put the cursor at its end."""
        self.load_text(text)
        self.move_cursor(self.document.end)

    def cursor_offset(self) -> int:
        """The cursor as a character offset into the text."""
        row, col = self.cursor_location
        lines = self.text.split("\n")
        return sum(len(line) + 1 for line in lines[:row]) + col

    def move_cursor_to_offset(self, offset: int) -> None:
        """Put the cursor at a character offset."""
        before = self.text[:offset].split("\n")
        self.move_cursor((len(before) - 1, len(before[-1])))

    def _popup_key(self, key: str) -> bool:
        """Route a key to the open popup; True when it took it."""
        if not self.popup.is_open:
            return False
        if key == "up":
            self.popup.action_cursor_up()
        elif key == "down":
            self.popup.action_cursor_down()
        elif key in ("enter", "tab"):
            value = self.popup.chosen()
            kind = self.popup.kind
            self.popup.close()
            if value is not None:
                self.post_message(self.Picked(kind, value))
        elif key == "escape":
            self.popup.close()
        else:
            return False
        return True

    async def _on_key(self, event: events.Key) -> None:
        key = event.key
        handled = True
        if self._popup_key(key):
            pass
        elif key == "enter":
            text = self.pastes.expand(self.text)
            if text.strip():
                self.post_message(self.Submitted(text))
        elif key in ("shift+enter", "ctrl+j"):
            start, end = self.selection
            self._replace_via_keyboard("\n", start, end)
        elif key == "up" and self.cursor_location[0] == 0 and (not self.text or self.browsing_history
                                                               or "\n" not in self.text):
            self.post_message(self.HistoryStep(older=True))
        elif key == "down" and self.browsing_history and self.cursor_at_last_line:
            self.post_message(self.HistoryStep(older=False))
        elif key == "ctrl+d" and not self.text:
            self.post_message(self.QuitRequested())
        else:
            handled = False
            if event.is_printable or key in ("backspace", "delete"):
                self.browsing_history = False
        if handled:
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)

    async def _on_paste(self, event: events.Paste) -> None:
        # Inserted here only: textual also calls the text area's own paste handler unless the
        # default is prevented, and the paste would go in twice.
        event.stop()
        event.prevent_default()
        if self.read_only or self.disabled:
            return
        text = normalize_newlines(event.text)
        label = self.pastes.placeholder(text)
        start, end = self.selection
        result = self._replace_via_keyboard(label if label is not None else text, start, end)
        if result is not None:
            self.move_cursor(result.end_location)

    def take(self) -> None:
        """The message was sent: empty the composer."""
        self.load_text("")
        self.pastes.clear()
        self.browsing_history = False
