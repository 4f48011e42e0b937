"""Up/Down through earlier prompts: history.jsonl entries (fetched by offset) then this
session's own (pure)."""

from __future__ import annotations


class HistoryNav:
    """Where the composer is in the prompt history, and what it has fetched."""

    def __init__(self, log_id: int = 0, count: int = 0) -> None:
        self.log_id = log_id
        self.count = count  # entries in history.jsonl when the session started
        self.local: list[str] = []  # sent in this session (newer than every file entry)
        self._cache: dict[int, str] = {}
        self._pos: int | None = None  # index into file entries + local; None: not browsing
        self._draft = ""

    @property
    def browsing(self) -> bool:
        """Whether the composer shows a history entry."""
        return self._pos is not None

    def _total(self) -> int:
        return self.count + len(self.local)

    def _at(self, i: int) -> str | int:
        if i >= self.count:
            return self.local[i - self.count]
        return self._cache.get(i, i)

    def older(self, current: str) -> str | int | None:
        """Step back: the text to show, an offset to fetch first, or None at the oldest."""
        if self._pos is None:
            self._draft = current
            self._pos = self._total()
        if self._pos == 0:
            return None
        self._pos -= 1
        return self._at(self._pos)

    def newer(self) -> str | int | None:
        """Step forward; past the newest entry the draft comes back."""
        if self._pos is None:
            return None
        self._pos += 1
        if self._pos >= self._total():
            self._pos = None
            return self._draft
        return self._at(self._pos)

    def fetched(self, offset: int, text: str | None) -> str | None:
        """A fetched entry: its text if the composer is still waiting on it."""
        if text is not None:
            self._cache[offset] = text
        if self._pos == offset:
            return text if text is not None else ""
        return None

    def record(self, text: str) -> None:
        """A prompt was sent: it becomes the newest entry; browsing ends."""
        if text and (not self.local or self.local[-1] != text):
            self.local.append(text)
        self._pos = None
        self._draft = ""

    def reset(self) -> None:
        """Stop browsing (the user edited the text)."""
        self._pos = None
