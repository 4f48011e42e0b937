"""A bounded byte buffer: a flood of output keeps its head and tail, never all of it."""

from __future__ import annotations

DEFAULT_CAP = 1024 * 1024


class BoundedBuffer:
    """Keeps at most `cap` bytes: the first half and the newest half, counting what was dropped."""

    def __init__(self, cap: int = DEFAULT_CAP) -> None:
        self._cap = cap
        self._head = bytearray()
        self._tail = bytearray()
        self._dropped = 0

    def add(self, data: bytes) -> None:
        """Append, dropping from the middle once full."""
        half = self._cap // 2
        room = half - len(self._head)
        if room > 0 and not self._tail and not self._dropped:
            self._head += data[:room]
            data = data[room:]
            if not data:
                return
        self._tail += data
        excess = len(self._tail) - (self._cap - len(self._head))
        if excess > 0:
            del self._tail[:excess]
            self._dropped += excess

    def getvalue(self) -> bytes:
        """Everything kept, with a marker where bytes were dropped."""
        if not self._dropped:
            return bytes(self._head + self._tail)
        marker = f"\n[... {self._dropped} bytes of output omitted ...]\n".encode()
        return bytes(self._head) + marker + bytes(self._tail)

    def take(self) -> bytes:
        """getvalue() and clear."""
        value = self.getvalue()
        self._head.clear()
        self._tail.clear()
        self._dropped = 0
        return value

    def __len__(self) -> int:
        return len(self._head) + len(self._tail)
