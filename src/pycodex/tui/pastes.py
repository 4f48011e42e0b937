"""Large pastes: kept whole, shown as a short placeholder until the message is sent (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field

# Codex collapses pastes longer than this many characters.
LARGE_PASTE_CHARS = 1000


def normalize_newlines(text: str) -> str:
    """A paste's line breaks as LF: terminals send a paste's newlines as CR, Windows clipboards
    hold CR LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


@dataclass
class Pastes:
    """The placeholders in the composer and the text each stands for."""

    _by_label: dict[str, str] = field(default_factory=dict)

    def placeholder(self, text: str) -> str | None:
        """The placeholder for a paste, or None when it is small enough to show as is."""
        if len(text) <= LARGE_PASTE_CHARS:
            return None
        n_lines = text.count("\n") + 1
        base = f"[Pasted Content {len(text)} chars, {n_lines} lines]"
        label, k = base, 2
        while label in self._by_label:  # two pastes of the same size stay distinct
            label = f"{base[:-1]} #{k}]"
            k += 1
        self._by_label[label] = text
        return label

    def expand(self, composed: str) -> str:
        """The message with every intact placeholder replaced by its paste."""
        for label, text in self._by_label.items():
            composed = composed.replace(label, text)
        return composed

    def clear(self) -> None:
        """Forget every paste (the message was sent or discarded)."""
        self._by_label.clear()
